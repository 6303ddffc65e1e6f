package handlers

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
)

// NearbyFinder finds the published actors nearest to a point.
type NearbyFinder interface {
	NearbyActors(ctx context.Context, q geo.NearbyQuery) ([]geo.NearActor, error)
}

// Limits of GET /api/actors/nearby.
const (
	nearbyLimitMax   = 100
	nearbyRadiusDef  = 50_000     // metres
	nearbyRadiusMax  = 20_000_000 // half the equator: everything
	nearbyDefaultLim = 10
)

// nearActorJSON is an actor with its distance in metres.
type nearActorJSON struct {
	actorfile.JSON
	DistanceM float64 `json:"distance_m"`
}

// nearbyActors answers GET /api/actors/nearby?lat=&lon=&limit=&radius_m=&sectors=:
// the published actors nearest to the point, nearest first, each with its
// distance in metres.
func (s *Server) nearbyActors(c *echo.Context) error {
	p := readParams(c, "lat", "lon", "limit", "radius_m", "sectors")
	q := geo.NearbyQuery{
		Point:   geo.Point{Lat: p.floatIn("lat", -90, 90), Lon: p.floatIn("lon", -180, 180)},
		Limit:   p.intIn("limit", nearbyDefaultLim, 1, nearbyLimitMax),
		RadiusM: nearbyRadiusDef,
		Sectors: p.list("sectors"),
	}
	if p.str("radius_m") != "" {
		q.RadiusM = p.floatIn("radius_m", 1, nearbyRadiusMax)
	}
	if err := p.err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if len(q.Sectors) > 0 {
		if err := s.checkSectors(ctx, q.Sectors); err != nil {
			return err
		}
	}
	found, err := s.Nearby.NearbyActors(ctx, q)
	if err != nil {
		return err
	}
	out := struct {
		Items []nearActorJSON `json:"items"`
	}{Items: make([]nearActorJSON, len(found))}
	for i, n := range found {
		out.Items[i] = nearActorJSON{newActorJSON(n.Actor, keeper(c)), n.DistanceM}
	}
	return c.JSON(http.StatusOK, out)
}

// floatIn reads a required number within [min, max].
func (p *params) floatIn(name string, min, max float64) float64 {
	s := p.str(name)
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case s == "":
		p.errs.Add(name, "required")
	case err != nil || !(f >= min && f <= max): // NaN is in no range
		p.errs.Add(name, "a number from "+strconv.FormatFloat(min, 'f', -1, 64)+" to "+strconv.FormatFloat(max, 'f', -1, 64))
	}
	return f
}
