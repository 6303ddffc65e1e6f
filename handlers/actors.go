package handlers

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
)

// listPage is the shape of every list the API returns.
type listPage[T any] struct {
	Items []T     `json:"items"`
	Total int     `json:"total"`
	Next  *string `json:"next"`
}

// noneValue stands for "no structure type" or "no legal family" in the
// kind and legal_family parameters and in the facets.
const noneValue = "none"

// actorFilterParams are the query parameters readActorFilter reads.
var actorFilterParams = []string{"sectors", "q", "bbox", "status", "kind", "legal_family"}

// oneOf reads a comma-separated list of values among allowed or "none"
// (returned as ""), adding an error naming the parameter for any other.
func (p *params) oneOf(name string, allowed []string) []string {
	var out []string
	for _, v := range p.list(name) {
		switch {
		case v == noneValue:
			out = append(out, "")
		case slices.Contains(allowed, v):
			out = append(out, v)
		default:
			p.errs.Add(name, strings.Join(allowed, ", ")+" or "+noneValue)
			return nil
		}
	}
	return out
}

// readActorFilter reads the filters shared by the actor list, its facets
// and the exports: sectors, q, bbox, status, kind and legal_family.
// Anonymous callers see published actors only; keepers see every status
// unless status narrows it.
func (s *Server) readActorFilter(c *echo.Context, p *params) (geo.ActorFilter, error) {
	f := geo.ActorFilter{Q: p.str("q"), BBox: p.bbox("bbox"), Sectors: p.list("sectors"),
		Kinds: p.oneOf("kind", geo.KindCodes), Families: p.oneOf("legal_family", geo.LegalFamilies)}
	if len(f.Q) > 200 {
		p.errs.Add("q", "at most 200 characters")
	}
	if err := s.checkSectors(c.Request().Context(), f.Sectors); err != nil {
		var gerr *geo.Error
		if !errors.As(err, &gerr) {
			return f, err
		}
		p.errs.Add("sectors", gerr.Fields["sectors"])
	}
	for _, st := range p.list("status") {
		if !geo.Status(st).Valid() {
			p.errs.Add("status", "draft, published or archived")
			continue
		}
		f.Statuses = append(f.Statuses, geo.Status(st))
	}
	if keeper(c) == nil {
		for _, st := range f.Statuses {
			if st != geo.StatusPublished {
				return f, geo.Errorf(geo.EUnauthorized, "only keepers can see %s actors", st)
			}
		}
		f.Statuses = []geo.Status{geo.StatusPublished}
	}
	return f, nil
}

// listActors answers GET /api/actors: one page of actors and a link to the
// next one.
func (s *Server) listActors(c *echo.Context) error {
	p := readParams(c, append(actorFilterParams, "limit", "offset", "near")...)
	f, err := s.readActorFilter(c, p)
	if err != nil {
		return err
	}
	f.Near = p.point("near")
	f.Limit = p.intIn("limit", 50, 1, s.opts.PageMax)
	f.Offset = p.intIn("offset", 0, 0, 1<<30)
	if err := p.err(); err != nil {
		return err
	}
	actors, total, err := s.Actors.FindActors(c.Request().Context(), f)
	if err != nil {
		return err
	}
	page := listPage[actorfile.JSON]{Items: make([]actorfile.JSON, len(actors)), Total: total}
	for i, a := range actors {
		page.Items[i] = newActorJSON(a, keeper(c))
	}
	if f.Offset+len(actors) < total {
		next := s.nextURL(c, f.Offset+f.Limit)
		page.Next = &next
	}
	return c.JSON(http.StatusOK, page)
}

// facetJSON is one value of a facet and its number of actors.
type facetJSON struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// facets lists every value of order, then "none", with its count in m.
func facets(order []string, m map[string]int) []facetJSON {
	out := make([]facetJSON, 0, len(order)+1)
	for _, v := range order {
		out = append(out, facetJSON{Value: v, Count: m[v]})
	}
	return append(out, facetJSON{Value: noneValue, Count: m[""]})
}

// actorFacets answers GET /api/actors/facets: with the filters of
// /api/actors, the number of actors of each structure type (kind) and
// legal family (legal_family). Each count applies every filter but its
// own facet's.
func (s *Server) actorFacets(c *echo.Context) error {
	p := readParams(c, actorFilterParams...)
	f, err := s.readActorFilter(c, p)
	if err != nil {
		return err
	}
	if err := p.err(); err != nil {
		return err
	}
	fc, err := s.Actors.FacetActors(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Total       int         `json:"total"`
		Kind        []facetJSON `json:"kind"`
		LegalFamily []facetJSON `json:"legal_family"`
	}{fc.Total, facets(geo.KindCodes, fc.Kinds), facets(geo.LegalFamilies, fc.Families)})
}

