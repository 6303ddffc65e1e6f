package ogc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// itemsParams are the parameters of /items besides the queryables.
var itemsParams = []string{"f", "bbox", "bbox-crs", "crs", "limit", "properties", "after", "before"}

// itemsQuery reads the parameters of /items of info: the page, the box,
// the properties kept (nil: all) and the queryables' filters.
func itemsQuery(c *echo.Context, q *query, info geo.FeatureCollectionInfo) (geo.FeatureQuery, []string) {
	fq := geo.FeatureQuery{Collection: info.ID, Limit: DefaultLimit, Filters: map[string]string{}}
	allowed := slices.Clone(itemsParams)
	for _, p := range info.Properties {
		if p.Queryable {
			allowed = append(allowed, p.Name)
		}
	}
	q.only(allowed...)
	for name := range q.values {
		p, ok := info.Property(name)
		if !ok || !p.Queryable || slices.Contains(itemsParams, name) {
			continue
		}
		v := q.get(name)
		switch {
		case v == "":
			q.errs.Add(name, "a value to match")
		case p.Type == "integer":
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				q.errs.Add(name, "an integer")
			}
		case len(p.Enum) > 0 && !slices.Contains(p.Enum, v):
			q.errs.Add(name, "one of "+strings.Join(p.Enum, ", "))
		}
		fq.Filters[name] = v
	}
	if s := q.get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			q.errs.Add("limit", "an integer from 1 to "+strconv.Itoa(MaxLimit))
		} else {
			fq.Limit = n
		}
	}
	fq.BBox = readBBox(q)
	for _, name := range []string{"bbox-crs", "crs"} {
		if v := q.get(name); v != "" && v != CRS84 {
			q.errs.Add(name, "only "+CRS84+" is served")
		}
	}
	fq.After, fq.Before = q.get("after"), q.get("before")
	var props []string
	if s, ok := q.values["properties"]; ok && len(s) == 1 {
		props = []string{}
		for _, name := range strings.Split(s[0], ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			if _, ok := info.Property(name); !ok {
				q.errs.Add("properties", "unknown property "+strconv.Quote(name)+" of "+info.ID)
				continue
			}
			props = append(props, name)
		}
	}
	return fq, props
}

// readBBox reads bbox: minLon,minLat,maxLon,maxLat in CRS84 (six numbers,
// with heights, are accepted and the heights ignored).
func readBBox(q *query) *geo.BBox {
	s := q.get("bbox")
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 && len(parts) != 6 {
		q.errs.Add("bbox", "four numbers: minLon,minLat,maxLon,maxLat")
		return nil
	}
	v := make([]float64, len(parts))
	for i, part := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			q.errs.Add("bbox", "four numbers: minLon,minLat,maxLon,maxLat")
			return nil
		}
		v[i] = f
	}
	if len(v) == 6 {
		v = []float64{v[0], v[1], v[3], v[4]}
	}
	b := &geo.BBox{MinLon: v[0], MinLat: v[1], MaxLon: v[2], MaxLat: v[3]}
	if err := b.Validate("bbox"); err != nil {
		var gerr *geo.Error
		if errors.As(err, &gerr) {
			q.errs.Add("bbox", gerr.Fields["bbox"])
		}
		return nil
	}
	return b
}

func (a *API) items(c *echo.Context) error {
	info, err := a.collectionInfo(c.Param("collectionId"))
	if err != nil {
		return err
	}
	q := readQuery(c)
	format := q.format(c)
	fq, props := itemsQuery(c, q, info)
	if err := q.err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	// numberMatched is counted on the first page only: a count reads every
	// matching row, which at national scale costs far more than a page, and
	// the following pages would only repeat it. -1: not counted.
	matched := -1
	if fq.After == "" && fq.Before == "" {
		n, err := a.store.CountFeatures(ctx, fq)
		if err != nil {
			return err
		}
		matched = n
	}
	path := "/collections/" + info.ID + "/items"
	if format == "html" {
		return a.itemsPage(c, info, fq, props, matched, path)
	}

	// The status is sent with the first feature (or at the end), so that a
	// bad page key found by the store is still a 400.
	w := c.Response()
	bw := bufio.NewWriterSize(w, 32<<10)
	started := false
	start := func() {
		started = true
		w.Header().Set(echo.HeaderContentType, mediaGeoJSON)
		w.WriteHeader(http.StatusOK)
		bw.WriteString(`{"type":"FeatureCollection","features":[`)
	}
	var first, last string
	n := 0
	more, err := a.store.EachFeature(ctx, fq, func(f geo.Feature) error {
		if !started {
			start()
		}
		if n > 0 {
			bw.WriteByte(',')
		} else {
			first = f.ID
		}
		last = f.ID
		n++
		return writeFeature(bw, info, f, props)
	})
	if err != nil {
		if started {
			// Too late for an error status: cut the body short, so that the
			// client sees a broken transfer rather than a short page.
			a.logger.LogAttrs(context.WithoutCancel(ctx), slog.LevelError, "streaming OGC items",
				slog.String("path", c.Request().URL.Path), slog.String("err", err.Error()))
			panic(http.ErrAbortHandler)
		}
		return err
	}
	if !started {
		start()
	}
	bw.WriteString(`],"numberReturned":`)
	bw.WriteString(strconv.Itoa(n))
	if matched >= 0 {
		bw.WriteString(`,"numberMatched":`)
		bw.WriteString(strconv.Itoa(matched))
	}
	bw.WriteString(`,"timeStamp":"`)
	bw.WriteString(time.Now().UTC().Format(time.RFC3339))
	bw.WriteString(`","links":`)
	links := a.pageLinks(c, path, fq, more, first, last, "json")
	if err := json.NewEncoder(bw).Encode(links); err != nil {
		return err
	}
	bw.WriteString(`}`)
	return bw.Flush()
}

