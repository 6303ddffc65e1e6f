// Package ogc serves the public feature collections as OGC API – Features
// Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0), with the queryables and their
// query parameters of Part 3 (no CQL2), under /ogc.
package ogc

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// Base is the path the API is served under.
const Base = "/ogc"

// Paging limits of /items.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// CRS84 is the only coordinate reference system served.
const CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

// Media types.
const (
	mediaGeoJSON = "application/geo+json"
	mediaJSON    = "application/json"
	mediaHTML    = "text/html"
	mediaOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
	mediaSchema  = "application/schema+json"
)

// Store reads the feature collections.
type Store interface {
	FeatureCollections() []geo.FeatureCollectionInfo
	EachFeature(ctx context.Context, q geo.FeatureQuery, fn func(geo.Feature) error) (more bool, err error)
	CountFeatures(ctx context.Context, q geo.FeatureQuery) (int, error)
	FindFeature(ctx context.Context, collection, id string, filters map[string]string) (geo.Feature, error)
	FeatureExtent(ctx context.Context, collection string) (*geo.BBox, error)
}

// LinkFunc returns the absolute URL the server advertises for path (from
// the server's root) and query: on MAILLAGE_PUBLIC_URL when set.
type LinkFunc func(c *echo.Context, path string, query url.Values) string

// API is the OGC API Features service.
type API struct {
	store  Store
	link   LinkFunc
	logger *slog.Logger
}

// New returns the service on store, whose links are made by link; logger
// tells of pages cut short by an error.
func New(store Store, link LinkFunc, logger *slog.Logger) *API {
	return &API{store: store, link: link, logger: logger}
}

// Register adds the routes of the service to g, the group of Base.
func (a *API) Register(g *echo.Group) {
	g.GET("", a.handle(a.landing))
	g.GET("/", a.handle(a.landing))
	g.GET("/conformance", a.handle(a.conformance))
	g.GET("/api", a.handle(a.openAPI))
	g.GET("/collections", a.handle(a.collections))
	g.GET("/collections/:collectionId", a.handle(a.collection))
	g.GET("/collections/:collectionId/items", a.handle(a.items))
	g.GET("/collections/:collectionId/items/:featureId", a.handle(a.item))
	g.GET("/collections/:collectionId/queryables", a.handle(a.queryables))
	g.RouteNotFound("/*", a.handle(func(c *echo.Context) error {
		return geo.Errorf(geo.ENotFound, "no such resource: %s", c.Request().URL.Path)
	}))
}

// exception is the body of an error, as OGC API Features defines it.
type exception struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

// handle answers the errors of h that are the client's as OGC exceptions:
// 400 naming the parameter, 404. Others go to the server's error handler,
// which logs them and answers 500 or 503.
func (a *API) handle(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		err := h(c)
		if err == nil {
			return nil
		}
		var gerr *geo.Error
		if !errors.As(err, &gerr) {
			return err
		}
		if r, _ := echo.UnwrapResponse(c.Response()); r != nil && r.Committed {
			return err
		}
		switch gerr.Code {
		case geo.EInvalid:
			return c.JSON(http.StatusBadRequest, exception{Code: "InvalidParameterValue", Description: describe(gerr)})
		case geo.ENotFound:
			return c.JSON(http.StatusNotFound, exception{Code: "NotFound", Description: gerr.Message})
		case geo.ENotImplemented:
			return c.JSON(http.StatusNotAcceptable, exception{Code: "NotAcceptable", Description: describe(gerr)})
		}
		return err
	}
}