// nextURL is the URL of the request with offset replaced.
func (s *Server) nextURL(c *echo.Context, offset int) string {
	q := c.Request().URL.Query()
	q.Set("offset", strconv.Itoa(offset))
	return s.advertisedURL(c, c.Request().URL.Path, q)
}

// findVisibleActor returns the actor of the :id parameter if the caller
// may see it; unpublished actors are hidden from the public as not found.
func (s *Server) findVisibleActor(c *echo.Context) (*geo.Actor, error) {
	id, err := idParam(c.Param("id"))
	if err != nil {
		return nil, err
	}
	a, err := s.Actors.FindActorByID(c.Request().Context(), id)
	if err != nil {
		return nil, err
	}
	if a.Status != geo.StatusPublished && keeper(c) == nil {
		return nil, geo.Errorf(geo.ENotFound, "actor %d not found", id)
	}
	return a, nil
}

func (s *Server) getActor(c *echo.Context) error {
	if err := readParams(c).err(); err != nil {
		return err
	}
	a, err := s.findVisibleActor(c)
	if err != nil {
		return err
	}
	// The card names the licence of the actor's source.
	out := struct {
		actorfile.JSON
		SourceAttribution string `json:"source_attribution,omitempty"`
	}{JSON: newActorJSON(a, keeper(c))}
	if a.Source != "" {
		all, err := s.Actors.Attributions(c.Request().Context())
		if err != nil {
			return err
		}
		out.SourceAttribution = all[a.Source]
	}
	return c.JSON(http.StatusOK, out)
}

// decodeActor reads the JSON body of POST and PATCH on actors.
func (s *Server) decodeActor(c *echo.Context) (geo.ActorUpdate, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return geo.ActorUpdate{}, err
	}
	return decodeActorInput(body, s.opts.LegalForms)
}

// createActor answers POST /api/actors. A new actor is published unless
// its status says otherwise; a location given here is a manual one.
func (s *Server) createActor(c *echo.Context) error {
	upd, err := s.decodeActor(c)
	if err != nil {
		return err
	}
	a := &geo.Actor{Status: geo.StatusPublished}
	upd.Apply(a)
	if err := s.Actors.CreateActor(c.Request().Context(), a); err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/actors/"+strconv.FormatInt(a.ID, 10))
	return c.JSON(http.StatusCreated, s.writtenActorJSON(c.Request().Context(), a, keeper(c)))
}

// updateActor answers PATCH /api/actors/{id}: only the fields given change.
func (s *Server) updateActor(c *echo.Context) error {
	id, err := idParam(c.Param("id"))
	if err != nil {
		return err
	}
	upd, err := s.decodeActor(c)
	if err != nil {
		return err
	}
	a, err := s.Actors.UpdateActor(c.Request().Context(), id, upd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.writtenActorJSON(c.Request().Context(), a, keeper(c)))
}

