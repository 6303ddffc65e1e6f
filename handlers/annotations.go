package handlers

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkt"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
)

// workshopAnnotation returns the workshop and annotation ids of the path
// and the caller's role on the workshop.
func (s *Server) workshopAnnotation(c *echo.Context) (int64, int64, geo.WorkshopAccess, error) {
	aid, err := pathID(c, "aid", "annotation")
	if err != nil {
		return 0, 0, geo.WorkshopAccess{}, err
	}
	wid, acc, err := s.workshopCaller(c, "")
	return wid, aid, acc, err
}

// listAnnotations answers GET /api/workshops/{id}/annotations?kind=&sector=&limit=&after=:
// participants and the public see the visible annotations and their own,
// the animator and keepers all of them, in id order.
func (s *Server) listAnnotations(c *echo.Context) error {
	p := readParams(c, "kind", "sector", "limit", "after")
	limit := p.intIn("limit", s.opts.PageMax, 1, s.opts.PageMax)
	after := p.intIn("after", 0, 0, math.MaxInt32)
	if err := p.err(); err != nil {
		return err
	}
	w, acc, err := s.readableWorkshop(c, "")
	if err != nil {
		return err
	}
	f := geo.AnnotationFilter{WorkshopID: w.ID, Reader: acc, Kind: p.str("kind"), Sector: p.str("sector"),
		After: int64(after), Limit: limit + 1}
	items, total, err := s.Workshops.FindAnnotations(c.Request().Context(), f)
	if err != nil {
		return err
	}
	page := listPage[*geo.Annotation]{Items: items, Total: total}
	if len(items) > limit {
		page.Items = items[:limit]
		q := c.Request().URL.Query()
		q.Set("after", strconv.FormatInt(page.Items[limit-1].ID, 10))
		next := s.advertisedURL(c, c.Request().URL.Path, q)
		page.Next = &next
	}
	if page.Items == nil {
		page.Items = []*geo.Annotation{}
	}
	return c.JSON(http.StatusOK, page)
}

// getAnnotation answers GET /api/workshops/{id}/annotations/{aid}.
func (s *Server) getAnnotation(c *echo.Context) error {
	if err := readParams(c).err(); err != nil {
		return err
	}
	w, acc, err := s.readableWorkshop(c, "")
	if err != nil {
		return err
	}
	aid, err := pathID(c, "aid", "annotation")
	if err != nil {
		return err
	}
	a, err := s.Workshops.FindAnnotation(c.Request().Context(), w.ID, aid, acc)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// createAnnotation answers POST /api/workshops/{id}/annotations
// (participants, its animator, keepers): 201 with the annotation.
func (s *Server) createAnnotation(c *echo.Context) error {
	wid, acc, err := s.workshopCaller(c, "")
	if err != nil {
		return err
	}
	upd, err := decodeAnnotation(c, true)
	if err != nil {
		return err
	}
	a := &geo.Annotation{WorkshopID: wid, State: geo.AnnotationVisible}
	upd.Apply(a)
	if err := s.Workshops.CreateAnnotation(c.Request().Context(), acc, a); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, a)
}

