package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"
	"golang.org/x/time/rate"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
)

// GeocodingStore lists the actors whose point a person should check and
// places them at one of their candidates.
type GeocodingStore interface {
	FindReviews(ctx context.Context, limit, offset int) ([]geo.Review, int, error)
	ChooseCandidate(ctx context.Context, id int64, index int) (*geo.Actor, error)
}

// candidateJSON is a geocoder's candidate as the API shows it.
type candidateJSON struct {
	Index    int              `json:"index"`
	Label    string           `json:"label"`
	Score    float64          `json:"score"`
	Type     string           `json:"type"`
	Postcode string           `json:"postcode,omitempty"`
	Citycode string           `json:"citycode,omitempty"`
	City     string           `json:"city,omitempty"`
	Geocoder string           `json:"geocoder"`
	Location *actorfile.Point `json:"location"`
}

func newCandidatesJSON(cands []geo.Candidate) []candidateJSON {
	out := make([]candidateJSON, len(cands))
	for i, c := range cands {
		p := c.Point
		out[i] = candidateJSON{Index: i, Label: c.Label, Score: math.Round(c.Score*1000) / 1000, Type: c.Type,
			Postcode: c.Postcode, Citycode: c.Citycode, City: c.City, Geocoder: c.Geocoder, Location: actorfile.NewPoint(&p)}
	}
	return out
}

// searchAddress answers GET /api/geocode?q=...&autocomplete=1: the
// candidates of the configured geocoders (through the cache) for the
// page's search box.
func (s *Server) searchAddress(c *echo.Context) error {
	p := readParams(c, "q", "autocomplete", "limit", "postcode", "citycode", "type")
	q := geo.GeocodeQuery{Q: p.str("q"), Postcode: p.str("postcode"), Citycode: p.str("citycode"),
		Type: p.str("type"), Limit: p.intIn("limit", 5, 1, 10), Autocomplete: p.intIn("autocomplete", 0, 0, 1) == 1}
	switch n := len([]rune(q.Q)); {
	case n < 3:
		p.errs.Add("q", "at least 3 characters")
	case n > 200:
		p.errs.Add("q", "at most 200 characters")
	}
	switch q.Type {
	case "", geo.TypeHousenumber, geo.TypeStreet, geo.TypeLocality, geo.TypeMunicipality:
	default:
		p.errs.Add("type", "housenumber, street, locality or municipality")
	}
	if err := p.err(); err != nil {
		return err
	}
	if s.Geocoder == nil {
		return geo.Errorf(geo.EUnavailable, "no geocoder is configured (MAILLAGE_GEOCODER)")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 15*time.Second)
	defer cancel()
	cands, err := s.Geocoder.Geocode(ctx, q)
	if u, ok := geo.Unavailable(err); ok {
		if len(u.Partial) == 0 {
			s.logger.Warn("geocoder unavailable", "err", err)
			return geo.Errorf(geo.EUnavailable, "the geocoder does not answer; try again in a moment")
		}
		cands, err = u.Partial, nil
	}
	if err != nil {
		return err
	}
	if len(cands) > q.Limit {
		cands = cands[:q.Limit]
	}
	return c.JSON(http.StatusOK, listPage[candidateJSON]{Items: newCandidatesJSON(cands), Total: len(cands)})
}

// reviewJSON is an actor to review with its candidates.
type reviewJSON struct {
	Actor      actorfile.JSON  `json:"actor"`
	Candidates []candidateJSON `json:"candidates"`
}

// listReviews answers GET /api/geocoding/review: the actors whose point
// a person should check (geocoding.state "review") or place (state
// "failed"), with the geocoders' candidates.
func (s *Server) listReviews(c *echo.Context) error {
	p := readParams(c, "limit", "offset")
	limit := p.intIn("limit", 50, 1, s.opts.PageMax)
	offset := p.intIn("offset", 0, 0, 1<<30)
	if err := p.err(); err != nil {
		return err
	}
	reviews, total, err := s.Geocoding.FindReviews(c.Request().Context(), limit, offset)
	if err != nil {
		return err
	}
	page := listPage[reviewJSON]{Items: make([]reviewJSON, len(reviews)), Total: total}
	for i, r := range reviews {
		page.Items[i] = reviewJSON{Actor: newActorJSON(r.Actor, keeper(c)), Candidates: newCandidatesJSON(r.Candidates)}
	}
	if offset+len(reviews) < total {
		next := s.nextURL(c, offset+limit)
		page.Next = &next
	}
	return c.JSON(http.StatusOK, page)
}

const locationBodyHelp = `a GeoJSON Point {"type": "Point", "coordinates": [lon, lat]} or {"candidate": index}`

// setLocation answers PUT /api/actors/{id}/location: a GeoJSON Point
// places the actor by hand (source "manual", never replaced by a
// geocoder); {"candidate": i} places it at its i-th geocoding candidate.
func (s *Server) setLocation(c *echo.Context) error {
	id, err := idParam(c.Param("id"))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	var in struct {
		Type        string          `json:"type"`
		Coordinates []float64       `json:"coordinates"`
		Candidate   json.RawMessage `json:"candidate"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	bad := &geo.Error{Code: geo.EInvalid, Message: "invalid location", Fields: map[string]string{"location": locationBodyHelp}}
	if err := dec.Decode(&in); err != nil {
		if f, ok := unknownField(err); ok {
			bad.Fields = map[string]string{f: "unknown field; send " + locationBodyHelp}
		}
		return bad
	}
	ctx := c.Request().Context()
	var a *geo.Actor
	switch {
	case in.Candidate != nil && in.Type == "" && in.Coordinates == nil:
		index, err := strconv.Atoi(string(bytes.TrimSpace(in.Candidate)))
		if err != nil {
			return &geo.Error{Code: geo.EInvalid, Message: "invalid location", Fields: map[string]string{"candidate": "an integer index"}}
		}
		a, err = s.Geocoding.ChooseCandidate(ctx, id, index)
		if err != nil {
			return err
		}
	case in.Candidate == nil && in.Type == "Point" && len(in.Coordinates) == 2:
		p := geo.Point{Lon: in.Coordinates[0], Lat: in.Coordinates[1]}
		a, err = s.Actors.UpdateActor(ctx, id, geo.ActorUpdate{Location: &p})
		if err != nil {
			return err
		}
	default:
		return bad
	}
	return c.JSON(http.StatusOK, s.writtenActorJSON(c.Request().Context(), a, keeper(c)))
}

// limitPerIP refuses with 429 the clients that send more than perMinute
// requests a minute (in bursts of up to perMinute/4), each client known
// by its IP address.
func (s *Server) limitPerIP(perMinute int) echo.MiddlewareFunc {
	limits := newIPLimiters(rate.Limit(float64(perMinute)/60), max(1, perMinute/4))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			if perMinute <= 0 {
				return next(c)
			}
			var allowed bool
			limits.with(c.RealIP(), time.Now(), func(lim *rate.Limiter) { allowed = lim.Allow() })
			if !allowed {
				wait := max(1, int(math.Ceil(60/float64(perMinute))))
				c.Response().Header().Set("Retry-After", strconv.Itoa(wait))
				return c.JSON(http.StatusTooManyRequests, errorBody{Error: "too many requests: try again in a moment"})
			}
			return next(c)
		}
	}
}
