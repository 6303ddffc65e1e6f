package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"

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
	t := s.tileParams(c, p)
	if err := p.err(); err != nil {
		return err
	}
	key := fmt.Sprintf("territories/%d/%d/%d", t.Z, t.X, t.Y)
	return s.serveTile(c, key, s.TerritoryTiles.DataVersion, func(ctx context.Context) ([]byte, int64, error) {
		return s.TerritoryTiles.TerritoryTile(ctx, t)
	})
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
	doc := tileJSON{TileJSON: "3.0.0", Name: "maillage-territoires",
		Description: "Limites des départements, EPCI (zoom 8 et plus) et communes (zoom 9 et plus), et leurs noms",
		Scheme:      "xyz", Tiles: []string{s.advertisedURL(c, "/tiles/territories/", nil) + "{z}/{x}/{y}.mvt"}, MinZoom: 0, MaxZoom: s.opts.TileMaxZoom,
		Bounds: [4]float64{-180, -85.0511, 180, 85.0511},
		VectorLayers: []vectorLayer{
			{ID: "departements", Description: "Départements", Fields: territoryTileFields},
			{ID: "epci", Description: "EPCI (intercommunalités)", Fields: territoryTileFields},
			{ID: "communes", Description: "Communes", Fields: territoryTileFields},
			{ID: "labels", Description: "Noms des territoires (points)", Fields: territoryTileFields},
		}}
	if s.Coverage != nil {
		sources, err := s.Coverage.TerritoryAttributions(c.Request().Context())
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
