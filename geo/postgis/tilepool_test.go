package postgis_test

import (
	"context"
	"testing"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/synth"
	"github.com/maillage/maillage/tiles"
)

// TestTilePoolPlansOnce checks that the tile store opens its connections
// at start and that each uses one generic plan per tile statement from
// its first tile, while a cold pool with custom plans plans every tile.
func TestTilePoolPlansOnce(t *testing.T) {
	db := postgistest.New(t)
	ctx := context.Background()
	brest := geo.Point{Lon: -4.486, Lat: 48.390}
	g, err := synth.NewGenerator(synth.Spec{Seed: 3, Places: []synth.Place{{Name: "Brest", Point: brest, Weight: 1}}, SpreadM: 2000})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	if _, err := postgis.NewActorStore(db).CopyActors(ctx, func() *geo.Actor {
		if i++; i > 200 {
			return nil
		}
		return g.Next()
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pool      postgis.TilePool
		openConns int32 // at start
		generic   bool  // only generic plans
	}{
		{postgis.TilePool{MaxConns: 1}, 1, true},
		{postgis.TilePool{MaxConns: 1, CustomPlans: true, Cold: true}, 0, false},
	} {
		s, err := postgis.NewTileStoreWith(ctx, db, c.pool)
		if err != nil {
			t.Fatal(err)
		}
		_, _, conns, err := s.TilePlans(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			for _, z := range []int{5, 14} {
				if mvt, _, err := s.Tile(ctx, tiles.Containing(brest, z), nil, tiles.ClusterZooms); err != nil || len(mvt) == 0 {
					t.Fatalf("%+v: tile z%d: %d bytes, %v", c.pool, z, len(mvt), err)
				}
			}
		}
		generic, custom, _, err := s.TilePlans(ctx)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if conns != c.openConns {
			t.Errorf("%+v: %d connections at start, want %d", c.pool, conns, c.openConns)
		}
		if onlyGeneric := generic > 0 && custom == 0; onlyGeneric != c.generic {
			t.Errorf("%+v: %d generic and %d custom plans of 6 tiles", c.pool, generic, custom)
		}
	}
}
