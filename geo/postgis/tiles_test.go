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
	"github.com/maillage/maillage/geo/synth"
	"github.com/maillage/maillage/internal/postgistest"
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
		SELECT ST_AsMVT(ROW(a.id, a.id, a.name, s.sector_slug, NULLIF(a.kind, ''),
				ST_AsMVTGeom(a.location_3857, ST_TileEnvelope($1, $2, $3), 4096, 64, true))::tile_actor,
			s.sector_slug, 4096, 'geom', 'fid') AS layer
		FROM actors a JOIN actor_sectors s ON s.actor_id = a.id
		WHERE a.status = 'published'
			AND a.location_3857 && ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096)
			AND ($4::text[] IS NULL OR s.sector_slug = ANY($4))
		GROUP BY s.sector_slug) layers)`

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
						query, args := postgis.TileSQL(tl, sectors, 12)
						var version int64
						var got, want []byte
						// Several runs, so that the prepared statements go
						// past PostgreSQL's switch to generic plans.
						for range 7 {
							if err := ts.Pool().QueryRow(ctx, query, args...).Scan(&version, &got); err != nil {
								t.Fatal(err)
							}
						}
						ref := asMVTGeomActorSQL
						if z < 12 {
							ref = asMVTGeomClusterSQL
						}
						if err := ts.Pool().QueryRow(ctx, ref, args...).Scan(&want); err != nil {
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
