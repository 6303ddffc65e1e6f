package postgis_test

import (
	"context"
	"testing"
	"time"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
)

// BenchmarkLocalGeocoder measures the local geocoder's queries per second
// on the addresses of Mont-Bonvillers, against a baseline of the same
// run: one empty round trip to the database (SELECT 1).
//
//	go test -run '^$' -bench BenchmarkLocalGeocoder ./geo/postgis/
func BenchmarkLocalGeocoder(b *testing.B) {
	ctx := context.Background()
	db := postgistest.New(b)
	s := postgis.NewAddressStore(db)
	importAddressFile(b, s, "ban-format-54084-mont-bonvillers.csv")
	addrs := readTrueAddresses(b)
	var baseline float64
	report := func(b *testing.B, start time.Time) {
		qps := float64(b.N) / time.Since(start).Seconds()
		b.ReportMetric(qps, "queries/s")
		if baseline > 0 {
			b.ReportMetric(baseline/qps, "x-roundtrip")
		}
	}
	b.Run("roundtrip", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			var one int
			if err := db.Pool.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil {
				b.Fatal(err)
			}
		}
		report(b, start)
		baseline = float64(b.N) / time.Since(start).Seconds()
	})
	for _, v := range []int{0, len(variants) - 1} {
		b.Run(variants[v].name, func(b *testing.B) {
			start := time.Now()
			i := 0
			for b.Loop() {
				if _, err := s.Geocode(ctx, geo.GeocodeQuery{Q: variants[v].write(addrs[i%len(addrs)])}); err != nil {
					b.Fatal(err)
				}
				i++
			}
			report(b, start)
		})
	}
}
