package postgis_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
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
	SELECT (SELECT string_agg(layer, ''::bytea) FROM (
		SELECT ST_AsMVT(ROW(c.n, ST_AsMVTGeom(ST_Point(c.sx / c.n, c.sy / c.n, 3857),
				ST_TileEnvelope($1, $2, $3), 4096, 0, false))::tile_cluster,
			c.sector_slug, 4096, 'geom') AS layer
		FROM tile_clusters c
		WHERE c.z = $1 AND c.tx = $2 AND c.ty = $3 AND c.n > 0
			AND ($4::text[] IS NULL OR c.sector_slug = ANY($4))
		GROUP BY c.sector_slug) layers)`

const asMVTGeomActorSQL = `
	SELECT (SELECT string_agg(layer, ''::bytea) FROM (
		SELECT ST_AsMVT(ROW(p.id, p.id, p.name, p.slugs[1], NULLIF(p.kind, ''),
				ST_AsMVTGeom(p.location_3857, ST_TileEnvelope($1, $2, $3), 4096, 64, true),
				array_to_string(p.slugs, ','))::tile_actor,
			p.slugs[1], 4096, 'geom', 'fid') AS layer
		FROM (
			SELECT a.id, a.name, a.kind, a.location_3857, ARRAY(
				SELECT s.sector_slug FROM actor_sectors s JOIN sectors sec ON sec.slug = s.sector_slug
				WHERE s.actor_id = a.id ORDER BY sec.position, s.sector_slug) AS slugs
			FROM actors a
			WHERE a.status = 'published'
				AND a.location_3857 && ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096)) p
		WHERE cardinality(p.slugs) > 0 AND ($4::text[] IS NULL OR p.slugs && $4)
			AND ST_AsMVTGeom(p.location_3857, ST_TileEnvelope($1, $2, $3), 4096, 64, true) IS NOT NULL
		GROUP BY p.slugs[1]) layers)`

// TestTileSQLMatchesAsMVTGeom checks that the tiles made with arithmetic
// tile coordinates are those of ST_AsMVTGeom (the same
// bytes, or the same features in another order within a layer, as plans
// differ), at every zoom,
// on tiles around dense places and their neighbours (whose buffers hold
// points clipped or kept by the 64/4096 margin).
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
	ts, err := postgis.NewTileStore(ctx, db, 2)
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