// describe is the message of e followed by each field at fault and why,
// in the order of the field names.
func describe(e *geo.Error) string {
	names := make([]string, 0, len(e.Fields))
	for name := range e.Fields {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(e.Message)
	for i, name := range names {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(name + ": " + e.Fields[name])
	}
	return b.String()
}

// query reads the query string: each parameter at most once, valid UTF-8.
type query struct {
	values url.Values
	errs   geo.FieldErrors
}

func readQuery(c *echo.Context) *query {
	q := &query{values: c.QueryParams(), errs: geo.FieldErrors{}}
	for name, vs := range q.values {
		switch {
		case len(vs) > 1:
			q.errs.Add(name, "given more than once")
		case strings.ContainsRune(vs[0], 0) || !utf8.ValidString(vs[0]):
			q.errs.Add(name, "must be UTF-8 text without NUL characters")
			q.values.Del(name)
		}
	}
	return q
}

// only refuses every parameter not in allowed.
func (q *query) only(allowed ...string) {
	for name := range q.values {
		if !slices.Contains(allowed, name) {
			q.errs.Add(name, "unknown parameter; accepted: "+strings.Join(allowed, ", "))
		}
	}
}

func (q *query) get(name string) string { return strings.TrimSpace(q.values.Get(name)) }

func (q *query) err() error {
	if len(q.errs) == 0 {
		return nil
	}
	return &geo.Error{Code: geo.EInvalid, Message: "invalid query parameters", Fields: q.errs}
}

// format is the answer's format: f=json or f=html, else HTML for a
// browser that asks for it before JSON, else JSON.
func (q *query) format(c *echo.Context) string {
	switch f := q.get("f"); f {
	case "json", "geojson":
		return "json"
	case "html":
		return "html"
	case "":
	default:
		q.errs.Add("f", "json or html")
		return "json"
	}
	accept := c.Request().Header.Get("Accept")
	html := strings.Index(accept, mediaHTML)
	json := strings.Index(accept, "json")
	if html >= 0 && (json < 0 || html < json) {
		return "html"
	}
	return "json"
}

// formatOnly reads a query string that may hold f and nothing else, and
// returns the answer's format (see query.format). Returns EInvalid, naming
// the parameters, for any other parameter or a bad f.
func formatOnly(c *echo.Context) (string, error) {
	q := readQuery(c)
	q.only("f")
	format := q.format(c)
	return format, q.err()
}

// link is one link of an answer.
type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// url is the advertised URL of path under Base, with query.
func (a *API) url(c *echo.Context, path string, q url.Values) string {
	return a.link(c, Base+path, q)
}

// selfLinks are the self link of path in format and its alternate in the
// other format.
func (a *API) selfLinks(c *echo.Context, path, format, jsonType string) []link {
	jsonQ, htmlQ := url.Values{"f": {"json"}}, url.Values{"f": {"html"}}
	if format == "html" {
		return []link{
			{Href: a.url(c, path, htmlQ), Rel: "self", Type: mediaHTML, Title: "Cette page"},
			{Href: a.url(c, path, jsonQ), Rel: "alternate", Type: jsonType, Title: "JSON"},
		}
	}
	return []link{
		{Href: a.url(c, path, jsonQ), Rel: "self", Type: jsonType, Title: "This document"},
		{Href: a.url(c, path, htmlQ), Rel: "alternate", Type: mediaHTML, Title: "HTML"},
	}
}

func (a *API) collectionInfo(id string) (geo.FeatureCollectionInfo, error) {
	for _, info := range a.store.FeatureCollections() {
		if info.ID == id {
			return info, nil
		}
	}
	return geo.FeatureCollectionInfo{}, geo.Errorf(geo.ENotFound, "collection %q not found", id)
}

// collectionFormat returns the collection named by the path parameter
// collectionId and the answer's format read by formatOnly. Returns
// ENotFound if there is no such collection, then EInvalid as formatOnly.
func (a *API) collectionFormat(c *echo.Context) (geo.FeatureCollectionInfo, string, error) {
	info, err := a.collectionInfo(c.Param("collectionId"))
	if err != nil {
		return info, "", err
	}
	format, err := formatOnly(c)
	return info, format, err
}

func (a *API) landing(c *echo.Context) error {
	format, err := formatOnly(c)
	if err != nil {
		return err
	}
	links := append(a.selfLinks(c, "", format, mediaJSON),
		link{Href: a.url(c, "/api", nil), Rel: "service-desc", Type: mediaOpenAPI, Title: texts.API},
		link{Href: a.url(c, "/api", url.Values{"f": {"html"}}), Rel: "service-doc", Type: mediaHTML, Title: texts.API},
		link{Href: a.url(c, "/conformance", nil), Rel: "conformance", Type: mediaJSON, Title: texts.Conformance},
		link{Href: a.url(c, "/collections", nil), Rel: "data", Type: mediaJSON, Title: texts.Collections},
	)
	body := struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Links       []link `json:"links"`
	}{texts.Title, texts.Description, links}
	if format == "html" {
		return a.page(c, http.StatusOK, "landing", texts.Title, body)
	}
	return c.JSON(http.StatusOK, body)
}

// conformanceClasses are the requirement classes implemented.
var conformanceClasses = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
}

func (a *API) conformance(c *echo.Context) error {
	format, err := formatOnly(c)
	if err != nil {
		return err
	}
	body := struct {
		ConformsTo []string `json:"conformsTo"`
	}{conformanceClasses}
	if format == "html" {
		return a.page(c, http.StatusOK, "conformance", texts.Conformance, body)
	}
	return c.JSON(http.StatusOK, body)
}

