package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/tiles"
)

// TerritoryTileStore makes the vector tiles of territories.
type TerritoryTileStore interface {
	// TerritoryTile returns tile t (nil when empty) with the data version
	// it shows.
	TerritoryTile(ctx context.Context, t tiles.Tile) ([]byte, int64, error)
	DataVersion(ctx context.Context) (int64, error)
}

// territoryTile answers GET /tiles/territories/{z}/{x}/{y}.mvt: boundaries
// of départements, EPCI (from zoom 8) and communes (from zoom 9), and their
// names as points; 204 when the tile is empty. Cached, with an ETag naming
// the data version, as the actor tiles are.
func (s *Server) territoryTile(c *echo.Context) error {
	p := readParams(c)
	y, ok := strings.CutSuffix(c.Param("y"), ".mvt")
	if !ok {
		p.errs.Add("y", "the tile URL ends in {y}.mvt")
	}
	t, err := tiles.Parse(c.Param("z"), c.Param("x"), y, s.opts.TileMaxZoom)
	if gerr, isGeo := err.(*geo.Error); isGeo {
		for f, reason := range gerr.Fields {
			p.errs.Add(f, reason)
		}
	}
	if err := p.err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	key := fmt.Sprintf("territories/%d/%d/%d", t.Z, t.X, t.Y)
	h := c.Response().Header()
	h.Set("Cache-Control", s.opts.TileCacheControl)
	h.Set("Access-Control-Allow-Origin", "*")

	version, known := int64(0), false
	if s.TileCache != nil {
		version, known = s.TileCache.Version()
	}
	if inm := c.Request().Header.Get("If-None-Match"); inm != "" {
		if !known {
			if version, err = s.TerritoryTiles.DataVersion(ctx); err != nil {
				return err
			}
			known = true
		}
		if etagMatch(inm, s.tileETag(key, version)) {
			h.Set("ETag", s.tileETag(key, version))
			return c.NoContent(http.StatusNotModified)
		}
	}
	var data []byte
	cached := false
	if known && s.TileCache != nil {
		data, cached = s.TileCache.Get(key)
	}
	if !cached {
		if data, version, err = s.TerritoryTiles.TerritoryTile(ctx, t); err != nil {
			return err
		}
		if s.TileCache != nil {
			s.TileCache.Put(key, version, data)
		}
	}
	h.Set("ETag", s.tileETag(key, version))
	if len(data) == 0 {
		return c.NoContent(http.StatusNoContent)
	}
	return c.Blob(http.StatusOK, mvtType, data)
}

// territoryTileFields are the properties of every territory feature.
var territoryTileFields = map[string]string{
	"code":       "String: INSEE code of a commune, SIREN of an EPCI, code of a département",
	"name":       "String: name",
	"level":      "String: commune, epci or departement",
	"population": "Number: inhabitants, when known (EPCI and départements: the sum of their communes)",
}

// territoryTileJSON answers GET /tiles/territories.json.
func (s *Server) territoryTileJSON(c *echo.Context) error {
	if err := readParams(c).err(); err != nil {
		return err
	}
	r := c.Request()
	u := url.URL{Scheme: c.Scheme(), Host: r.Host, Path: "/tiles/territories/"}
	doc := tileJSON{TileJSON: "3.0.0", Name: "maillage-territoires",
		Description: "Limites des départements, EPCI (zoom 8 et plus) et communes (zoom 9 et plus), et leurs noms",
		Scheme:      "xyz", Tiles: []string{u.String() + "{z}/{x}/{y}.mvt"}, MinZoom: 0, MaxZoom: s.opts.TileMaxZoom,
		Bounds: [4]float64{-180, -85.0511, 180, 85.0511},
		VectorLayers: []vectorLayer{
			{ID: "departements", Description: "Départements", Fields: territoryTileFields},
			{ID: "epci", Description: "EPCI (intercommunalités)", Fields: territoryTileFields},
			{ID: "communes", Description: "Communes", Fields: territoryTileFields},
			{ID: "labels", Description: "Noms des territoires (points)", Fields: territoryTileFields},
		}}
	if s.Coverage != nil {
		sources, err := s.Coverage.TerritoryAttributions(r.Context())
		if err != nil {
			return err
		}
		doc.Attribution = strings.Join(sources, " ; ")
	}
	h := c.Response().Header()
	h.Set("Cache-Control", s.opts.TileCacheControl)
	h.Set("Access-Control-Allow-Origin", "*")
	return c.JSON(http.StatusOK, doc)
}
