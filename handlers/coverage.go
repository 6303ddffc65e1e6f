package handlers

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
)

// CoverageStore computes the figures of coverage (geo/coverage.go).
type CoverageStore interface {
	// CoverageCommunes returns each commune's figures, the names of
	// q.Level's territories, the data version they show and when they
	// were computed.
	CoverageCommunes(ctx context.Context, q geo.CoverageQuery) (*geo.CommuneCoverage, error)
	// CoverageGeometries returns the GeoJSON polygon (or point) of
	// territories of level.
	CoverageGeometries(ctx context.Context, level string, codes []string) (map[string][]byte, error)
	TerritoryAttributions(ctx context.Context) ([]string, error)
}

// coverageLevels are the levels coverage is given for.
var coverageLevels = []string{geo.LevelCommune, geo.LevelEPCI, geo.LevelDepartement, geo.LevelRegion}

// maxRadiusKm bounds radius_km.
const maxRadiusKm = 1000

// readCoverageQuery reads within, level, sectors and radius_km, with an
// error naming each wrong one.
func (s *Server) readCoverageQuery(c *echo.Context, p *params) (geo.CoverageQuery, error) {
	ctx := c.Request().Context()
	q := geo.CoverageQuery{Level: geo.LevelCommune, RadiusKm: 10}
	w, err := s.within(ctx, p, "within")
	if err != nil {
		return q, err
	}
	if w != nil {
		q.Within = &geo.TerritoryRef{Level: w.Level, Code: w.Code, Name: w.Name}
	}
	if l := p.str("level"); l != "" {
		switch {
		case !slices.Contains(coverageLevels, l):
			p.errs.Add("level", "commune, epci, departement or region")
		case w != nil && geo.LevelRank(l) > geo.LevelRank(w.Level):
			p.errs.Add("level", fmt.Sprintf("%s is larger than the territory of within (a %s)", l, w.Level))
		default:
			q.Level = l
		}
	}
	q.Sectors = p.list("sectors")
	slices.Sort(q.Sectors)
	q.Sectors = slices.Compact(q.Sectors)
	if err := s.checkSectors(ctx, q.Sectors); err != nil {
		var gerr *geo.Error
		if !errors.As(err, &gerr) {
			return q, err
		}
		p.errs.Add("sectors", gerr.Fields["sectors"])
	}
	if r := p.str("radius_km"); r != "" {
		v, err := strconv.ParseFloat(strings.Replace(r, ",", ".", 1), 64)
		if err != nil || math.IsNaN(v) || v <= 0 || v > maxRadiusKm {
			p.errs.Add("radius_km", fmt.Sprintf("a number of kilometres greater than 0 and at most %d", maxRadiusKm))
		} else {
			q.RadiusKm = v
		}
	}
	return q, p.err()
}

// coverageKey names a query in the cache.
func coverageKey(q geo.CoverageQuery) string {
	w := ""
	if q.Within != nil {
		w = q.Within.Level + ":" + q.Within.Code
	}
	return fmt.Sprintf("coverage?within=%s&level=%s&sectors=%s&radius_km=%g", w, q.Level, strings.Join(q.Sectors, ","), q.RadiusKm)
}

// coverageBody is the JSON of /api/coverage: the coverage, the data
// version it shows and the sources of its data.
type coverageBody struct {
	*geo.Coverage
	Sources     []string `json:"sources"`
	DataVersion int64    `json:"data_version"`
	// Stored tells whether the figures come from the stored coverage
	// (computed_at: when it was computed) or were computed for this
	// request, because the stored figures of the sectors were not
	// current.
	Stored bool `json:"stored"`
}

