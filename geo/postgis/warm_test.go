package postgis_test

import (
	"context"
	"testing"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
)

// TestWarmPool: a warm pool holds all its connections from the start, and
// they answer geography searches.
func TestWarmPool(t *testing.T) {
	ctx := context.Background()
	for _, warm := range []bool{true, false} {
		db, err := postgis.Open(ctx, postgis.Config{URL: postgistest.NewURL(t), NoMigrate: true, Warm: warm})
		if err != nil {
			t.Fatal(err)
		}
		open, max := db.Pool.Stat().TotalConns(), db.Pool.Config().MaxConns
		if (open == max) != warm {
			t.Errorf("warm %v: %d connections of %d open at start", warm, open, max)
		}
		if _, err := postgis.NewActorStore(db).NearbyActors(ctx, geo.NearbyQuery{Point: geo.Point{Lon: 2.35, Lat: 48.85},
			Limit: 10, RadiusM: 50000}); err != nil {
			t.Errorf("warm %v: %v", warm, err)
		}
		db.Close()
	}
}