// pageLinks are the links of a page of items: itself, its other format,
// and the pages after its last feature and before its first.
func (a *API) pageLinks(c *echo.Context, path string, fq geo.FeatureQuery, more bool, first, last, format string) []link {
	base := c.QueryParams()
	with := func(f string, set map[string]string) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = slices.Clone(vs)
		}
		v.Del("after")
		v.Del("before")
		v.Set("f", f)
		for k, s := range set {
			v.Set(k, s)
		}
		return v
	}
	cur := map[string]string{}
	if fq.After != "" {
		cur["after"] = fq.After
	}
	if fq.Before != "" {
		cur["before"] = fq.Before
	}
	jsonType := mediaGeoJSON
	links := []link{
		{Href: a.url(c, path, with("json", cur)), Rel: "self", Type: jsonType, Title: "This page"},
		{Href: a.url(c, path, with("html", cur)), Rel: "alternate", Type: mediaHTML, Title: "HTML"},
	}
	if format == "html" {
		links[0].Rel, links[1].Rel = "alternate", "self"
	}
	typ := jsonType
	if format == "html" {
		typ = mediaHTML
	}
	// A page reached backwards may also have features after its last one
	// even when the store read none past the limit: its "before" bound.
	if more || (fq.Before != "" && last != "") {
		links = append(links, link{Href: a.url(c, path, with(format, map[string]string{"after": last})), Rel: "next", Type: typ, Title: texts.Next})
	}
	if (fq.After != "" || fq.Before != "") && first != "" {
		links = append(links, link{Href: a.url(c, path, with(format, map[string]string{"before": first})), Rel: "prev", Type: typ, Title: texts.Prev})
	}
	return links
}

// featureWriter is a bufio.Writer or a bytes.Buffer.
type featureWriter interface {
	io.Writer
	io.StringWriter
	io.ByteWriter
}

// writeFeature writes f as a GeoJSON feature with the properties kept
// (nil: all), in the collection's order.
func writeFeature(bw featureWriter, info geo.FeatureCollectionInfo, f geo.Feature, keep []string) error {
	bw.WriteString(`{"type":"Feature","id":`)
	if _, err := strconv.ParseInt(f.ID, 10, 64); err == nil {
		bw.WriteString(f.ID)
	} else {
		id, _ := json.Marshal(f.ID)
		bw.Write(id)
	}
	bw.WriteString(`,"geometry":`)
	bw.Write(f.Geometry)
	bw.WriteString(`,"properties":{`)
	props, err := decodeProperties(f)
	if err != nil {
		return err
	}
	n := 0
	for _, p := range info.Properties {
		if keep != nil && !slices.Contains(keep, p.Name) {
			continue
		}
		v, ok := props[p.Name]
		if !ok {
			continue
		}
		if n++; n > 1 {
			bw.WriteByte(',')
		}
		name, _ := json.Marshal(p.Name)
		bw.Write(name)
		bw.WriteByte(':')
		bw.Write(v)
	}
	_, err = bw.WriteString(`}}`)
	return err
}

func decodeProperties(f geo.Feature) (map[string]json.RawMessage, error) {
	var props map[string]json.RawMessage
	if err := json.Unmarshal(f.Properties, &props); err != nil {
		return nil, err
	}
	return props, nil
}

func (a *API) item(c *echo.Context) error {
	info, err := a.collectionInfo(c.Param("collectionId"))
	if err != nil {
		return err
	}
	q := readQuery(c)
	format := q.format(c)
	allowed := []string{"f", "crs", "properties"}
	if info.ID == geo.CollectionCoverage {
		allowed = append(allowed, "sector") // the coverage of one sector
	}
	q.only(allowed...)
	if v := q.get("crs"); v != "" && v != CRS84 {
		q.errs.Add("crs", "only "+CRS84+" is served")
	}
	var props []string
	if _, ok := q.values["properties"]; ok {
		sub := &query{values: url.Values{"properties": q.values["properties"]}, errs: q.errs}
		_, props = itemsQuery(c, sub, info)
	}
	filters := map[string]string{}
	if v := q.get("sector"); v != "" {
		filters["sector"] = v
	}
	if err := q.err(); err != nil {
		return err
	}
	id := c.Param("featureId")
	f, err := a.store.FindFeature(c.Request().Context(), info.ID, id, filters)
	if err != nil {
		return err
	}
	path := "/collections/" + info.ID + "/items/" + url.PathEscape(id)
	if format == "html" {
		return a.itemPage(c, info, f, props, path)
	}
	links := append(a.selfLinks(c, path, format, mediaGeoJSON),
		link{Href: a.url(c, "/collections/"+info.ID, nil), Rel: "collection", Type: mediaJSON, Title: texts.CollectionTitle[info.ID]})
	var buf bytes.Buffer
	if err := writeFeature(&buf, info, f, props); err != nil {
		return err
	}
	// The feature's links go inside its object, before its closing brace.
	buf.Truncate(buf.Len() - 1)
	buf.WriteString(`,"links":`)
	if err := json.NewEncoder(&buf).Encode(links); err != nil {
		return err
	}
	buf.WriteString(`}`)
	return c.Blob(http.StatusOK, mediaGeoJSON, buf.Bytes())
}
