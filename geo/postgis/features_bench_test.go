package postgis_test

import (
	"context"
	"testing"
	"time"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/synth"
)

// BenchmarkFeaturePaging reads pages of 100 published actors out of 1.5
// million synthetic ones (150,000 with -short), as /ogc/.../items pages
// them: page 1 against page 1,000 through keyset paging (the key of the
// last feature of page 999), and the same two pages through OFFSET, for
// contrast. It reports the time per page of each and the ratios page 1,000
// / page 1, and the count of numberMatched over the whole collection.
func BenchmarkFeaturePaging(b *testing.B) {
	total := 1_500_000
	if testing.Short() {
		total = 150_000
	}
	ctx := context.Background()
	// Loading 1.5 M actors on a busy machine can outlast the default
	// statement timeout of 5 minutes.
	db, err := postgis.Open(ctx, postgis.Config{URL: postgistest.NewURL(b), NoMigrate: true, StatementTimeout: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	g, err := synth.NewGenerator(synth.Spec{Seed: 1, SpreadM: 20000, Places: []synth.Place{
		{Name: "Paris", Point: geo.Point{Lon: 2.35, Lat: 48.86}, Weight: 5},
		{Name: "Lyon", Point: geo.Point{Lon: 4.84, Lat: 45.76}, Weight: 2},
		{Name: "Marseille", Point: geo.Point{Lon: 5.37, Lat: 43.30}, Weight: 2},
		{Name: "Brest", Point: geo.Point{Lon: -4.49, Lat: 48.39}, Weight: 1},
		{Name: "Lille", Point: geo.Point{Lon: 3.06, Lat: 50.63}, Weight: 1},
		{Name: "Toulouse", Point: geo.Point{Lon: 1.44, Lat: 43.60}, Weight: 1},
	}})
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	if _, err := postgis.NewActorStore(db).CopyActors(ctx, func() *geo.Actor {
		if i++; i > total {
			return nil
		}
		return g.Next()
	}); err != nil {
		b.Fatal(err)
	}
	store := postgis.NewFeatureStore(db)
	const limit, page = 100, 1000
	// The key that starts page 1,000: the last id of page 999.
	var after string
	if err := store.EachFeatureAtOffset(ctx, geo.CollectionActors, (page-1)*limit-1, 1, func(id string) error {
		after = id
		return nil
	}); err != nil || after == "" {
		b.Fatalf("no page %d: %v", page, err)
	}
	keyset := func(after string) time.Duration {
		start := time.Now()
		n := 0
		if _, err := store.EachFeature(ctx, geo.FeatureQuery{Collection: geo.CollectionActors, After: after, Limit: limit},
			func(geo.Feature) error { n++; return nil }); err != nil || n != limit {
			b.Fatalf("keyset page after %q: %d features, %v", after, n, err)
		}
		return time.Since(start)
	}
	offset := func(offset int) time.Duration {
		start := time.Now()
		n := 0
		if err := store.EachFeatureAtOffset(ctx, geo.CollectionActors, offset, limit,
			func(string) error { n++; return nil }); err != nil || n != limit {
			b.Fatalf("offset page at %d: %d features, %v", offset, n, err)
		}
		return time.Since(start)
	}
	count := func() time.Duration {
		start := time.Now()
		if _, err := store.CountFeatures(ctx, geo.FeatureQuery{Collection: geo.CollectionActors}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	// Warm the cache and the prepared statements.
	keyset("")
	keyset(after)
	offset(0)
	offset((page - 1) * limit)
	count()
	var k1, k1000, o1, o1000, c time.Duration
	b.ResetTimer()
	for range b.N {
		k1 += keyset("")
		k1000 += keyset(after)
		o1 += offset(0)
		o1000 += offset((page - 1) * limit)
		c += count()
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
	b.ReportMetric(per(k1), "µs/keyset-page-1")
	b.ReportMetric(per(k1000), "µs/keyset-page-1000")
	b.ReportMetric(float64(k1000)/float64(k1), "keyset-ratio")
	b.ReportMetric(per(o1), "µs/offset-page-1")
	b.ReportMetric(per(o1000), "µs/offset-page-1000")
	b.ReportMetric(float64(o1000)/float64(o1), "offset-ratio")
	b.ReportMetric(per(c), "µs/numberMatched")
}
