package postgis_test

import (
	"context"
	"testing"
	"time"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/synth"
	"github.com/maillage/maillage/tiles"
)

// BenchmarkActorTiles times, in one run, the actor tiles of one feature
// per actor read from the actor's own sector list (migration 0011), those
// that aggregated each actor's sectors per tile, and those of one feature
// per actor and sector they both replaced, on 50,000 synthetic actors
// around Lyon, zooms 12 to 16, interleaved, and reports the ratios to the
// latter (ratio-aggregated, ratio-now).
func BenchmarkActorTiles(b *testing.B) {
	db, lyon := benchActors(b)
	ctx := context.Background()
	ts := tilesAround(lyon, 12, 16)
	run := func(query string) time.Duration {
		start := time.Now()
		for _, t := range ts {
			var v int64
			var mvt []byte
			if err := db.Pool.QueryRow(ctx, query, t.Z, t.X, t.Y, nil).Scan(&v, &mvt); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	// Warm the cache and go past the switch to generic plans.
	for range 6 {
		run(postgis.ActorTileSQL)
		run(postgis.AggregatedActorTileSQL)
		run(postgis.PerSectorActorTileSQL)
	}
	var perSector, aggregated, now time.Duration
	b.ResetTimer()
	for range b.N {
		perSector += run(postgis.PerSectorActorTileSQL)
		aggregated += run(postgis.AggregatedActorTileSQL)
		now += run(postgis.ActorTileSQL)
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N*len(ts)) }
	b.ReportMetric(per(perSector), "µs/tile-per-sector")
	b.ReportMetric(per(aggregated), "µs/tile-aggregated")
	b.ReportMetric(per(now), "µs/tile-now")
	b.ReportMetric(float64(aggregated)/float64(perSector), "ratio-aggregated")
	b.ReportMetric(float64(now)/float64(perSector), "ratio-now")
}

// BenchmarkClusterTiles times, in one run, the cluster tiles across
// sectors (one feature per cell with per-sector counts, from the table
// keyed by sector set) against the clusters of one grid per sector they
// replaced (from a table keyed by sector, built here as migration 0005
// kept it), on the same actors, zooms 5 to 11, interleaved, without and
// with a filter of two sectors, and reports the ratios (new / old) of each
// and of both, and the ratios to the old filtered tiles of two floors of a
// filtered tile of one feature per cell (regroupFloorSQL, countFloorSQL).
func BenchmarkClusterTiles(b *testing.B) {
	db, lyon := benchActors(b)
	ctx := context.Background()
	bySectorClusters(b, db)
	ts := tilesAround(lyon, 5, 11)
	run := func(query string, filter any) time.Duration {
		start := time.Now()
		for _, t := range ts {
			var v int64
			var mvt []byte
			if err := db.Pool.QueryRow(ctx, query, t.Z, t.X, t.Y, filter).Scan(&v, &mvt); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	filters := []any{nil, []string{"culture", "insertion"}}
	// The tile store reads unfiltered clusters from tile_cells (0017).
	across := func(f any) string {
		if f == nil {
			return postgis.CellTileSQL
		}
		return postgis.ClusterTileSQL
	}
	for range 6 {
		for _, f := range filters {
			run(bySectorSQL, f)
			run(across(f), f)
		}
		run(regroupFloorSQL, filters[1])
		run(countFloorSQL, filters[1])
	}
	// before[i], after[i]: without a filter (0) and with one (1); the
	// floors of a filtered tile across sectors, with a filter.
	var before, after [2]time.Duration
	var floorRegroup, floorCount time.Duration
	b.ResetTimer()
	for range b.N {
		for i, f := range filters {
			before[i] += run(bySectorSQL, f)
			after[i] += run(across(f), f)
		}
		floorRegroup += run(regroupFloorSQL, filters[1])
		floorCount += run(countFloorSQL, filters[1])
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N*len(ts)) }
	for i, name := range []string{"unfiltered", "filtered"} {
		b.ReportMetric(per(before[i]), "µs/tile-by-sector-"+name)
		b.ReportMetric(per(after[i]), "µs/tile-across-"+name)
		b.ReportMetric(float64(after[i])/float64(before[i]), "ratio-"+name)
	}
	b.ReportMetric(float64(after[0]+after[1])/float64(before[0]+before[1]), "ratio")
	b.ReportMetric(float64(floorRegroup)/float64(before[1]), "ratio-floor-regroup")
	b.ReportMetric(float64(floorCount)/float64(before[1]), "ratio-floor-count")
}

// regroupFloorSQL is a floor of any filtered tile of one feature per cell:
// the very rows the per-sector grid reads (bySectorSQL), grouped into one
// feature per cell with the "sectors" string and the sum of the sectors'
// counts (not exact: an actor with two of the filter's sectors counts
// twice), without "sets".
var regroupFloorSQL = postgis.TileQuery(`,
	k AS (
		SELECT s.cx, s.cy, sum(s.n)::integer AS n, sum(s.sx) AS sx, sum(s.sy) AS sy,
			string_agg(s.sector_slug || ':' || s.n, ',' ORDER BY s.n DESC, sec.position) AS sectors
		FROM tile_clusters_by_sector s JOIN sectors sec ON sec.slug = s.sector_slug
		WHERE s.z = $1 AND s.tx = $2 AND s.ty = $3 AND s.n > 0 AND s.sector_slug = ANY($4)
		GROUP BY s.cx, s.cy)
	SELECT (SELECT version FROM tile_data_version),
		(SELECT string_agg(layer, ''::bytea) FROM (
			SELECT ST_AsMVT(ROW(k.n, k.sectors, NULL, ST_MakePoint(round(e.fx * (k.sx / k.n) + -e.xmin * e.fx),
					round(e.fy * (k.sy / k.n) + -e.ymax * e.fy)))::tile_cell,
				split_part(k.sectors, ':', 1) COLLATE "C", {extent}, 'geom') AS layer
			FROM e, k
			GROUP BY split_part(k.sectors, ':', 1) COLLATE "C") layers)`)

// countFloorSQL is a floor of a filtered tile across sectors with exact
// counts: the sector sets of tile_clusters with one of the filter's
// sectors, grouped into one feature per cell with its count only, in one
// layer (no "sectors", no "sets").
var countFloorSQL = postgis.TileQuery(`,
	k AS (
		SELECT c.cx, c.cy, sum(c.n)::integer AS n, sum(c.sx) AS sx, sum(c.sy) AS sy
		FROM tile_clusters c
		WHERE c.z = $1 AND c.tx = $2 AND c.ty = $3 AND c.n > 0 AND c.sectors && $4
		GROUP BY c.cx, c.cy)
	SELECT (SELECT version FROM tile_data_version),
		(SELECT string_agg(layer, ''::bytea) FROM (
			SELECT ST_AsMVT(ROW(k.n, ST_MakePoint(round(e.fx * (k.sx / k.n) + -e.xmin * e.fx),
					round(e.fy * (k.sy / k.n) + -e.ymax * e.fy)))::tile_cluster_by_sector,
				'clusters', {extent}, 'geom') AS layer
			FROM e, k) layers)`)

// bySectorClusters builds the clusters of one grid per sector, as
// migration 0005 kept them, into tile_clusters_by_sector, read by
// bySectorSQL.
func bySectorClusters(tb testing.TB, db *postgis.DB) {
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `
		CREATE TYPE tile_cluster_by_sector AS (count integer, geom geometry);
		CREATE TABLE tile_clusters_by_sector (
			z smallint, tx integer, ty integer, sector_slug text, cx smallint, cy smallint,
			n integer, sx double precision, sy double precision,
			PRIMARY KEY (z, tx, ty, sector_slug, cx, cy) INCLUDE (n, sx, sy));
		INSERT INTO tile_clusters_by_sector
		SELECT z, col >> 4, row >> 4, sector_slug, col & 15, row & 15, count(*), sum(x), sum(y)
		FROM (
			SELECT z, s.sector_slug, ST_X(a.location_3857) AS x, ST_Y(a.location_3857) AS y,
				mercator_col(ST_X(a.location_3857), z + 4) AS col, mercator_row(ST_Y(a.location_3857), z + 4) AS row
			FROM actors a JOIN actor_sectors s ON s.actor_id = a.id CROSS JOIN generate_series(0, 11) AS z
			WHERE a.status = 'published') c
		GROUP BY 1, 2, 3, 4, 5, 6`); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `VACUUM ANALYZE tile_clusters_by_sector`); err != nil {
		tb.Fatal(err)
	}
}

