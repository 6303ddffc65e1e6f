package handlers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/maillage/maillage/geo/actorfile"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/shareddata"
)

// siaeCSV returns n rows in the layout of the SIAE list (its GeoJSON
// properties as CSV columns), made from the real SIAE of France repeated
// with new SIRETs and points moved by up to 1 km.
func siaeCSV(tb testing.TB, n int) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(shareddata.Dir(tb), "actors", "siae-france.geojson"))
	if err != nil {
		tb.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Geometry   struct{ Coordinates []float64 }
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		tb.Fatal(err)
	}
	cols := []string{"name", "brand", "kind", "legal_form", "siret", "naf", "address", "post_code", "city",
		"department", "website", "source"}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(append(slices.Clone(cols), "longitude", "latitude"))
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		f := fc.Features[i%len(fc.Features)]
		rec := make([]string, 0, len(cols)+2)
		for _, c := range cols {
			v, _ := f.Properties[c].(string)
			switch c {
			case "siret":
				v = withLuhn(fmt.Sprintf("8%012d", i))
			case "name":
				v = fmt.Sprintf("%s %d", v, i)
			}
			rec = append(rec, v)
		}
		lon, lat := 2.35, 48.85
		if len(f.Geometry.Coordinates) == 2 {
			lon, lat = f.Geometry.Coordinates[0], f.Geometry.Coordinates[1]
		}
		rec = append(rec, strconv.FormatFloat(lon+(rnd.Float64()-0.5)/50, 'f', 6, 64),
			strconv.FormatFloat(lat+(rnd.Float64()-0.5)/80, 'f', 6, 64))
		w.Write(rec)
	}
	w.Flush()
	return buf.Bytes()
}

// BenchmarkImport150k imports 150,000 generated SIAE rows through POST
// /api/imports (a job) while two clients create actors one at a time, and
// copies the same file into a bare table, the limit. It reports the rows
// per second, the p99 of the single writes during the import, the peak
// RSS of this process (server and clients) and of the PostgreSQL
// backends (VmHWM, which counts the shared buffers they touched), and the
// seconds of the bare COPY.
//
//	go test -run '^$' -bench Import150k -benchtime 1x ./handlers/
func BenchmarkImport150k(b *testing.B) {
	const rows = 150_000
	file := siaeCSV(b, rows)
	b.Logf("file: %d rows, %.1f MB", rows, float64(len(file))/1e6)
	for b.Loop() {
		db := postgistest.New(b)
		ctx := context.Background()
		actors, sectors, tokens := postgis.NewActorStore(db), postgis.NewSectorStore(db), postgis.NewTokenStore(db)
		token, err := tokens.CreateToken(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		opts := handlers.DefaultOptions()
		hs := handlers.NewServer(slog.New(slog.DiscardHandler), handlers.Deps{Actors: actors, Sectors: sectors,
			Auth: tokens, Importer: &actorfile.Importer{Store: actors, Sectors: sectors, DefaultSector: "autres"},
			Imports: postgis.NewImportJobStore(db), DB: db}, opts)
		srv := httptest.NewServer(hs)

		send := func(method, path, contentType string, body io.Reader, out any) (int, error) {
			req, _ := http.NewRequest(method, srv.URL+path, body)
			req.Header.Set("Authorization", "Bearer "+token)
			if contentType != "" {
				req.Header.Set("Content-Type", contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			if out != nil {
				return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
			}
			io.Copy(io.Discard, resp.Body)
			return resp.StatusCode, nil
		}

		// The bare limit: the same file copied into a table of text columns.
		conn, err := db.Pool.Acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		conn.Exec(ctx, `CREATE TABLE bare (name text, brand text, kind text, legal_form text, siret text, naf text,
			address text, post_code text, city text, department text, website text, source text, longitude text, latitude text)`)
		start := time.Now()
		if _, err := conn.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(file), `COPY bare FROM STDIN (FORMAT csv, HEADER)`); err != nil {
			b.Fatal(err)
		}
		copyTime := time.Since(start)
		conn.Release()

		// Two keepers create actors one at a time during the import.
		stop := make(chan struct{})
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		for w := range 2 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond):
					}
					body := fmt.Sprintf(`{"name":"Écrit pendant l'import %d-%d","sectors":["autres"],"status":"published","location":{"type":"Point","coordinates":[-0.46,46.32]}}`, w, i)
					t0 := time.Now()
					code, err := send("POST", "/api/actors", "application/json", strings.NewReader(body), nil)
					if err != nil || code != 201 {
						b.Errorf("single write = %d %v", code, err)
						return
					}
					mu.Lock()
					lat = append(lat, time.Since(t0))
					mu.Unlock()
				}
			})
		}

		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			fw, _ := mw.CreateFormFile("file", "siae-150k.csv")
			fw.Write(file)
			pw.CloseWithError(mw.Close())
		}()
		start = time.Now()
		var job map[string]any
		if code, err := send("POST", "/api/imports", mw.FormDataContentType(), pr, &job); err != nil || code != 202 {
			b.Fatalf("POST /api/imports = %d %v %v", code, err, job)
		}
		id := int64(job["id"].(float64))
		for job["state"] == "running" {
			time.Sleep(200 * time.Millisecond)
			if _, err := send("GET", fmt.Sprintf("/api/imports/%d", id), "", nil, &job); err != nil {
				b.Fatal(err)
			}
		}
		elapsed := time.Since(start)
		close(stop)
		wg.Wait()
		if job["state"] != "done" || job["rows_stored"].(float64) != rows {
			b.Fatalf("job = %v", job)
		}

		var pids []int32
		rs, _ := db.Pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
		for rs.Next() {
			var pid int32
			rs.Scan(&pid)
			pids = append(pids, pid)
		}
		rs.Close()
		var pgPeak int64
		for _, pid := range pids {
			pgPeak = max(pgPeak, vmHWM(pid))
		}
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)

		slices.Sort(lat)
		p99 := time.Duration(0)
		if len(lat) > 0 {
			p99 = lat[min(len(lat)-1, len(lat)*99/100)]
		}
		b.ReportMetric(rows/elapsed.Seconds(), "rows/s")
		b.ReportMetric(elapsed.Seconds(), "import_s")
		b.ReportMetric(copyTime.Seconds(), "bare_copy_s")
		b.ReportMetric(float64(p99.Milliseconds()), "write_p99_ms")
		b.ReportMetric(float64(len(lat)), "writes")
		b.ReportMetric(float64(ru.Maxrss)/1024, "server_peak_MB")
		b.ReportMetric(float64(pgPeak)/1024, "pg_backend_peak_MB")
		srv.Close()
		hs.StopImports()
	}
}

// vmHWM returns the peak resident size of process pid in KiB, 0 if unknown.
func vmHWM(pid int32) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
