package postgis_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb/encoding/mvt"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/synth"
	"github.com/maillage/maillage/tiles"
)

// asMVTGeomClusterSQL and asMVTGeomActorSQL are the tile queries as first
// written, with ST_AsMVTGeom: the reference of the arithmetic ones.
const asMVTGeomClusterSQL = `
	WITH c AS (
		SELECT c.cx, c.cy, c.sectors, c.n, c.sx, c.sy
		FROM tile_clusters c
		WHERE c.z = $1 AND c.tx = $2 AND c.ty = $3 AND c.n > 0
			AND ($4::text[] IS NULL OR c.sectors && $4)),
	bysector AS (
		SELECT p.cx, p.cy, string_agg(p.slug || ':' || p.n, ',' ORDER BY p.n DESC, p.position) AS sectors,
			(array_agg(p.slug ORDER BY p.n DESC, p.position))[1] AS main
		FROM (
			SELECT c.cx, c.cy, s.slug, min(sec.position) AS position, sum(c.n) AS n
			FROM c CROSS JOIN unnest(c.sectors) AS s(slug) JOIN sectors sec ON sec.slug = s.slug
			WHERE $4::text[] IS NULL OR s.slug = ANY($4)
			GROUP BY c.cx, c.cy, s.slug) p
		GROUP BY p.cx, p.cy),
	cells AS (
		SELECT c.cx, c.cy, sum(c.n)::integer AS n, sum(c.sx) AS sx, sum(c.sy) AS sy
		FROM c
		GROUP BY c.cx, c.cy)
	SELECT (SELECT string_agg(layer, ''::bytea) FROM (
		SELECT ST_AsMVT(ROW(k.n, b.sectors, NULL, ST_AsMVTGeom(ST_Point(k.sx / k.n, k.sy / k.n, 3857),
				ST_TileEnvelope($1, $2, $3), 4096, 0, false))::tile_cell,
			b.main, 4096, 'geom') AS layer
		FROM cells k JOIN bysector b ON b.cx = k.cx AND b.cy = k.cy
		GROUP BY b.main COLLATE "C") layers)`

// asMVTGeomActorSQL is the actor tile query with ST_AsMVTGeom, with the
// tile buffer of tiles.Buffer.
var asMVTGeomActorSQL = strings.ReplaceAll(`
	SELECT (SELECT string_agg(layer, ''::bytea) FROM (
		SELECT ST_AsMVT(ROW(p.id, p.id, p.name, p.slugs[1], NULLIF(p.kind, ''),
				ST_AsMVTGeom(p.location_3857, ST_TileEnvelope($1, $2, $3), 4096, {buffer}, true),
				array_to_string(p.slugs, ','))::tile_actor,
			p.slugs[1], 4096, 'geom', 'fid') AS layer
		FROM (
			SELECT a.id, a.name, a.kind, a.location_3857, ARRAY(
				SELECT s.sector_slug FROM actor_sectors s JOIN sectors sec ON sec.slug = s.sector_slug
				WHERE s.actor_id = a.id ORDER BY sec.position, s.sector_slug) AS slugs
			FROM actors a
			WHERE a.status = 'published'
				AND a.location_3857 && ST_TileEnvelope($1, $2, $3, margin => {buffer}.0 / 4096)) p
		WHERE cardinality(p.slugs) > 0 AND ($4::text[] IS NULL OR p.slugs && $4)
			AND ST_AsMVTGeom(p.location_3857, ST_TileEnvelope($1, $2, $3), 4096, {buffer}, true) IS NOT NULL
		GROUP BY p.slugs[1]) layers)`, "{buffer}", strconv.Itoa(tiles.Buffer))

