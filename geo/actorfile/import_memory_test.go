package actorfile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
)

// writeGeneratedFile writes n rows of actors with a long description to a
// file and returns its path: a file read from disk, as the CLI and an
// import job read it.
func writeGeneratedFile(t testing.TB, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("actors-%d.csv", n))
	var b strings.Builder
	b.WriteString("nom;type;adresse;code postal;ville;latitude;longitude;description\n")
	desc := strings.Repeat("Chantier d'insertion, atelier vélo et recyclerie. ", 6)
	for i := range n {
		fmt.Fprintf(&b, "Structure %d;ACI;%d rue de la Paix;79000;Niort;46.%04d;-0.46;%s %d\n", i, i, i%10000, desc, i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// liveHeapGrowth runs f and returns by how much the live heap, as the
// garbage collector measures it after each cycle, grew above what it was
// before f at the most. The collector runs often meanwhile (GOGC 10), so
// that the live heap is seen close to its peak.
func liveHeapGrowth(f func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	base := read()
	peak := base
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				peak = max(peak, read())
			}
		}
	})
	f()
	runtime.GC()
	close(stop)
	wg.Wait()
	peak = max(peak, read())
	return peak - base
}

// TestImportMemoryBounded imports, as a dry run and for real, a file of n
// rows and one of 4n: the live heap an import takes is bounded by the
// batch, not the file, so the larger file must not take more than half as
// much again (plus 2 MiB for the noise of a test process). An importer
// that kept the whole file fails it: with the rows sent to the store only
// at the end of the file, 4,000 and 16,000 rows grew the live heap by 7.2
// and 25.8 MB (4.4 and 4.9 MB as batches).
func TestImportMemoryBounded(t *testing.T) {
	const n = 3000
	small, large := writeGeneratedFile(t, n), writeGeneratedFile(t, 4*n)
	ctx := context.Background()
	for _, dryRun := range []bool{true, false} {
		t.Run(fmt.Sprintf("dry_run=%v", dryRun), func(t *testing.T) {
			growth := map[string]uint64{}
			for _, path := range []string{small, large} {
				db := postgistest.New(t)
				im := &Importer{Store: postgis.NewActorStore(db), Sectors: postgis.NewSectorStore(db), DefaultSector: "autres"}
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				var res *Result
				growth[path] = liveHeapGrowth(func() {
					res, err = im.Import(ctx, f, path, Options{Sector: "insertion", Source: "ASP", DryRun: dryRun}, nil)
				})
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				st, _ := os.Stat(path)
				t.Logf("%s (%.1f MB, %d rows, %d created): live heap grew by %.1f MB at most",
					filepath.Base(path), float64(st.Size())/1e6, res.Rows, res.Created, float64(growth[path])/1e6)
				if res.Created+res.Unchanged+res.Updated != res.Rows {
					t.Fatalf("import: %d rows, %d created: %v", res.Rows, res.Created, res.Failed)
				}
			}
			if bound := growth[small]*3/2 + 2<<20; growth[large] > bound {
				t.Errorf("4× the rows took %.1f MB of live heap, against %.1f MB: past the bound %.1f MB, memory follows the file",
					float64(growth[large])/1e6, float64(growth[small])/1e6, float64(bound)/1e6)
			}
		})
	}
}