// updateAnnotation answers PATCH /api/workshops/{id}/annotations/{aid}:
// its author changes its content, the animator and keepers anything.
func (s *Server) updateAnnotation(c *echo.Context) error {
	wid, aid, acc, err := s.workshopAnnotation(c)
	if err != nil {
		return err
	}
	upd, err := decodeAnnotation(c, false)
	if err != nil {
		return err
	}
	a, err := s.Workshops.UpdateAnnotation(c.Request().Context(), wid, aid, acc, upd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// deleteAnnotation answers DELETE /api/workshops/{id}/annotations/{aid}:
// its author, the animator or a keeper.
func (s *Server) deleteAnnotation(c *echo.Context) error {
	wid, aid, acc, err := s.workshopAnnotation(c)
	if err != nil {
		return err
	}
	if err := s.Workshops.DeleteAnnotation(c.Request().Context(), wid, aid, acc); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// vote answers PUT (vote) and DELETE (take it back) on
// /api/workshops/{id}/annotations/{aid}/vote, for participants.
func (s *Server) vote(c *echo.Context) error {
	wid, aid, acc, err := s.workshopAnnotation(c)
	if err != nil {
		return err
	}
	votes, voted, err := s.Workshops.Vote(c.Request().Context(), wid, aid, acc, c.Request().Method == http.MethodPut)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Votes int  `json:"votes"`
		Voted bool `json:"voted"`
	}{votes, voted})
}

// decodeAnnotation reads the JSON object of POST and PATCH on
// annotations. Creation needs a kind, a geometry and a text; state and
// pinned are set with PATCH.
func decodeAnnotation(c *echo.Context, create bool) (geo.AnnotationUpdate, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return geo.AnnotationUpdate{}, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return geo.AnnotationUpdate{}, &geo.Error{Code: geo.EInvalid, Message: "the body must be a JSON object",
			Fields: map[string]string{"body": "not a JSON object"}}
	}
	var u geo.AnnotationUpdate
	errs := geo.FieldErrors{}
	for k, m := range raw {
		null := string(bytes.TrimSpace(m)) == "null"
		str := func(dst **string) {
			var v string
			if null {
				*dst = &v
				return
			}
			if json.Unmarshal(m, &v) != nil {
				errs.Add(k, "must be a string")
				return
			}
			*dst = &v
		}
		switch k {
		case "kind":
			str(&u.Kind)
		case "text":
			str(&u.Text)
		case "author_name":
			str(&u.AuthorName)
		case "sector":
			str(&u.Sector)
		case "actor_id":
			var v int64
			if !null && (json.Unmarshal(m, &v) != nil || v <= 0) {
				errs.Add(k, "an actor id (a positive integer) or null")
				continue
			}
			u.ActorID = &v
		case "geometry":
			g, err := geo.DecodeGeometry(m, k, geo.AnnotationGeometryTypes...)
			if err != nil {
				errs.AddFrom(err)
				continue
			}
			u.Geometry = g
		case "state":
			var v geo.AnnotationState
			if json.Unmarshal(m, &v) != nil || (v != geo.AnnotationVisible && v != geo.AnnotationHidden) {
				errs.Add(k, "visible or hidden")
				continue
			}
			u.State = &v
		case "pinned":
			var v bool
			if json.Unmarshal(m, &v) != nil {
				errs.Add(k, "true or false")
				continue
			}
			u.Pinned = &v
		case "id", "workshop_id", "votes", "voted", "mine", "actor_name", "created_at", "updated_at":
			errs.Add(k, "read-only")
		default:
			errs.Add(k, "unknown field")
		}
	}
	if create {
		if u.State != nil || u.Pinned != nil {
			errs.Add("state", "set later by the animator, with PATCH")
		}
		if u.Kind == nil {
			errs.Add("kind", "required: atout, faiblesse, besoin, idee or one of the workshop's kinds")
		}
		if u.Geometry == nil {
			errs.Add("geometry", "required: a GeoJSON Point, LineString or Polygon")
		}
		if u.Text == nil {
			errs.Add("text", "required: say what you see here")
		}
	}
	return u, errs.Err()
}

// recordAnnotations returns the workshop of the path, if the caller may
// read its record (?token= accepted, for download links), and its visible
// annotations.
func (s *Server) recordAnnotations(c *echo.Context, extra ...string) (*geo.Workshop, []*geo.Annotation, error) {
	p := readParams(c, append([]string{"token"}, extra...)...)
	if err := p.err(); err != nil {
		return nil, nil, err
	}
	w, _, err := s.readableWorkshop(c, p.str("token"))
	if err != nil {
		return nil, nil, err
	}
	items, _, err := s.Workshops.FindAnnotations(c.Request().Context(),
		geo.AnnotationFilter{WorkshopID: w.ID, Reader: geo.WorkshopAccess{Role: geo.RolePublic}})
	return w, items, err
}