func (s *Server) deleteActor(c *echo.Context) error {
	id, err := idParam(c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.Actors.DeleteActor(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// featureProps are the properties of an actor in GeoJSON: what a map
// needs, nothing private.
type featureProps struct {
	ID       int64    `json:"id"`
	Name     string   `json:"name"`
	Sectors  []string `json:"sectors"`
	Kind     string   `json:"kind,omitempty"`
	Street   string   `json:"street,omitempty"`
	Postcode string   `json:"postcode,omitempty"`
	City     string   `json:"city,omitempty"`
	Website  string   `json:"website,omitempty"`
	Email    string   `json:"email,omitempty"`
	Phone    string   `json:"phone,omitempty"`
	Source   string   `json:"source,omitempty"`
	Status   string   `json:"status,omitempty"`
}

type featureJSON struct {
	Type       string           `json:"type"`
	ID         int64            `json:"id"`
	Geometry   *actorfile.Point `json:"geometry"`
	Properties featureProps     `json:"properties"`
}

// actorsGeoJSON answers GET /api/actors.geojson: the located actors
// matching the filters as a FeatureCollection of at most GeoJSONMax
// features, saying when it was cut. Features are streamed as PostgreSQL
// sends the rows, so memory does not grow with the collection; the
// foreign members that depend on them (numberReturned, truncated,
// attribution) come after the features.
func (s *Server) actorsGeoJSON(c *echo.Context) error {
	p := readParams(c, append(actorFilterParams, "limit")...)
	f, err := s.readActorFilter(c, p)
	if err != nil {
		return err
	}
	f.Located = true
	f.Limit = p.intIn("limit", s.opts.GeoJSONMax, 1, s.opts.GeoJSONMax)
	if err := p.err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	total, err := s.Actors.CountActors(ctx, f)
	if err != nil {
		return err
	}
	all, err := s.Actors.Attributions(ctx)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Type", "application/geo+json")
	w := bufio.NewWriterSize(c.Response(), 32<<10)
	started, returned := false, 0
	used := make(map[string]string)
	k := keeper(c)
	err = s.Actors.EachActor(ctx, f, func(a *geo.Actor) error {
		sep := ",\n"
		if !started {
			c.Response().WriteHeader(http.StatusOK)
			started = true
			sep = ""
			fmt.Fprintf(w, `{"type":"FeatureCollection","numberMatched":%d,"features":[`, total)
		}
		feature := featureJSON{Type: "Feature", ID: a.ID, Geometry: actorfile.NewPoint(a.Location),
			Properties: featureProps{ID: a.ID, Name: a.Name, Sectors: nonNil(a.Sectors), Kind: a.Kind,
				Street: a.Address.Street, Postcode: a.Address.Postcode, City: a.Address.City,
				Website: a.Website, Source: a.Source}}
		if a.ContactPublic || k != nil {
			feature.Properties.Email, feature.Properties.Phone = a.Email, a.Phone
		}
		if k != nil {
			feature.Properties.Status = string(a.Status)
		}
		if attr, ok := all[a.Source]; ok {
			used[a.Source] = attr
		}
		b, err := json.Marshal(feature)
		if err != nil {
			return err
		}
		returned++
		w.WriteString(sep)
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		if started {
			// Too late for an error status: cut the body short so the
			// client sees a broken transfer rather than a short file.
			s.logRequestError(c, "streaming GeoJSON", err)
			panic(http.ErrAbortHandler)
		}
		return err
	}
	if !started {
		c.Response().WriteHeader(http.StatusOK)
		fmt.Fprintf(w, `{"type":"FeatureCollection","numberMatched":%d,"features":[`, total)
	}
	attribution, _ := json.Marshal(actorfile.JoinAttributions(used))
	fmt.Fprintf(w, `],"numberReturned":%d,"truncated":%t,"attribution":%s}`+"\n", returned, returned < total, attribution)
	return w.Flush()
}

// actorsCSV answers GET /api/actors.csv: every actor matching the filters,
// streamed, each row with the attribution its source requires.
func (s *Server) actorsCSV(c *echo.Context) error {
	p := readParams(c, append(actorFilterParams, "raw", "schema")...)
	f, err := s.readActorFilter(c, p)
	if err != nil {
		return err
	}
	schema := readSchema(p)
	if err := p.err(); err != nil {
		return err
	}
	raw, err := rawCSV(c)
	if err != nil {
		return err
	}
	if schema == actorfile.SchemaDataInclusion {
		return s.actorsDataInclusion(c, f, true, raw)
	}
	ctx := c.Request().Context()
	attributions, err := s.Actors.Attributions(ctx)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="acteurs-ess.csv"`)
	w := csv.NewWriter(c.Response())
	started := false
	k := keeper(c)
	err = s.Actors.EachActor(ctx, f, func(a *geo.Actor) error {
		if !started {
			c.Response().WriteHeader(http.StatusOK)
			started = true
			if err := w.Write(actorfile.CSVHeader); err != nil {
				return err
			}
		}
		record := actorfile.CSVRecord(a, attributions[a.Source], k != nil)
		if !raw {
			actorfile.SpreadsheetSafe(record)
		}
		return w.Write(record)
	})
	if err != nil {
		if started {
			// Too late for an error status: cut the body short so the
			// client sees a broken transfer rather than a short file.
			s.logRequestError(c, "streaming CSV", err)
			panic(http.ErrAbortHandler)
		}
		return err
	}
	if !started {
		c.Response().WriteHeader(http.StatusOK)
		w.Write(actorfile.CSVHeader)
	}
	w.Flush()
	return w.Error()
}
