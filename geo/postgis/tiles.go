package postgis

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/tiles"
)

// tilesChannel is the LISTEN/NOTIFY channel on which every write the tiles
// show announces the new data version.
const tilesChannel = "maillage_tiles"

// TileStore makes Mapbox Vector Tiles of the published actors in PostGIS.
//
// It has a pool of its own, whose sessions run without parallel workers
// and without JIT: on tile queries both cost more than they save (parallel
// plans cost 1.7x at zoom 6 and 3.6x at zoom 10 on 1.5 M points), and
// setting them per session saves the three round trips of BEGIN, SET LOCAL
// and COMMIT around every tile. Its sessions also plan each tile statement
// once (see TilePool), and its connections are opened and warmed before
// the store is returned.
type TileStore struct {
	db   *DB
	pool *pgxpool.Pool
	// everyActor: no density threshold (TilePool.EveryActor).
	everyActor bool
}

// TilePool sets up the pool of a tile store.
type TilePool struct {
	// MaxConns is the most connections of the pool; 0: pgxpool's default.
	MaxConns int32
	// CustomPlans lets PostgreSQL plan each tile anew, as it does by
	// default (plan_cache_mode auto), instead of using one generic plan
	// per connection from the first tile. With custom plans a new
	// connection spends 0.35-0.5 ms planning a light tile that takes
	// 0.11 ms to run, and keeps doing so until the average planned cost
	// exceeds the generic plan's, which light tiles alone never reach.
	// For comparison in the bench.
	CustomPlans bool
	// EveryActor turns the density threshold off: every actor is a
	// feature from the actor zoom on, however many share a cell, as
	// before density-aware tiles (see DenseCellThreshold). For comparison
	// in the bench.
	EveryActor bool
	// Cold opens connections on demand, under load, and does not prepare
	// their statements in advance. For comparison in the bench.
	Cold bool
}

// NewTileStore returns a tile store on db, with its own pool of at most
// maxConns connections (0: pgxpool's default). Close it before db.
func NewTileStore(ctx context.Context, db *DB, maxConns int32) (*TileStore, error) {
	return NewTileStoreWith(ctx, db, TilePool{MaxConns: maxConns})
}

