package handlers

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// listPage is the shape of every list the API returns.
type listPage[T any] struct {
	Items []T     `json:"items"`
	Total int     `json:"total"`
	Next  *string `json:"next"`
}

// readActorFilter reads the filters shared by the actor list and exports:
// sectors, q, bbox and status. Anonymous callers see published actors
// only; keepers see every status unless status narrows it.
func (s *Server) readActorFilter(c *echo.Context, p *params) (geo.ActorFilter, error) {
	f := geo.ActorFilter{Q: p.str("q"), BBox: p.bbox("bbox"), Sectors: p.list("sectors")}
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
	p := readParams(c, "sectors", "q", "bbox", "status", "limit", "offset")
	f, err := s.readActorFilter(c, p)
	if err != nil {
		return err
	}
	f.Limit = p.intIn("limit", 50, 1, s.opts.PageMax)
	f.Offset = p.intIn("offset", 0, 0, 1<<30)
	if err := p.err(); err != nil {
		return err
	}
	actors, total, err := s.Actors.FindActors(c.Request().Context(), f)
	if err != nil {
		return err
	}
	page := listPage[actorJSON]{Items: make([]actorJSON, len(actors)), Total: total}
	for i, a := range actors {
		page.Items[i] = newActorJSON(a, keeper(c))
	}
	if f.Offset+len(actors) < total {
		next := nextURL(c, f.Offset+f.Limit)
		page.Next = &next
	}
	return c.JSON(http.StatusOK, page)
}