// TestTileSQLMatchesAsMVTGeom checks that the tiles made with arithmetic
// tile coordinates are those of ST_AsMVTGeom (the same
// bytes, or the same features in another order within a layer, as plans
// differ), at every zoom,
// on tiles around dense places and their neighbours (whose buffers hold
// points clipped or kept by the tile buffer).
func TestTileSQLMatchesAsMVTGeom(t *testing.T) {
	db := postgistest.New(t)
	ctx := context.Background()
	places := []synth.Place{
		{Name: "Lyon", Point: geo.Point{Lon: 4.835, Lat: 45.764}, Weight: 3},
		{Name: "Brest", Point: geo.Point{Lon: -4.486, Lat: 48.390}, Weight: 1},
	}
	g, err := synth.NewGenerator(synth.Spec{Seed: 11, Places: places, SpreadM: 4000})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	if _, err := postgis.NewActorStore(db).CopyActors(ctx, func() *geo.Actor {
		if i++; i > 4000 {
			return nil
		}
		return g.Next()
	}); err != nil {
		t.Fatal(err)
	}
	// Every actor a feature: the reference has no density threshold
	// (TestDenseTileCounts checks the density-aware tiles).
	ts, err := postgis.NewTileStoreWith(ctx, db, postgis.TilePool{MaxConns: 2, EveryActor: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()

	compared, size := 0, 0
	for z := 0; z <= 16; z++ {
		for _, p := range places {
			c := tiles.Containing(p.Point, z)
			for dx := -1; dx <= 1; dx++ {
				for dy := -1; dy <= 1; dy++ {
					tl := tiles.Tile{Z: z, X: c.X + dx, Y: c.Y + dy}
					if tl.X < 0 || tl.Y < 0 || tl.X >= 1<<z || tl.Y >= 1<<z {
						continue
					}
					for _, sectors := range [][]string{nil, {"culture", "insertion"}} {
						var got, want []byte
						// Several runs, so that the prepared statements go
						// past PostgreSQL's switch to generic plans.
						for range 7 {
							if got, _, err = ts.Tile(ctx, tl, sectors, 12); err != nil {
								t.Fatal(err)
							}
						}
						ref := asMVTGeomActorSQL
						if z < 12 {
							ref = asMVTGeomClusterSQL
						}
						var filter any
						if sectors != nil {
							filter = sectors
						}
						if err := db.Pool.QueryRow(ctx, ref, tl.Z, tl.X, tl.Y, filter).Scan(&want); err != nil {
							t.Fatal(err)
						}
						if !bytes.Equal(got, want) && !sameFeatures(t, got, want) {
							t.Errorf("tile %v, sectors %v: %d bytes, ST_AsMVTGeom's tile has %d and other features", tl, sectors, len(got), len(want))
						}
						compared++
						size += len(want)
					}
				}
			}
		}
	}
	if compared == 0 || size == 0 {
		t.Fatal("no tile compared")
	}
	t.Logf("%d tiles compared, %d bytes", compared, size)
}

// sameFeatures reports whether tiles a and b hold the same layers with the
// same features (id, point, properties), in any order within a layer.
func sameFeatures(t *testing.T, a, b []byte) bool {
	t.Helper()
	la, err := mvt.Unmarshal(a)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(la) != len(lb) {
		return false
	}
	for i := range la {
		if la[i].Name != lb[i].Name || la[i].Extent != lb[i].Extent || len(la[i].Features) != len(lb[i].Features) {
			return false
		}
		fa, fb := make([]string, len(la[i].Features)), make([]string, len(lb[i].Features))
		for j := range fa {
			f, g := la[i].Features[j], lb[i].Features[j]
			fa[j] = fmt.Sprint(f.ID, f.Geometry, f.Properties)
			fb[j] = fmt.Sprint(g.ID, g.Geometry, g.Properties)
		}
		slices.Sort(fa)
		slices.Sort(fb)
		if !slices.Equal(fa, fb) {
			return false
		}
	}
	return true
}

// TestClusterTableMatchesConstants checks the cluster table that migration
// 0005_tiles.sql keeps against the tile constants the Go code reads it
// with: every published actor counts once in each zoom from 0 to
// tiles.ClusterZooms - 1 and in no other, in the cell of a grid of
// tiles.GridSize cells a side that covers the tile of zoom
// z + tiles.GridBits holding it.
func TestClusterTableMatchesConstants(t *testing.T) {
	db := postgistest.New(t)
	ctx := context.Background()
	points := []geo.Point{
		{Lon: 2.3522, Lat: 48.8566},    // Paris
		{Lon: -4.4861, Lat: 48.3904},   // Brest
		{Lon: -70.6483, Lat: -33.4569}, // Santiago
		{Lon: 151.2093, Lat: -33.8688}, // Sydney
	}
	i := 0
	if _, err := postgis.NewActorStore(db).CopyActors(ctx, func() *geo.Actor {
		if i++; i > len(points) {
			return nil
		}
		p := points[i-1]
		return &geo.Actor{Name: fmt.Sprint("actor ", i), Sectors: []string{"culture"}, Location: &p,
			Status: geo.StatusPublished, Source: "test", ExternalID: fmt.Sprint(i)}
	}); err != nil {
		t.Fatal(err)
	}

	type cell struct{ z, col, row int }
	counts := map[cell]int{}
	rows, err := db.Pool.Query(ctx, `SELECT z, tx, ty, cx, cy, n FROM tile_clusters WHERE n <> 0`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var z, tx, ty, cx, cy, n int
		if err := rows.Scan(&z, &tx, &ty, &cx, &cy, &n); err != nil {
			t.Fatal(err)
		}
		if cx < 0 || cx >= tiles.GridSize || cy < 0 || cy >= tiles.GridSize {
			t.Errorf("zoom %d, tile %d/%d: cell (%d, %d) outside a grid of %d a side", z, tx, ty, cx, cy, tiles.GridSize)
		}
		counts[cell{z, tx*tiles.GridSize + cx, ty*tiles.GridSize + cy}] += n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	want := map[cell]int{}
	for z := range tiles.ClusterZooms {
		for _, p := range points {
			c := tiles.Containing(p, z+tiles.GridBits)
			want[cell{z, c.X, c.Y}]++
		}
	}
	for c, n := range counts {
		if want[c] != n {
			t.Errorf("tile_clusters counts %d actors in cell %d/%d of zoom %d, want %d", n, c.col, c.row, c.z, want[c])
		}
	}
	for c, n := range want {
		if counts[c] != n {
			t.Errorf("cell %d/%d of zoom %d: %d actors in tile_clusters, want %d", c.col, c.row, c.z, counts[c], n)
		}
	}
}

// TestClusterCountsAcrossSectors checks that the clusters of a tile count
// each actor once, whatever its number of sectors: with and without a
// sector filter, the counts of a tile's clusters add up to the published
// actors of the tile with a sector in the filter, and each sector's counts
// to those of the sector; no cluster carries its sector sets. The actors'
// sector lists and the cluster table are followed through creations,
// changes of sectors, moves, unpublishing,
// deletions and a change of the sectors' order.
func TestClusterCountsAcrossSectors(t *testing.T) {
	db := postgistest.New(t)
	ctx := context.Background()
	lyon := geo.Point{Lon: 4.835, Lat: 45.764}
	g, err := synth.NewGenerator(synth.Spec{Seed: 5, Places: []synth.Place{{Name: "Lyon", Point: lyon, Weight: 1}}, SpreadM: 30000})
	if err != nil {
		t.Fatal(err)
	}
	actors := postgis.NewActorStore(db)
	i := 0
	if _, err := actors.CopyActors(ctx, func() *geo.Actor {
		if i++; i > 2000 {
			return nil
		}
		return g.Next()
	}); err != nil {
		t.Fatal(err)
	}
	// Actors of two and three sectors, at one place and spread out.
	var ids []int64
	for k := range 40 {
		p := geo.Point{Lon: lyon.Lon + float64(k%7)*0.01, Lat: lyon.Lat + float64(k/7)*0.01}
		sectors := []string{"culture", "insertion"}
		if k%3 == 0 {
			sectors = []string{"reemploi", "insertion", "alimentation"}
		}
		a := &geo.Actor{Name: fmt.Sprint("multi ", k), Sectors: sectors, Location: &p, Status: geo.StatusPublished,
			Source: "test", ExternalID: fmt.Sprint("multi-", k)}
		if err := actors.CreateActor(ctx, a); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	moved := geo.Point{Lon: lyon.Lon - 0.2, Lat: lyon.Lat + 0.1}
	for _, u := range []struct {
		id  int64
		upd geo.ActorUpdate
	}{
		{ids[0], geo.ActorUpdate{Sectors: &[]string{"culture"}}},
		{ids[1], geo.ActorUpdate{Sectors: &[]string{"habitat", "culture", "mobilite"}}},
		{ids[2], geo.ActorUpdate{Location: &moved}},
		{ids[4], geo.ActorUpdate{Status: new(geo.StatusDraft)}},
	} {
		if _, err := actors.UpdateActor(ctx, u.id, u.upd); err != nil {
			t.Fatal(err)
		}
	}
	if err := actors.DeleteActor(ctx, ids[5]); err != nil {
		t.Fatal(err)
	}
	// Insertion now comes after culture: the lists of their actors change order.
	if _, err := db.Pool.Exec(ctx, `UPDATE sectors SET position = 100 WHERE slug = 'insertion'`); err != nil {
		t.Fatal(err)
	}

	var stale int
	if err := db.Pool.QueryRow(ctx, `
		SELECT count(*) FROM actors a
		WHERE a.sector_slugs IS DISTINCT FROM ARRAY(
			SELECT s.sector_slug FROM actor_sectors s JOIN sectors sec ON sec.slug = s.sector_slug
			WHERE s.actor_id = a.id ORDER BY sec.position, s.sector_slug)`).Scan(&stale); err != nil {
		t.Fatal(err)
	}
	if stale > 0 {
		t.Errorf("%d actors have a sector list other than their sectors in order", stale)
	}
	// The cells kept whole (0017) are those made anew from tile_clusters.
	var staleCells int
	if err := db.Pool.QueryRow(ctx, `
		WITH kept AS (
			SELECT z, tx, ty, cx, cy, n, round(sx::numeric, 3) AS sx, round(sy::numeric, 3) AS sy, sectors, layer
			FROM tile_cells WHERE n > 0),
		anew AS (
			SELECT z, tx, ty, cx, cy, sum(n)::integer AS n, round(sum(sx)::numeric, 3) AS sx, round(sum(sy)::numeric, 3) AS sy
			FROM tile_clusters WHERE n > 0 GROUP BY 1, 2, 3, 4, 5)
		SELECT (SELECT count(*) FROM (
				SELECT z, tx, ty, cx, cy, n, sx, sy FROM kept EXCEPT SELECT * FROM anew) d)
			+ (SELECT count(*) FROM (SELECT * FROM anew EXCEPT SELECT z, tx, ty, cx, cy, n, sx, sy FROM kept) d)`).
		Scan(&staleCells); err != nil {
		t.Fatal(err)
	}
	if staleCells > 0 {
		t.Errorf("%d cells of tile_cells differ from tile_clusters", staleCells)
	}
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `
		CREATE TEMP TABLE kept ON COMMIT DROP AS SELECT z, tx, ty, cx, cy, sectors, layer FROM tile_cells WHERE n > 0;
		SELECT tile_cells_refresh(array_agg(z), array_agg(tx), array_agg(ty), array_agg(cx), array_agg(cy))
		FROM (SELECT DISTINCT z, tx, ty, cx, cy FROM tile_clusters) k`); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, `
		SELECT count(*) FROM (
			(SELECT * FROM kept EXCEPT SELECT z, tx, ty, cx, cy, sectors, layer FROM tile_cells WHERE n > 0)
			UNION ALL
			(SELECT z, tx, ty, cx, cy, sectors, layer FROM tile_cells WHERE n > 0 EXCEPT SELECT * FROM kept)) d`).
		Scan(&staleCells); err != nil {
		t.Fatal(err)
	}
	if staleCells > 0 {
		t.Errorf("%d cells of tile_cells list other sectors than tile_clusters", staleCells)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var multi int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM tile_clusters WHERE z = 11 AND n > 0 AND cardinality(sectors) > 1`).Scan(&multi); err != nil {
		t.Fatal(err)
	}
	if multi == 0 {
		t.Fatal("no cluster of actors with several sectors")
	}

	ts, err := postgis.NewTileStore(ctx, db, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	checked := 0
	for z := range tiles.ClusterZooms {
		c := tiles.Containing(lyon, z)
		for dx := -1; dx <= 1; dx++ {
			for dy := -1; dy <= 1; dy++ {
				tl := tiles.Tile{Z: z, X: c.X + dx, Y: c.Y + dy}
				if tl.X < 0 || tl.Y < 0 || tl.X >= 1<<z || tl.Y >= 1<<z {
					continue
				}
				for _, filter := range [][]string{nil, {"insertion"}, {"culture", "reemploi"}} {
					data, _, err := ts.Tile(ctx, tl, filter, tiles.ClusterZooms)
					if err != nil {
						t.Fatal(err)
					}
					layers, err := mvt.Unmarshal(data)
					if err != nil {
						t.Fatal(err)
					}
					total, bySector := 0, map[string]int{}
					for _, l := range layers {
						for _, f := range l.Features {
							n, _ := f.Properties["count"].(float64)
							list, _ := f.Properties["sectors"].(string)
							if _, ok := f.Properties["sets"]; ok {
								t.Errorf("tile %v, filter %v: a cluster carries sector sets", tl, filter)
							}
							total += int(n)
							sum, first := 0, ""
							for _, e := range strings.Split(list, ",") {
								slug, count, ok := strings.Cut(e, ":")
								k, err := strconv.Atoi(count)
								if !ok || err != nil || k < 1 {
									t.Fatalf("tile %v: sectors %q", tl, list)
								}
								if filter != nil && !slices.Contains(filter, slug) {
									t.Errorf("tile %v, filter %v: sector %s listed", tl, filter, slug)
								}
								if first == "" {
									first = slug
								}
								bySector[slug] += k
								sum += k
							}
							if l.Name != first || sum < int(n) {
								t.Errorf("tile %v: cluster of %v actors, sectors %q, in layer %s", tl, n, list, l.Name)
							}
						}
					}
					wantTotal, wantBySector := actorsInTile(t, db, tl, filter)
					if total != wantTotal || !maps.Equal(bySector, wantBySector) {
						t.Errorf("tile %v, filter %v: clusters count %d actors, %v by sector; the tile holds %d, %v",
							tl, filter, total, bySector, wantTotal, wantBySector)
					}
					checked += total
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no actor in the tiles")
	}
}

// actorsInTile counts the published actors of tile tl with a sector in
// filter (all when nil), and those of each sector (of filter).
func actorsInTile(t *testing.T, db *postgis.DB, tl tiles.Tile, filter []string) (int, map[string]int) {
	t.Helper()
	var f any
	if filter != nil {
		f = filter
	}
	rows, err := db.Pool.Query(context.Background(), `
		WITH a AS (
			SELECT a.id FROM actors a
			WHERE a.status = 'published'
				AND ST_Intersects(ST_Transform(a.location, 3857), ST_TileEnvelope($1, $2, $3))
				AND EXISTS (SELECT FROM actor_sectors s WHERE s.actor_id = a.id AND ($4::text[] IS NULL OR s.sector_slug = ANY($4))))
		SELECT '', count(*)::int FROM a
		UNION ALL
		SELECT s.sector_slug, count(*)::int FROM a JOIN actor_sectors s ON s.actor_id = a.id
		WHERE $4::text[] IS NULL OR s.sector_slug = ANY($4)
		GROUP BY s.sector_slug`, tl.Z, tl.X, tl.Y, f)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	total, by := 0, map[string]int{}
	for rows.Next() {
		var slug string
		var n int
		if err := rows.Scan(&slug, &n); err != nil {
			t.Fatal(err)
		}
		if slug == "" {
			total = n
		} else {
			by[slug] = n
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return total, by
}