// NewTileStoreWith returns a tile store on db whose pool is set up by p.
// Unless p.Cold, every connection is opened now and each new connection
// prepares and runs the tile statements on an empty tile before its first
// use, so that no tile pays for planning. Close it before db.
func NewTileStoreWith(ctx context.Context, db *DB, p TilePool) (*TileStore, error) {
	cfg := db.Pool.Config().Copy()
	cfg.ConnConfig.RuntimeParams["max_parallel_workers_per_gather"] = "0"
	cfg.ConnConfig.RuntimeParams["jit"] = "off"
	if !p.CustomPlans {
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	if p.MaxConns > 0 {
		cfg.MaxConns = p.MaxConns
	}
	if !p.Cold {
		cfg.MinConns = cfg.MaxConns
		cfg.AfterConnect = warmTileConn
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if !p.Cold {
		if err := openAll(ctx, pool); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return &TileStore{db: db, pool: pool, everyActor: p.EveryActor}, nil
}

// warmTileConn runs each tile statement once on an empty tile (in the
// Arctic, at the top left corner of the grid), so that the connection
// holds them prepared, with their generic plans, before its first tile.
func warmTileConn(ctx context.Context, conn *pgx.Conn) error {
	empty := func(z int) tiles.Tile { return tiles.Tile{Z: z, X: 0, Y: 0} }
	territory, territoryArgs := TerritoryTileSQL(empty(tiles.ClusterZooms))
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{clusterTileSQL, []any{tiles.ClusterZooms - 1, 0, 0, []string{""}}},
		{cellTileSQL, []any{tiles.ClusterZooms - 1, 0, 0, nil}},
		{actorTileSQL, []any{tiles.ClusterZooms, 0, 0, nil}},
		{denseTileSQL, []any{tiles.ClusterZooms, 0, 0, nil, DenseCellThreshold(tiles.ClusterZooms)}},
		{denseFilteredTileSQL, []any{tiles.ClusterZooms, 0, 0, []string{""}, DenseCellThreshold(tiles.ClusterZooms)}},
		{territory, territoryArgs},
	} {
		rows, err := conn.Query(ctx, q.sql, q.args...)
		if err != nil {
			return err
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("warming a tile connection: %w", err)
		}
	}
	return nil
}

// Close closes the store's pool.
func (s *TileStore) Close() { s.pool.Close() }

// withTileConstants writes the tile constants into a tile query, where
// {extent} and {buffer} stand for tiles.Extent and tiles.Buffer.
func withTileConstants(query string) string {
	return strings.NewReplacer("{extent}", strconv.Itoa(tiles.Extent), "{buffer}", strconv.Itoa(tiles.Buffer)).
		Replace(query)
}

// tileSpace is the affine transform from web mercator to the extent x
// extent space of tile ($1, $2, $3), with the very operations of
// ST_AsMVTGeom (PostGIS 3.3 mvt_geom: x * fx + -xmin * fx, then rint), so that the
// tile queries compute a point's tile coordinates with arithmetic instead
// of building, transforming and serialising a geometry per feature
// (TestTileSQLMatchesAsMVTGeom checks that the tiles are byte for byte
// those of ST_AsMVTGeom). MATERIALIZED: computed once per tile, also under
// a generic plan, where ST_TileEnvelope($1, $2, $3) would otherwise be
// evaluated for every row.
const tileSpace = `
	WITH e AS MATERIALIZED (
		SELECT {extent} / (ST_XMax(b) - ST_XMin(b)) AS fx, -({extent} / (ST_YMax(b) - ST_YMin(b))) AS fy,
			ST_XMin(b) AS xmin, ST_YMax(b) AS ymax
		FROM (SELECT ST_TileEnvelope($1, $2, $3)::box2d AS b) t)`

// clusterTileSQL is a tile of clusters across sectors: each non-empty
// cell of the tile's grid (tiles.GridSize cells a side) is one point at
// its members' centroid, with their exact count ("count"), the count of
// each sector ("sectors": "slug:n" joined by commas, most numerous first,
// then by sector position), in the layer of its most numerous sector. A
// sector filter keeps the actors with any of their sectors in it, and
// lists only its sectors in "sectors": each actor still counts once in
// "count", so a client shows a filter's exact counts by asking for the
// filtered tiles. The tile_cell type's "sets" attribute is left null (and
// ST_AsMVT leaves a null out): the per-sector-set counts it carried made
// nine tenths of a cluster tile's property bytes (issue 15). Centroids lie
// in their cell, so nothing is clipped (ST_AsMVTGeom(..., 0, false)
// before) and each cluster is in one tile only. Slugs are grouped and
// sorted in the "C" collation: byte order, several times cheaper than the
// database's.
var clusterTileSQL = withTileConstants(tileSpace + `,
	c AS MATERIALIZED (
		SELECT c.cx, c.cy, c.sectors, c.n, c.sx, c.sy
		FROM tile_clusters c
		WHERE c.z = $1 AND c.tx = $2 AND c.ty = $3 AND c.n > 0
			AND ($4::text[] IS NULL OR c.sectors && $4)),
	bysector AS (
		SELECT p.cx, p.cy, string_agg(p.slug || ':' || p.n, ',' ORDER BY p.n DESC, sec.position) AS sectors
		FROM (
			SELECT c.cx, c.cy, s.slug COLLATE "C" AS slug, sum(c.n) AS n
			FROM c CROSS JOIN unnest(c.sectors) AS s(slug)
			WHERE $4::text[] IS NULL OR s.slug = ANY($4)
			GROUP BY 1, 2, 3) p JOIN sectors sec ON sec.slug = p.slug
		GROUP BY p.cx, p.cy),
	cells AS (
		SELECT c.cx, c.cy, sum(c.n)::integer AS n, sum(c.sx) AS sx, sum(c.sy) AS sy
		FROM c
		GROUP BY c.cx, c.cy)
	SELECT (SELECT version FROM tile_data_version),
		(SELECT string_agg(layer, ''::bytea) FROM (
			SELECT ST_AsMVT(ROW(k.n, b.sectors, NULL, ST_MakePoint(round(e.fx * (k.sx / k.n) + -e.xmin * e.fx),
					round(e.fy * (k.sy / k.n) + -e.ymax * e.fy)))::tile_cell,
				split_part(b.sectors, ':', 1) COLLATE "C", {extent}, 'geom') AS layer
			FROM e, cells k JOIN bysector b ON b.cx = k.cx AND b.cy = k.cy
			GROUP BY split_part(b.sectors, ':', 1) COLLATE "C") layers)`)

// cellTileSQL is clusterTileSQL without a sector filter, read from the
// cells kept whole by migration 0017 (tile_cells: count, centroid sums,
// "sectors" and layer per cell; migration 0021 dropped its "sets")
// instead of regrouping the sector sets of tile_clusters at each read.
// $4 is always null here; it keeps the parameters of the other tile
// queries.
var cellTileSQL = withTileConstants(tileSpace + `
	SELECT (SELECT version FROM tile_data_version),
		(SELECT string_agg(layer, ''::bytea) FROM (
			SELECT ST_AsMVT(ROW(c.n, c.sectors, NULL, ST_MakePoint(round(e.fx * (c.sx / c.n) + -e.xmin * e.fx),
					round(e.fy * (c.sy / c.n) + -e.ymax * e.fy)))::tile_cell,
				c.layer, {extent}, 'geom') AS layer
			FROM e, tile_cells c
			WHERE c.z = $1 AND c.tx = $2 AND c.ty = $3 AND c.n > 0 AND $4::text[] IS NULL
			GROUP BY c.layer) layers)`)

// actorTileSQL is a tile of single actors: each actor once, in the layer
// of its primary sector (the first by position), with all its sectors as
// the property "sectors" (slugs joined by commas), and with the points of
// a buffer/extent margin around the tile so that symbols on the edge are
// drawn whole. A sector filter keeps an actor when any of its sectors is
// in it. The index finds the points of the buffered envelope; the test on
// the rounded tile coordinates is ST_AsMVTGeom's clip (..., buffer, true)
// of a point, which keeps -buffer <= x, y <= extent + buffer. The sectors
// are the actor's own list (actors.sector_slugs, migration 0011), not an
// aggregate of actor_sectors.
var actorTileSQL = withTileConstants(tileSpace + `
	SELECT (SELECT version FROM tile_data_version),
		(SELECT string_agg(layer, ''::bytea) FROM (
			SELECT ST_AsMVT(ROW(p.id, p.id, p.name, p.slugs[1], NULLIF(p.kind, ''),
					ST_MakePoint(p.x, p.y), array_to_string(p.slugs, ','))::tile_actor,
				p.slugs[1], {extent}, 'geom', 'fid') AS layer
			FROM (
				SELECT a.id, a.name, a.kind, a.sector_slugs AS slugs,
					round(e.fx * ST_X(a.location_3857) + -e.xmin * e.fx) AS x,
					round(e.fy * ST_Y(a.location_3857) + -e.ymax * e.fy) AS y
				FROM e, actors a
				WHERE a.status = 'published' AND cardinality(a.sector_slugs) > 0
					AND a.location_3857 && ST_TileEnvelope($1, $2, $3, margin => {buffer}.0 / {extent})
					AND ($4::text[] IS NULL OR a.sector_slugs && $4)) p
			WHERE p.x BETWEEN -{buffer} AND {extent} + {buffer} AND p.y BETWEEN -{buffer} AND {extent} + {buffer}
			GROUP BY p.slugs[1]) layers)`)

// Tile returns tile t as an MVT, one layer per sector (only those of
// sectors when not empty), and the data version it shows. An empty tile is
// nil. Zooms below clusterZoom (at most tiles.ClusterZooms) show clusters;
// from it, up to zoom 14, the dense cells of the zoom-11 grid stay clusters
// (see DenseCellThreshold) unless the store shows every actor.
func (s *TileStore) Tile(ctx context.Context, t tiles.Tile, sectors []string, clusterZoom int) ([]byte, int64, error) {
	var filter any
	if len(sectors) > 0 {
		filter = sectors
	}
	query := actorTileSQL
	args := []any{t.Z, t.X, t.Y, filter}
	switch {
	case t.Z < min(clusterZoom, tiles.ClusterZooms):
		query = clusterTileSQL
		if filter == nil {
			query = cellTileSQL
		}
	case denseZoom(t.Z) && !s.everyActor:
		query = denseFilteredTileSQL
		if filter == nil {
			query = denseTileSQL
		}
		args = append(args, DenseCellThreshold(t.Z))
	}
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

// DataVersion returns the current version of the data the tiles show.
func (s *TileStore) DataVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT version FROM tile_data_version`).Scan(&v)
	return v, err
}

// WatchTiles calls changed with the data version each time it changes,
// until ctx ends, listening on a connection of its own (see ListenTiles).
// Reconnection is retried with a backoff of up to retryMax.
func (s *TileStore) WatchTiles(ctx context.Context, retryMax time.Duration, changed func(version int64, ok bool)) {
	l := NewListener(s.db)
	s.ListenTiles(l, changed)
	l.Run(ctx, retryMax)
}

// ListenTiles has l call changed with the data version each time it
// changes: with the current version once listening, again after each
// reconnection (the notifications sent meanwhile are lost), and with ok
// false as soon as the connection fails, so that callers stop trusting
// what they cached.
func (s *TileStore) ListenTiles(l *Listener, changed func(version int64, ok bool)) {
	l.Listen(tilesChannel, Channel{
		Listening: func(ctx context.Context, conn *pgx.Conn) error {
			var v int64
			if err := conn.QueryRow(ctx, `SELECT version FROM tile_data_version`).Scan(&v); err != nil {
				return err
			}
			changed(v, true)
			return nil
		},
		Notified: func(_ context.Context, _ *pgx.Conn, payload string) error {
			v, err := strconv.ParseInt(payload, 10, 64)
			if err != nil {
				return fmt.Errorf("tile notification %q: %w", payload, err)
			}
			changed(v, true)
			return nil
		},
		Lost: func() { changed(0, false) },
	})
}

// Extent returns the bounds of the published located actors of sectors
// (every sector when empty), rounded outwards to the cells of zoom
// tiles.BoundsZoom (about 20 km), or nil when there are none.
func (s *TileStore) Extent(ctx context.Context, sectors []string) (*geo.BBox, error) {
	var filter any
	if len(sectors) > 0 {
		filter = sectors
	}
	var minCol, minRow, maxCol, maxRow *int
	err := s.pool.QueryRow(ctx, `
		SELECT min(tx * $2 + cx), min(ty * $2 + cy), max(tx * $2 + cx), max(ty * $2 + cy)
		FROM tile_clusters
		WHERE z = $3 AND n > 0 AND ($1::text[] IS NULL OR sectors && $1)`,
		filter, tiles.GridSize, tiles.BoundsZoom).
		Scan(&minCol, &minRow, &maxCol, &maxRow)
	if err != nil || minCol == nil {
		return nil, err
	}
	// A cell of zoom z is the tile of zoom z + GridBits it covers.
	const cellZoom = tiles.BoundsZoom + tiles.GridBits
	nw := tiles.Tile{Z: cellZoom, X: *minCol, Y: *minRow}.Bounds()
	se := tiles.Tile{Z: cellZoom, X: *maxCol, Y: *maxRow}.Bounds()
	return &geo.BBox{MinLon: nw.MinLon, MinLat: se.MinLat, MaxLon: se.MaxLon, MaxLat: nw.MaxLat}, nil
}