// nextURL is the URL of the request with offset replaced.
func nextURL(c *echo.Context, offset int) string {
	r := c.Request()
	q := r.URL.Query()
	q.Set("offset", strconv.Itoa(offset))
	u := url.URL{Scheme: c.Scheme(), Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	return u.String()
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
	return c.JSON(http.StatusOK, newActorJSON(a, keeper(c)))
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
	return c.JSON(http.StatusCreated, newActorJSON(a, keeper(c)))
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
	return c.JSON(http.StatusOK, newActorJSON(a, keeper(c)))
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
	Type       string       `json:"type"`
	ID         int64        `json:"id"`
	Geometry   *pointJSON   `json:"geometry"`
	Properties featureProps `json:"properties"`
}

// actorsGeoJSON answers GET /api/actors.geojson: the located actors
// matching the filters as a FeatureCollection of at most GeoJSONMax
// features, saying when it was cut.
func (s *Server) actorsGeoJSON(c *echo.Context) error {
	p := readParams(c, "sectors", "q", "bbox", "status", "limit")
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
	actors, total, err := s.Actors.FindActors(ctx, f)
	if err != nil {
		return err
	}
	attribution, err := s.attribution(c, actors)
	if err != nil {
		return err
	}
	fc := struct {
		Type           string        `json:"type"`
		Attribution    string        `json:"attribution"`
		NumberMatched  int           `json:"numberMatched"`
		NumberReturned int           `json:"numberReturned"`
		Truncated      bool          `json:"truncated"`
		Features       []featureJSON `json:"features"`
	}{Type: "FeatureCollection", Attribution: attribution, NumberMatched: total,
		NumberReturned: len(actors), Truncated: len(actors) < total, Features: make([]featureJSON, len(actors))}
	k := keeper(c)
	for i, a := range actors {
		fc.Features[i] = featureJSON{Type: "Feature", ID: a.ID, Geometry: newPointJSON(a.Location),
			Properties: featureProps{ID: a.ID, Name: a.Name, Sectors: nonNil(a.Sectors), Kind: a.Kind,
				Street: a.Address.Street, Postcode: a.Address.Postcode, City: a.Address.City,
				Website: a.Website, Source: a.Source}}
		if a.ContactPublic || k != nil {
			fc.Features[i].Properties.Email, fc.Features[i].Properties.Phone = a.Email, a.Phone
		}
		if k != nil {
			fc.Features[i].Properties.Status = string(a.Status)
		}
	}
	c.Response().Header().Set("Content-Type", "application/geo+json")
	c.Response().WriteHeader(http.StatusOK)
	return json.NewEncoder(c.Response()).Encode(fc)
}

// attribution returns the attributions the sources of actors require,
// in one sentence.
func (s *Server) attribution(c *echo.Context, actors []*geo.Actor) (string, error) {
	all, err := s.Actors.Attributions(c.Request().Context())
	if err != nil {
		return "", err
	}
	used := make(map[string]string)
	for _, a := range actors {
		if attr, ok := all[a.Source]; ok {
			used[a.Source] = attr
		}
	}
	return JoinAttributions(used), nil
}

// JoinAttributions returns the distinct attributions of a map from source
// to attribution, sorted, as one sentence.
func JoinAttributions(bySource map[string]string) string {
	list := make([]string, 0, len(bySource))
	for _, a := range bySource {
		if !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	slices.Sort(list)
	return strings.Join(list, " ; ")
}

// CSVHeader is the header of actor CSV exports, which maillage import reads
// back.
var CSVHeader = []string{"id", "name", "sectors", "kind", "legal_form_code", "legal_form",
	"ess_family", "naf", "siret", "address", "postcode", "city", "citycode", "longitude", "latitude",
	"location_source", "website", "email", "phone", "description", "networks", "projects",
	"expertise", "status", "source", "attribution", "created_at", "updated_at"}

// CSVRecord is a in the columns of CSVHeader. Contacts appear when
// withContacts or when the actor consented to their publication.
func CSVRecord(a *geo.Actor, attribution string, withContacts bool) []string {
	lon, lat := "", ""
	if a.Location != nil {
		lon = strconv.FormatFloat(a.Location.Lon, 'f', -1, 64)
		lat = strconv.FormatFloat(a.Location.Lat, 'f', -1, 64)
	}
	email, phone := "", ""
	if withContacts || a.ContactPublic {
		email, phone = a.Email, a.Phone
	}
	return []string{strconv.FormatInt(a.ID, 10), a.Name, strings.Join(a.Sectors, "|"), a.Kind,
		a.LegalForm.Code, a.LegalForm.Label, a.LegalForm.Family, a.NAF, a.SIRET, a.Address.Street,
		a.Address.Postcode, a.Address.City, a.Address.Citycode, lon, lat, a.Geocoding.Source,
		a.Website, email, phone, a.Description, strings.Join(a.Networks, "|"),
		strings.Join(a.Projects, "|"), strings.Join(a.Expertise, "|"), string(a.Status), a.Source,
		attribution, a.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"),
		a.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z")}
}

// actorsCSV answers GET /api/actors.csv: every actor matching the filters,
// streamed, each row with the attribution its source requires.
func (s *Server) actorsCSV(c *echo.Context) error {
	p := readParams(c, "sectors", "q", "bbox", "status")
	f, err := s.readActorFilter(c, p)
	if err != nil {
		return err
	}
	if err := p.err(); err != nil {
		return err
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
			if err := w.Write(CSVHeader); err != nil {
				return err
			}
		}
		return w.Write(CSVRecord(a, attributions[a.Source], k != nil))
	})
	if err != nil {
		if started {
			// Too late for an error status: cut the body short so the
			// client sees a broken transfer rather than a short file.
			s.logger.Error("streaming CSV", "err", err)
			panic(http.ErrAbortHandler)
		}
		return err
	}
	if !started {
		c.Response().WriteHeader(http.StatusOK)
		w.Write(CSVHeader)
	}
	w.Flush()
	return w.Error()
}

// exportProps are the properties of an exported feature: every public
// field of the actor and the attribution its source requires.
type exportProps struct {
	actorJSON
	Attribution string `json:"attribution,omitempty"`
}

// ExportFeature returns a as a GeoJSON Feature with its public fields, for
// exports; an actor without a point has a null geometry.
func ExportFeature(a *geo.Actor, attribution string) any {
	return struct {
		Type       string      `json:"type"`
		ID         int64       `json:"id"`
		Geometry   *pointJSON  `json:"geometry"`
		Properties exportProps `json:"properties"`
	}{"Feature", a.ID, newPointJSON(a.Location), exportProps{newActorJSON(a, nil), attribution}}
}
