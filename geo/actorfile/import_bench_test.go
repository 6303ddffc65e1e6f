package actorfile

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/maillage/maillage/geo"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/shareddata"
)

// BenchmarkImportSIAE imports the real SIAE list (3,853 rows): parsing
// alone is the baseline; "store" adds the upserts into a fresh PostGIS
// database, and "reimport" imports it again over itself (nothing changes).
// Compare the rows/s of the three in one run. "audit" imports it into
// fresh databases without and with the history (audit_log), alternately,
// and reports the ratio of their times.
func BenchmarkImportSIAE(b *testing.B) {
	path := filepath.Join(sharedData(b), "actors", "siae-france.geojson")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	features, _ := shareddata.CountFeatures(b, path)
	tax := seededTaxonomy(b, "autres", true)
	opt := Options{Sector: "insertion", Source: "ASP"}
	ctx := context.Background()
	rowsPerSec := func(b *testing.B, rows int) {
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	}
	b.Run("parse", func(b *testing.B) {
		var n int
		for b.Loop() {
			rows, _, err := Parse(bytes.NewReader(data), "siae-france.geojson", opt, tax)
			if err != nil {
				b.Fatal(err)
			}
			n = len(rows)
		}
		rowsPerSec(b, n)
	})
	importer := func(b *testing.B) *Importer {
		db := postgistest.New(b)
		actors := postgis.NewActorStore(db)
		return &Importer{Store: actors, Sectors: postgis.NewSectorStore(db), LegalForms: tax.LegalForms, DefaultSector: "autres"}
	}
	b.Run("store", func(b *testing.B) {
		var n int
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			im := importer(b)
			b.StartTimer()
			res, err := im.Import(ctx, bytes.NewReader(data), "siae-france.geojson", opt, nil)
			if err != nil || res.Created != features {
				b.Fatalf("import: %v %+v", err, res)
			}
			n = res.Rows
		}
		rowsPerSec(b, n)
	})
	// The cost of the history (audit_log): the same import into fresh
	// databases without and with it, alternately, in one run.
	b.Run("audit", func(b *testing.B) {
		var with, without time.Duration
		for b.Loop() {
			for _, off := range []bool{true, false} {
				b.StopTimer()
				im := importer(b)
				actx := geo.WithAuthor(ctx, geo.Author{Who: "cli", Route: "import", Off: off})
				b.StartTimer()
				start := time.Now()
				res, err := im.Import(actx, bytes.NewReader(data), "siae-france.geojson", opt, nil)
				d := time.Since(start)
				if err != nil || res.Created != features {
					b.Fatalf("import: %v %+v", err, res)
				}
				if off {
					without += d
				} else {
					with += d
				}
			}
		}
		b.ReportMetric(without.Seconds()/float64(b.N), "s_without_history")
		b.ReportMetric(with.Seconds()/float64(b.N), "s_with_history")
		b.ReportMetric(with.Seconds()/without.Seconds(), "history_ratio")
	})
	b.Run("reimport", func(b *testing.B) {
		im := importer(b)
		if _, err := im.Import(ctx, bytes.NewReader(data), "siae-france.geojson", opt, nil); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		var n int
		for i := 0; i < b.N; i++ {
			res, err := im.Import(ctx, bytes.NewReader(data), "siae-france.geojson", opt, nil)
			if err != nil || res.Unchanged != features {
				b.Fatalf("reimport: %v created %d updated %d unchanged %d", err, res.Created, res.Updated, res.Unchanged)
			}
			n = res.Rows
		}
		rowsPerSec(b, n)
	})
}