// collectionJSON describes a collection.
type collectionJSON struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	ItemType    string   `json:"itemType"`
	CRS         []string `json:"crs"`
	Extent      *extent  `json:"extent,omitempty"`
	Links       []link   `json:"links"`
}

type extent struct {
	Spatial struct {
		BBox [][4]float64 `json:"bbox"`
		CRS  string       `json:"crs"`
	} `json:"spatial"`
}

func (a *API) describeCollection(c *echo.Context, info geo.FeatureCollectionInfo, format string, self bool) (collectionJSON, error) {
	box, err := a.store.FeatureExtent(c.Request().Context(), info.ID)
	if err != nil {
		return collectionJSON{}, err
	}
	path := "/collections/" + info.ID
	out := collectionJSON{ID: info.ID, Title: texts.CollectionTitle[info.ID], Description: texts.CollectionDescription[info.ID],
		ItemType: "feature", CRS: []string{CRS84}}
	if box != nil {
		out.Extent = &extent{}
		out.Extent.Spatial.BBox = [][4]float64{{box.MinLon, box.MinLat, box.MaxLon, box.MaxLat}}
		out.Extent.Spatial.CRS = CRS84
	}
	if self {
		out.Links = a.selfLinks(c, path, format, mediaJSON)
	} else {
		out.Links = []link{{Href: a.url(c, path, nil), Rel: "self", Type: mediaJSON, Title: out.Title}}
	}
	out.Links = append(out.Links,
		link{Href: a.url(c, path+"/items", url.Values{"f": {"json"}}), Rel: "items", Type: mediaGeoJSON, Title: texts.Items},
		link{Href: a.url(c, path+"/items", url.Values{"f": {"html"}}), Rel: "items", Type: mediaHTML, Title: texts.Items},
		link{Href: a.url(c, path+"/queryables", nil), Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables",
			Type: mediaSchema, Title: texts.Queryables},
	)
	return out, nil
}

func (a *API) collections(c *echo.Context) error {
	format, err := formatOnly(c)
	if err != nil {
		return err
	}
	body := struct {
		Links       []link           `json:"links"`
		Collections []collectionJSON `json:"collections"`
	}{Links: a.selfLinks(c, "/collections", format, mediaJSON)}
	for _, info := range a.store.FeatureCollections() {
		col, err := a.describeCollection(c, info, format, false)
		if err != nil {
			return err
		}
		body.Collections = append(body.Collections, col)
	}
	if format == "html" {
		return a.page(c, http.StatusOK, "collections", texts.Collections, body)
	}
	return c.JSON(http.StatusOK, body)
}

func (a *API) collection(c *echo.Context) error {
	info, format, err := a.collectionFormat(c)
	if err != nil {
		return err
	}
	body, err := a.describeCollection(c, info, format, true)
	if err != nil {
		return err
	}
	if format == "html" {
		return a.page(c, http.StatusOK, "collection", body.Title, body)
	}
	return c.JSON(http.StatusOK, body)
}

func (a *API) queryables(c *echo.Context) error {
	info, format, err := a.collectionFormat(c)
	if err != nil {
		return err
	}
	props := map[string]any{}
	for _, p := range info.Properties {
		if p.Queryable {
			props[p.Name] = propertySchema(p)
		}
	}
	body := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  a.url(c, "/collections/"+info.ID+"/queryables", nil),
		"type":                 "object",
		"title":                texts.CollectionTitle[info.ID],
		"properties":           props,
		"additionalProperties": false,
	}
	if format == "html" {
		return a.page(c, http.StatusOK, "queryables", texts.Queryables+" — "+texts.CollectionTitle[info.ID],
			struct {
				Collection string
				Properties []geo.FeatureProperty
			}{info.ID, queryableList(info)})
	}
	c.Response().Header().Set(echo.HeaderContentType, mediaSchema)
	return c.JSON(http.StatusOK, body)
}

func queryableList(info geo.FeatureCollectionInfo) []geo.FeatureProperty {
	var out []geo.FeatureProperty
	for _, p := range info.Properties {
		if p.Queryable {
			out = append(out, p)
		}
	}
	return out
}

// propertySchema is the JSON Schema of p.
func propertySchema(p geo.FeatureProperty) map[string]any {
	s := map[string]any{"title": texts.PropertyTitle[p.Name], "type": p.Type}
	if p.Type == "array" {
		s["items"] = map[string]any{"type": "string"}
	}
	if p.Format != "" {
		s["format"] = p.Format
	}
	if len(p.Enum) > 0 {
		s["enum"] = p.Enum
	}
	return s
}