// exportProperties are the properties of an exported annotation.
type exportProperties struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"`
	KindLabel  string    `json:"kind_label"`
	Text       string    `json:"text"`
	Sector     *string   `json:"sector"`
	Votes      int       `json:"votes"`
	AuthorName string    `json:"author_name"`
	ActorID    *int64    `json:"actor_id"`
	ActorName  *string   `json:"actor_name"`
	Pinned     bool      `json:"pinned"`
	CreatedAt  time.Time `json:"created_at"`
}

func newExportProperties(a *geo.Annotation, labels map[string]string) exportProperties {
	p := exportProperties{ID: a.ID, Kind: a.Kind, KindLabel: labels[a.Kind], Text: a.Text, Votes: a.Votes,
		AuthorName: a.AuthorName, ActorID: a.ActorID, Pinned: a.Pinned, CreatedAt: a.CreatedAt}
	if a.Sector != "" {
		p.Sector = &a.Sector
	}
	if a.ActorName != "" {
		p.ActorName = &a.ActorName
	}
	return p
}

func kindLabels(w *geo.Workshop) map[string]string {
	labels := map[string]string{}
	for _, k := range w.Kinds {
		labels[k.Slug] = k.Label
	}
	return labels
}

// exportFileName is the name of an export of w with extension ext.
func exportFileName(w *geo.Workshop, ext string) string {
	return "atelier-" + w.Code + "-" + w.Date.Format(time.DateOnly) + "." + ext
}

// workshopGeoJSON answers GET /api/workshops/{id}/export.geojson: the
// visible annotations as a FeatureCollection.
func (s *Server) workshopGeoJSON(c *echo.Context) error {
	w, items, err := s.recordAnnotations(c)
	if err != nil {
		return err
	}
	labels := kindLabels(w)
	type feature struct {
		Type       string           `json:"type"`
		ID         int64            `json:"id"`
		Geometry   json.RawMessage  `json:"geometry"`
		Properties exportProperties `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Title    string    `json:"title"`
		Date     string    `json:"date"`
		Features []feature `json:"features"`
	}{"FeatureCollection", w.Title, w.Date.Format(time.DateOnly), make([]feature, len(items))}
	for i, a := range items {
		g, err := geo.MarshalGeometry(a.Geometry)
		if err != nil {
			return err
		}
		fc.Features[i] = feature{"Feature", a.ID, g, newExportProperties(a, labels)}
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+exportFileName(w, "geojson")+`"`)
	c.Response().Header().Set("Content-Type", "application/geo+json")
	c.Response().WriteHeader(http.StatusOK)
	return json.NewEncoder(c.Response()).Encode(fc)
}

// WorkshopCSVHeader is the header of the CSV export of a workshop.
var WorkshopCSVHeader = []string{"id", "kind", "kind_label", "text", "sector", "votes", "author_name",
	"actor_id", "actor_name", "pinned", "created_at", "geometry_type", "longitude", "latitude", "wkt"}

// workshopCSV answers GET /api/workshops/{id}/export.csv: the visible
// annotations, one a row, with their geometry as WKT (and longitude and
// latitude for points).
func (s *Server) workshopCSV(c *echo.Context) error {
	raw, err := rawCSV(c)
	if err != nil {
		return err
	}
	w, items, err := s.recordAnnotations(c, "raw")
	if err != nil {
		return err
	}
	labels := kindLabels(w)
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+exportFileName(w, "csv")+`"`)
	c.Response().WriteHeader(http.StatusOK)
	cw := csv.NewWriter(c.Response())
	cw.Write(WorkshopCSVHeader)
	for _, a := range items {
		p := newExportProperties(a, labels)
		sector, actorID, actorName := "", "", ""
		if p.Sector != nil {
			sector = *p.Sector
		}
		if p.ActorID != nil {
			actorID = strconv.FormatInt(*p.ActorID, 10)
		}
		if p.ActorName != nil {
			actorName = *p.ActorName
		}
		lon, lat := "", ""
		if pt, ok := a.Geometry.(*geom.Point); ok {
			lon, lat = strconv.FormatFloat(pt.X(), 'f', -1, 64), strconv.FormatFloat(pt.Y(), 'f', -1, 64)
		}
		text, err := wkt.Marshal(a.Geometry)
		if err != nil {
			return err
		}
		record := []string{strconv.FormatInt(a.ID, 10), a.Kind, p.KindLabel, a.Text, sector,
			strconv.Itoa(a.Votes), a.AuthorName, actorID, actorName,
			strconv.FormatBool(a.Pinned), a.CreatedAt.UTC().Format(time.RFC3339), geometryType(a.Geometry),
			lon, lat, text}
		if !raw {
			actorfile.SpreadsheetSafe(record)
		}
		cw.Write(record)
	}
	cw.Flush()
	return cw.Error()
}

