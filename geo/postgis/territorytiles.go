package postgis

import (
	"context"

	"github.com/maillage/maillage/tiles"
)

// territoryTileSQL is a tile of territories, in four layers:
// "departements" (every zoom), "epci" (from zoom 8) and "communes" (from
// zoom 9), polygons simplified to about a pixel of a 256-pixel tile, with
// code, name, level and population; and "labels", points (the reference
// point) with the same properties: départements to zoom 9, EPCI at zooms 9
// and 10, communes from zoom 11. $4 is the simplification tolerance in
// metres.
const territoryTileSQL = `
	WITH e AS MATERIALIZED (
		SELECT ST_TileEnvelope($1, $2, $3) AS env, ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096) AS buffered)
	SELECT (SELECT version FROM tile_data_version),
		(SELECT string_agg(layer, ''::bytea) FROM (
			SELECT ST_AsMVT(f, 'departements', 4096, 'geom') AS layer FROM (
				SELECT t.code, t.name, t.level, t.population,
					ST_AsMVTGeom(ST_Simplify(t.geom_3857, $4, true), e.env, 4096, 64, true) AS geom
				FROM territories t, e
				WHERE t.level = 'departement' AND t.geom_3857 && e.buffered) f
			WHERE f.geom IS NOT NULL
			UNION ALL
			SELECT ST_AsMVT(f, 'epci', 4096, 'geom') FROM (
				SELECT t.code, t.name, t.level, t.population,
					ST_AsMVTGeom(ST_Simplify(t.geom_3857, $4, true), e.env, 4096, 64, true) AS geom
				FROM territories t, e
				WHERE $1 >= 8 AND t.level = 'epci' AND t.geom_3857 && e.buffered) f
			WHERE f.geom IS NOT NULL
			UNION ALL
			SELECT ST_AsMVT(f, 'communes', 4096, 'geom') FROM (
				SELECT t.code, t.name, t.level, t.population,
					ST_AsMVTGeom(ST_Simplify(t.geom_3857, $4, true), e.env, 4096, 64, true) AS geom
				FROM territories t, e
				WHERE $1 >= 9 AND t.level = 'commune' AND t.geom_3857 && e.buffered) f
			WHERE f.geom IS NOT NULL
			UNION ALL
			SELECT ST_AsMVT(f, 'labels', 4096, 'geom') FROM (
				SELECT t.code, t.name, t.level, t.population,
					ST_AsMVTGeom(ST_Transform(t.ref_point, 3857), e.env, 4096, 64, true) AS geom
				FROM territories t, e
				WHERE ST_Transform(t.ref_point, 3857) && e.buffered
					AND CASE t.level WHEN 'departement' THEN $1 BETWEEN 5 AND 9
						WHEN 'epci' THEN $1 BETWEEN 9 AND 10
						WHEN 'commune' THEN $1 >= 11 ELSE false END) f
			WHERE f.geom IS NOT NULL) layers)`

// TerritoryTileSQL returns the statement and arguments of the territory
// tile t, so that measures run the very same SQL.
func TerritoryTileSQL(t tiles.Tile) (string, []any) {
	// A pixel of a 256-pixel tile at zoom z, in web-mercator metres.
	tolerance := 40075016.685578488 / float64(uint64(256)<<uint(t.Z))
	return territoryTileSQL, []any{t.Z, t.X, t.Y, tolerance}
}

// TerritoryTile returns tile t of the territories (nil when empty) and the
// data version it shows.
func (s *TileStore) TerritoryTile(ctx context.Context, t tiles.Tile) ([]byte, int64, error) {
	query, args := TerritoryTileSQL(t)
	var version int64
	var mvt []byte
	if err := s.pool.QueryRow(ctx, query, args...).Scan(&version, &mvt); err != nil {
		return nil, 0, err
	}
	if len(mvt) == 0 {
		mvt = nil
	}
	return mvt, version, nil
}
