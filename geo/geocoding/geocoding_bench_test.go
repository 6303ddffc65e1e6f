package geocoding_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/maillage/maillage/geo"
)

// BenchmarkImportToGeocoded measures the rows per second from an import
// of actors without coordinates to their geocoded points, against the
// replay BAN server (batch /search/csv/, and one /search/ per row), with
// the import alone as the baseline of the same run.
//
//	go test -run '^$' -bench BenchmarkImportToGeocoded -benchtime 3x ./geo/geocoding/
func BenchmarkImportToGeocoded(b *testing.B) {
	const rows = 500
	ctx := context.Background()
	f := newFixture(b)
	f.runner.Chain.Geocoders = f.runner.Chain.Geocoders[1:] // the BAN only: its exchanges are measured
	run := 0
	batch := func() []*geo.Actor {
		run++
		actors := make([]*geo.Actor, rows)
		for i := range actors {
			street := "Place de la République"
			if i%2 == 1 {
				street = "4 Rue du Général Leclerc"
			}
			actors[i] = &geo.Actor{Name: fmt.Sprintf("Acteur %d", i), Sectors: []string{"autres"},
				Status: geo.StatusPublished, ExternalID: fmt.Sprintf("%d-%d", run, i),
				Address: geo.Address{Street: fmt.Sprintf("%s (%d-%d)", street, run, i), City: "Paris"}}
		}
		return actors
	}
	reset := func(b *testing.B) {
		b.StopTimer()
		if _, err := f.db.Pool.Exec(ctx, `TRUNCATE actors CASCADE; TRUNCATE geocode_cache`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	var baseline float64
	measure := func(name string, batchMin int, geocode bool) {
		b.Run(name, func(b *testing.B) {
			f.runner.BatchMin = batchMin
			var took time.Duration
			for b.Loop() {
				reset(b)
				actors := batch()
				start := time.Now()
				if _, err := f.actors.ImportActors(ctx, actors, false, nil); err != nil {
					b.Fatal(err)
				}
				if geocode {
					sum, err := f.runner.Run(ctx, nil)
					if err != nil || sum.Done() != rows {
						b.Fatalf("%+v %v", sum, err)
					}
				}
				took += time.Since(start)
			}
			perSec := float64(rows*b.N) / took.Seconds()
			b.ReportMetric(perSec, "rows/s")
			if baseline == 0 {
				baseline = perSec
			} else {
				b.ReportMetric(baseline/perSec, "x-import")
			}
		})
	}
	measure("import", 0, false)
	measure("import+batch", 30, true)
	measure("import+search", 1<<30, true)
}