// rawCSV reads the raw parameter of CSV exports: raw=1 writes cells
// exactly as stored, formulas included, and only keepers may ask for it.
// Without it every cell a spreadsheet would read as a formula is
// neutralised (actorfile.SpreadsheetSafe).
func rawCSV(c *echo.Context) (bool, error) {
	switch c.QueryParam("raw") {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		if keeper(c) == nil {
			return false, geo.Errorf(geo.EUnauthorized, "raw: only keepers may export cells unneutralised")
		}
		return true, nil
	}
	return false, &geo.Error{Code: geo.EInvalid, Message: "invalid query parameters",
		Fields: map[string]string{"raw": "1 (cells as stored, keepers only) or 0"}}
}

func geometryType(g geom.T) string {
	switch g.(type) {
	case *geom.Point:
		return geo.GeomPoint
	case *geom.LineString:
		return geo.GeomLineString
	case *geom.Polygon:
		return geo.GeomPolygon
	}
	return ""
}

// workshopAnnotationsGeoJSON answers GET
// /api/workshop-annotations.geojson?bbox=&within=: the visible annotations
// of published workshops, in a box and in a territory (a code or
// level:code, as for /api/coverage), for the overlays of the main map and
// of the coverage view.
func (s *Server) workshopAnnotationsGeoJSON(c *echo.Context) error {
	ctx := c.Request().Context()
	p := readParams(c, "bbox", "within")
	bbox := p.bbox("bbox")
	w, err := s.within(ctx, p, "within")
	if err != nil {
		return err
	}
	if err := p.err(); err != nil {
		return err
	}
	var within *geo.TerritoryRef
	if w != nil {
		within = &geo.TerritoryRef{Level: w.Level, Code: w.Code}
	}
	const limit = 5000
	found, err := s.Workshops.PublishedAnnotations(ctx, bbox, within, limit)
	if err != nil {
		return err
	}
	type props struct {
		ID            int64  `json:"id"`
		WorkshopID    int64  `json:"workshop_id"`
		WorkshopTitle string `json:"workshop_title"`
		Kind          string `json:"kind"`
		KindLabel     string `json:"kind_label"`
		Color         string `json:"color"`
		Icon          string `json:"icon"`
		Text          string `json:"text"`
		Votes         int    `json:"votes"`
	}
	type feature struct {
		Type       string          `json:"type"`
		ID         int64           `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties props           `json:"properties"`
	}
	fc := struct {
		Type      string    `json:"type"`
		Features  []feature `json:"features"`
		Truncated bool      `json:"truncated"`
	}{"FeatureCollection", make([]feature, len(found)), len(found) == limit}
	for i, o := range found {
		a := o.Annotation
		g, err := geo.MarshalGeometry(a.Geometry)
		if err != nil {
			return err
		}
		fc.Features[i] = feature{"Feature", a.ID, g, props{ID: a.ID, WorkshopID: a.WorkshopID,
			WorkshopTitle: o.WorkshopTitle, Kind: a.Kind, KindLabel: o.Kind.Label, Color: o.Kind.Color,
			Icon: o.Kind.Icon, Text: a.Text, Votes: a.Votes}}
	}
	return c.JSON(http.StatusOK, fc)
}
