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
// per actor (with its sectors) against those of one feature per actor and
// sector they replaced, on 50,000 synthetic actors around Lyon, zooms 12
// to 16, and reports the ratio (new / old).
func BenchmarkActorTiles(b *testing.B) {
	db := postgistest.New(b)
	ctx := context.Background()
	lyon := geo.Point{Lon: 4.835, Lat: 45.764}
	g, err := synth.NewGenerator(synth.Spec{Seed: 3, Places: []synth.Place{{Name: "Lyon", Point: lyon, Weight: 1}}, SpreadM: 8000})
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	if _, err := postgis.NewActorStore(db).CopyActors(ctx, func() *geo.Actor {
		if i++; i > 50000 {
			return nil
		}
		return g.Next()
	}); err != nil {
		b.Fatal(err)
	}
	var ts []tiles.Tile
	for z := 12; z <= 16; z++ {
		c := tiles.Containing(lyon, z)
		for dx := -1; dx <= 1; dx++ {
			for dy := -1; dy <= 1; dy++ {
				ts = append(ts, tiles.Tile{Z: z, X: c.X + dx, Y: c.Y + dy})
			}
		}
	}
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
	run(postgis.ActorTileSQL) // warm the cache
	run(postgis.PerSectorActorTileSQL)
	var before, after time.Duration
	b.ResetTimer()
	for range b.N {
		before += run(postgis.PerSectorActorTileSQL)
		after += run(postgis.ActorTileSQL)
	}
	b.ReportMetric(float64(before.Microseconds())/float64(b.N*len(ts)), "µs/tile-before")
	b.ReportMetric(float64(after.Microseconds())/float64(b.N*len(ts)), "µs/tile-after")
	b.ReportMetric(float64(after)/float64(before), "ratio")
}