// bySectorSQL is the cluster tile query of one grid per sector (0005).
var bySectorSQL = postgis.TileQuery(`
	SELECT (SELECT version FROM tile_data_version),
		(SELECT string_agg(layer, ''::bytea) FROM (
			SELECT ST_AsMVT(ROW(c.n, ST_MakePoint(round(e.fx * (c.sx / c.n) + -e.xmin * e.fx),
					round(e.fy * (c.sy / c.n) + -e.ymax * e.fy)))::tile_cluster_by_sector,
				c.sector_slug, {extent}, 'geom') AS layer
			FROM e, tile_clusters_by_sector c
			WHERE c.z = $1 AND c.tx = $2 AND c.ty = $3 AND c.n > 0
				AND ($4::text[] IS NULL OR c.sector_slug = ANY($4))
			GROUP BY c.sector_slug) layers)`)

// benchActors loads 50,000 synthetic actors around Lyon (a tenth with two
// sectors) into a new database.
func benchActors(b testing.TB) (*postgis.DB, geo.Point) {
	db := postgistest.New(b)
	lyon := geo.Point{Lon: 4.835, Lat: 45.764}
	g, err := synth.NewGenerator(synth.Spec{Seed: 3, Places: []synth.Place{{Name: "Lyon", Point: lyon, Weight: 1}}, SpreadM: 8000})
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	if _, err := postgis.NewActorStore(db).CopyActors(context.Background(), func() *geo.Actor {
		if i++; i > 50000 {
			return nil
		}
		return g.Next()
	}); err != nil {
		b.Fatal(err)
	}
	return db, lyon
}

