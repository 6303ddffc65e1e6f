package handlers

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
	"github.com/maillage/maillage/geo/territoryfile"
)

// TerritoryStore finds communes, EPCI, départements and regions.
type TerritoryStore interface {
	FindTerritories(ctx context.Context, f geo.TerritoryFilter) ([]*geo.Territory, error)
	// FindTerritory returns ENotFound for an unknown code; level "" takes
	// the finest level with that code.
	FindTerritory(ctx context.Context, level, code string, geometry bool) (*geo.Territory, error)
}

// TerritoryImporter imports a file of territories.
type TerritoryImporter interface {
	Import(ctx context.Context, r io.Reader, filename string, opt territoryfile.Options, progress func(done, total int)) (*geo.TerritoryImportResult, error)
}

// territoryJSON is a territory as the API shows it.
type territoryJSON struct {
	Level          string           `json:"level"`
	Code           string           `json:"code"`
	Name           string           `json:"name"`
	Population     *int             `json:"population"`
	EPCI           string           `json:"epci,omitempty"`
	Departement    string           `json:"departement,omitempty"`
	Region         string           `json:"region,omitempty"`
	Postcodes      []string         `json:"postcodes,omitempty"`
	Point          *actorfile.Point `json:"point"`
	BBox           *[4]float64      `json:"bbox"`
	GeometrySource string           `json:"geometry_source"`
	Geometry       json.RawMessage  `json:"geometry,omitempty"`
	UpdatedAt      time.Time        `json:"updated_at"`
}

func newTerritoryJSON(t *geo.Territory) territoryJSON {
	j := territoryJSON{Level: t.Level, Code: t.Code, Name: t.Name, Population: t.Population, EPCI: t.EPCI,
		Departement: t.Departement, Region: t.Region, Postcodes: t.Postcodes, Point: actorfile.NewPoint(t.Point),
		GeometrySource: t.GeomSource, UpdatedAt: t.UpdatedAt}
	if t.Level != geo.LevelCommune {
		j.Postcodes = nil
	}
	if t.BBox != nil {
		j.BBox = &[4]float64{t.BBox.MinLon, t.BBox.MinLat, t.BBox.MaxLon, t.BBox.MaxLat}
	}
	if len(t.Geometry) > 0 {
		j.Geometry = t.Geometry
	}
	return j
}

// levels reads a comma-separated list of levels of territories.
func (p *params) levels(name string) []string {
	var out []string
	for _, l := range p.list(name) {
		if geo.LevelRank(l) < 0 {
			p.errs.Add(name, "commune, epci, departement or region")
			return nil
		}
		out = append(out, l)
	}
	return out
}

// within reads a territory given as its code ("29", "242900314") or as
// level:code ("region:53"): a plain code is the finest territory with it.
// It adds an error naming the parameter when the territory is unknown.
func (s *Server) within(ctx context.Context, p *params, name string) (*geo.Territory, error) {
	v := p.str(name)
	if v == "" {
		return nil, nil
	}
	level, code, ok := strings.Cut(v, ":")
	if !ok {
		level, code = "", v
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	switch {
	case level != "" && geo.LevelRank(level) < 0:
		p.errs.Add(name, "a territory code, or level:code with level commune, epci, departement or region")
		return nil, nil
	case level != "" && !geo.ValidTerritoryCode(level, code), level == "" && len(geo.LevelsOfCode(code)) == 0:
		p.errs.Add(name, "not a territory code (INSEE commune code, EPCI SIREN, département or region code)")
		return nil, nil
	}
	t, err := s.Territories.FindTerritory(ctx, level, code, false)
	if geo.ErrorCode(err) == geo.ENotFound {
		p.errs.Add(name, "no territory with code "+code+" (see /api/territories)")
		return nil, nil
	}
	return t, err
}

// listTerritories answers GET /api/territories: territories by level,
// inside a territory (within), or by name (q).
func (s *Server) listTerritories(c *echo.Context) error {
	p := readParams(c, "level", "within", "q", "limit")
	f := geo.TerritoryFilter{Levels: p.levels("level"), Q: p.str("q"), Limit: p.intIn("limit", 100, 1, 1000)}
	if len(f.Q) > 100 {
		p.errs.Add("q", "at most 100 characters")
	}
	w, err := s.within(c.Request().Context(), p, "within")
	if err != nil {
		return err
	}
	if err := p.err(); err != nil {
		return err
	}
	if w != nil {
		f.Within = &geo.TerritoryRef{Level: w.Level, Code: w.Code, Name: w.Name}
	}
	found, err := s.Territories.FindTerritories(c.Request().Context(), f)
	if err != nil {
		return err
	}
	items := make([]territoryJSON, len(found))
	for i, t := range found {
		items[i] = newTerritoryJSON(t)
	}
	return c.JSON(http.StatusOK, listPage[territoryJSON]{Items: items, Total: len(items)})
}

// getTerritory answers GET /api/territories/{code}, with its polygon as a
// GeoJSON geometry; level picks between a département and a region of the
// same code. 404 for an unknown code.
func (s *Server) getTerritory(c *echo.Context) error {
	p := readParams(c, "level")
	levels := p.levels("level")
	if len(levels) > 1 {
		p.errs.Add("level", "one level")
	}
	if err := p.err(); err != nil {
		return err
	}
	level := ""
	if len(levels) == 1 {
		level = levels[0]
	}
	code := strings.ToUpper(c.Param("code"))
	if len(geo.LevelsOfCode(code)) == 0 {
		return geo.Errorf(geo.ENotFound, "territory %s not found", code)
	}
	t, err := s.Territories.FindTerritory(c.Request().Context(), level, code, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newTerritoryJSON(t))
}

// territoryImportFields are the form fields POST /api/territories/imports
// accepts beside file.
var territoryImportFields = []string{"level", "dry_run"}

// importTerritories answers POST /api/territories/imports: a multipart form
// with the file in field "file", and optionally level and dry_run. The
// answer is the import report: rows kept, rows skipped with their reason.
func (s *Server) importTerritories(c *echo.Context) error {
	r := c.Request()
	u, err := readUpload(r, territoryImportFields)
	if err != nil {
		return err
	}
	defer u.remove(r)
	opt := territoryfile.Options{Level: u.Value("level"), DryRun: u.boolean("dry_run")}
	if opt.Level != "" && geo.LevelRank(opt.Level) < 0 {
		u.errs.Add("level", "commune, epci, departement or region")
	}
	if err := u.errs.Err(); err != nil {
		return err
	}
	f, err := u.File.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := s.TerritoryImporter.Import(r.Context(), f, u.File.Filename, opt, nil)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