// computeCoverage returns the JSON of the coverage of q, from the cache
// when the data has not changed since it was read from the stored
// coverage.
func (s *Server) computeCoverage(ctx context.Context, q geo.CoverageQuery) ([]byte, error) {
	key := coverageKey(q)
	if s.TileCache != nil {
		if _, known := s.TileCache.Version(); known {
			if data, ok := s.TileCache.Get(key); ok {
				return data, nil
			}
		}
	}
	cc, err := s.Coverage.CoverageCommunes(ctx, q)
	if err != nil {
		return nil, err
	}
	computedAt := s.opts.Now().UTC()
	if cc.ComputedAt != nil {
		computedAt = cc.ComputedAt.UTC()
	}
	body := coverageBody{Coverage: geo.BuildCoverage(q, cc.Communes, cc.Names, computedAt), DataVersion: cc.Version,
		Stored: cc.ComputedAt != nil}
	if body.Sources, err = s.coverageSources(ctx); err != nil {
		return nil, err
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	// Only the stored figures are kept: figures computed live because the
	// stored ones were not current would otherwise be served, at the same
	// data version, after the refresher has stored them.
	if s.TileCache != nil && body.Stored {
		s.TileCache.Put(key, cc.Version, data)
	}
	return data, nil
}

// coverageSources are the attributions of the territories and of the
// published actors.
func (s *Server) coverageSources(ctx context.Context) ([]string, error) {
	out, err := s.Coverage.TerritoryAttributions(ctx)
	if err != nil {
		return nil, err
	}
	actors, err := s.Actors.Attributions(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range actors {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// coverage answers GET /api/coverage?within=&level=&sectors=&radius_km=.
func (s *Server) coverage(c *echo.Context) error {
	p := readParams(c, "within", "level", "sectors", "radius_km")
	q, err := s.readCoverageQuery(c, p)
	if err != nil {
		return err
	}
	data, err := s.computeCoverage(c.Request().Context(), q)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.JSONBlob(http.StatusOK, data)
}

// readCoverage reads the query and returns the coverage it asks for.
func (s *Server) readCoverage(c *echo.Context) (*coverageBody, error) {
	p := readParams(c, "within", "level", "sectors", "radius_km")
	q, err := s.readCoverageQuery(c, p)
	if err != nil {
		return nil, err
	}
	data, err := s.computeCoverage(c.Request().Context(), q)
	if err != nil {
		return nil, err
	}
	var body coverageBody
	if err := json.Unmarshal(data, &body); err != nil {
		return nil, err
	}
	return &body, nil
}

// coverageGeoJSON answers GET /api/coverage.geojson: the same items as
// features with their polygon (or point), the summary and the sources.
func (s *Server) coverageGeoJSON(c *echo.Context) error {
	body, err := s.readCoverage(c)
	if err != nil {
		return err
	}
	codes := make([]string, len(body.Items))
	for i, it := range body.Items {
		codes[i] = it.Code
	}
	geoms, err := s.Coverage.CoverageGeometries(c.Request().Context(), body.Level, codes)
	if err != nil {
		return err
	}
	type feature struct {
		Type       string           `json:"type"`
		ID         string           `json:"id"`
		Geometry   json.RawMessage  `json:"geometry"`
		Properties geo.CoverageItem `json:"properties"`
	}
	features := make([]feature, len(body.Items))
	for i, it := range body.Items {
		g := json.RawMessage("null")
		if b, ok := geoms[it.Code]; ok {
			g = b
		}
		features[i] = feature{Type: "Feature", ID: it.Code, Geometry: g, Properties: it}
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.JSON(http.StatusOK, map[string]any{
		"type": "FeatureCollection", "features": features, "territory": body.Territory, "level": body.Level,
		"sectors": body.Sectors, "radius_km": body.RadiusKm, "summary": body.Summary,
		"computed_at": body.ComputedAt, "sources": body.Sources, "attribution": strings.Join(body.Sources, " ; "),
	})
}

// coverageCSVHeader is the header of /api/coverage.csv.
var coverageCSVHeader = []string{"code", "name", "level", "population", "actors", "per_10k", "nearest_km",
	"beyond_radius", "zone_blanche", "radius_km", "sectors", "computed_at", "sources"}

// coverageCSV answers GET /api/coverage.csv: one line per item, with the
// query and the sources repeated on each.
func (s *Server) coverageCSV(c *echo.Context) error {
	body, err := s.readCoverage(c)
	if err != nil {
		return err
	}
	name := "couverture"
	if body.Territory != nil {
		name += "-" + body.Territory.Code
	}
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	h.Set("Cache-Control", "no-cache")
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	w.Write(coverageCSVHeader)
	num := func(v *float64, prec int) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', prec, 64)
	}
	for _, it := range body.Items {
		pop := ""
		if it.Population != nil {
			pop = strconv.Itoa(*it.Population)
		}
		w.Write(actorfile.SpreadsheetSafe([]string{it.Code, it.Name, it.Level, pop, strconv.Itoa(it.Actors), num(it.Per10k, 2),
			num(it.NearestKm, 3), strconv.Itoa(it.BeyondRadius), strconv.FormatBool(it.ZoneBlanche),
			strconv.FormatFloat(body.RadiusKm, 'f', -1, 64), strings.Join(body.Sectors, "|"),
			body.ComputedAt.Format("2006-01-02T15:04:05Z"), strings.Join(body.Sources, " ; ")}))
	}
	w.Flush()
	return w.Error()
}

// coveragePage serves the coverage view (/couverture): a territory, its
// sectors and a radius, all kept in the URL.
func (s *Server) coveragePage(c *echo.Context) error {
	if err := readParams(c, "territoire", "secteurs", "rayon", "indicateur", "niveau").err(); err != nil {
		return err
	}
	return s.serveShell(c, "couverture.html", http.StatusOK, pageJSON{}, nil, "")
}