// tilesAround returns the tile holding p and its eight neighbours at each
// zoom from z0 to z1.
func tilesAround(p geo.Point, z0, z1 int) []tiles.Tile {
	var ts []tiles.Tile
	for z := z0; z <= z1; z++ {
		c := tiles.Containing(p, z)
		for dx := -1; dx <= 1; dx++ {
			for dy := -1; dy <= 1; dy++ {
				ts = append(ts, tiles.Tile{Z: z, X: c.X + dx, Y: c.Y + dy})
			}
		}
	}
	return ts
}

// BenchmarkTileCellsWrite times, in one run, the writes that keep the
// cluster cells before migration 0021 (tile_cells with "sets", cell
// arithmetic written out) and with it (no "sets", mercator_col and
// mercator_row), on two databases of the same 100,000 synthetic actors
// around Lyon, interleaved: moving 1,000 actors (the triggers' whole
// work, rolled back) and refreshing every cell with tile_cells_refresh.
// It reports the ratios with 0021 to before (ratio-move, ratio-refresh).
func BenchmarkTileCellsWrite(b *testing.B) {
	ctx := context.Background()
	filled := func(upTo0021 bool) *postgis.DB {
		var db *postgis.DB
		if upTo0021 {
			db = postgistest.New(b)
		} else {
			db = emptyDB(b)
			if _, err := db.MigrateFS(ctx, migrationsBefore(b, "0021")); err != nil {
				b.Fatal(err)
			}
		}
		g, err := synth.NewGenerator(synth.Spec{Seed: 3, Places: []synth.Place{{Name: "Lyon", Point: geo.Point{Lon: 4.835, Lat: 45.764}, Weight: 1}}, SpreadM: 8000})
		if err != nil {
			b.Fatal(err)
		}
		i := 0
		if _, err := postgis.NewActorStore(db).CopyActors(ctx, func() *geo.Actor {
			if i++; i > 100000 {
				return nil
			}
			return g.Next()
		}); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
			b.Fatal(err)
		}
		return db
	}
	dbs := []*postgis.DB{filled(false), filled(true)}
	timed := func(db *postgis.DB, sql string, args ...any) time.Duration {
		tx, err := db.Pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer tx.Rollback(ctx)
		start := time.Now()
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	const move = `UPDATE actors SET location = ST_Translate(location, 0.003, -0.002) WHERE id % 100 = $1`
	const refresh = `
		SELECT tile_cells_refresh(array_agg(z), array_agg(tx), array_agg(ty), array_agg(cx), array_agg(cy))
		FROM (SELECT DISTINCT z, tx, ty, cx, cy FROM tile_clusters) k`
	var moves, refreshes [2]time.Duration
	b.ResetTimer()
	for n := range b.N {
		for k := range dbs {
			if n%2 == 1 {
				k = 1 - k
			}
			moves[k] += timed(dbs[k], move, n%100)
			refreshes[k] += timed(dbs[k], refresh)
		}
	}
	for k, name := range []string{"before", "0021"} {
		b.ReportMetric(float64(moves[k].Microseconds())/float64(b.N)/1000, "ms/move-"+name)
		b.ReportMetric(float64(refreshes[k].Microseconds())/float64(b.N)/1000, "ms/refresh-"+name)
	}
	b.ReportMetric(float64(moves[1])/float64(moves[0]), "ratio-move")
	b.ReportMetric(float64(refreshes[1])/float64(refreshes[0]), "ratio-refresh")
}
