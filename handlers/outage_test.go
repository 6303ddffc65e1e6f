package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo/actorfile"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/pgcluster"
)

// clusterProcesses returns the postmaster of the cluster in dir and its
// children, read from postmaster.pid and /proc.
func clusterProcesses(t *testing.T, dir string) []int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "postgres", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	postmaster, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	pids := []int{postmaster}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after ")".
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(postmaster) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
			pids = append(pids, pid)
		}
	}
	return pids
}

func signalAll(t *testing.T, pids []int, sig syscall.Signal) {
	t.Helper()
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil && err != syscall.ESRCH {
			t.Errorf("kill %d %v: %v", pid, sig, err)
		}
	}
}

// outageCluster is a PostgreSQL cluster of a test's own, that it may
// freeze or stop without touching the other tests' cluster.
type outageCluster struct {
	*pgcluster.Cluster
	dir string
}

func newOutageCluster(t *testing.T) *outageCluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "mlo-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	oc := &outageCluster{dir: dir}
	if err := oc.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if oc.Started() {
			signalAll(t, clusterProcesses(t, dir), syscall.SIGCONT)
			oc.Stop()
		}
	})
	return oc
}

// start starts the cluster, again after a Stop.
func (oc *outageCluster) start() error {
	c, err := pgcluster.Start(context.Background(), pgcluster.Config{Dir: oc.dir, Unsafe: true})
	if err == nil {
		oc.Cluster = c
	}
	return err
}

// TestDatabaseOutage freezes PostgreSQL (SIGSTOP on the postmaster and its
// children) for longer than the request deadline: requests answer 503
// with Retry-After and a JSON error within the deadline and a second;
// after SIGCONT they succeed within a second. Then the server is stopped:
// still 503, never 500. It runs on a cluster of its own, so that the other
// tests' cluster is never frozen. The durations measured are bounds of the
// behaviour asked, not performance.
func TestDatabaseOutage(t *testing.T) {
	oc := newOutageCluster(t)
	dir, cluster, ctx := oc.dir, oc.Cluster, context.Background()
	db, err := postgis.Open(ctx, postgis.Config{URL: cluster.ConnString(pgcluster.Database)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const deadline = time.Second
	opts := handlers.DefaultOptions()
	opts.RequestTimeout = deadline
	var logs syncBuffer
	srv := httptest.NewServer(handlers.NewServer(slog.New(slog.NewTextHandler(&logs, nil)), handlers.Deps{
		Actors: postgis.NewActorStore(db), Sectors: postgis.NewSectorStore(db), Auth: postgis.NewTokenStore(db),
		DB: db, Nearby: postgis.NewActorStore(db), Unavailable: postgis.Unavailable}, opts))
	defer srv.Close()
	paths := []string{"/api/actors", "/api/sectors", "/api/actors/1", "/api/actors/nearby?lat=46.3&lon=-0.46"}
	get := func(path string) (int, string, string, time.Duration) {
		start := time.Now()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Error string }
		b, _ := io.ReadAll(resp.Body)
		json.Unmarshal(b, &body)
		return resp.StatusCode, resp.Header.Get("Retry-After"), body.Error, time.Since(start)
	}
	for _, p := range paths {
		if code, _, _, _ := get(p); code != 200 && code != 404 {
			t.Fatalf("%s before the freeze = %d", p, code)
		}
	}

	pids := clusterProcesses(t, dir)
	signalAll(t, pids, syscall.SIGSTOP)
	frozenAt := time.Now()
	for _, p := range paths {
		code, retry, msg, took := get(p)
		t.Logf("frozen: %s = %d in %v", p, code, took.Round(time.Millisecond))
		if code != 503 || retry == "" || !strings.Contains(msg, "database") || took > deadline+time.Second {
			t.Errorf("frozen: %s = %d Retry-After %q %q in %v, want 503 within %v", p, code, retry, msg, took, deadline+time.Second)
		}
	}
	// A client that gives up is logged as such, at info level.
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	req, _ := http.NewRequestWithContext(cctx, "GET", srv.URL+"/api/actors", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("a request to a frozen database answered %d within 200ms", resp.StatusCode)
	}
	cancel()
	time.Sleep(3*deadline - time.Since(frozenAt)) // frozen for longer than the deadline in any case
	signalAll(t, pids, syscall.SIGCONT)
	thawed := time.Now()
	for _, p := range paths {
		code, _, _, _ := get(p)
		if code != 200 && code != 404 {
			t.Errorf("after SIGCONT: %s = %d", p, code)
		}
	}
	t.Logf("after SIGCONT: %d requests succeeded in %v", len(paths), time.Since(thawed).Round(time.Millisecond))
	if took := time.Since(thawed); took > time.Second {
		t.Errorf("after SIGCONT the requests took %v, want them served within 1s", took)
	}

	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		code, retry, msg, took := get(p)
		if code != 503 || retry == "" || !strings.Contains(msg, "database") || took > deadline+time.Second {
			t.Errorf("stopped: %s = %d Retry-After %q %q in %v, want 503", p, code, retry, msg, took)
		}
	}
	if !strings.Contains(logs.String(), `level=INFO msg="client disconnected" method=GET path=/api/actors`) {
		t.Errorf("no info line for the client that left:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("an outage logged as an internal error:\n%s", logs.String())
	}
}

// TestImportDuringOutage catches a synchronous import in the middle, once
// by freezing PostgreSQL past the import's deadline and once by stopping
// it: each answers 503 with Retry-After and a JSON error saying that
// nothing was stored, and nothing was, not even the attribution.
func TestImportDuringOutage(t *testing.T) {
	oc := newOutageCluster(t)
	ctx := context.Background()
	url := oc.ConnString(pgcluster.Database)
	db, err := postgis.Open(ctx, postgis.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	actors, sectors, tokens := postgis.NewActorStore(db), postgis.NewSectorStore(db), postgis.NewTokenStore(db)
	token, err := tokens.CreateToken(ctx, "test-keeper")
	if err != nil {
		t.Fatal(err)
	}
	opts := handlers.DefaultOptions()
	opts.LongRequestTimeout = 10 * time.Second // far longer than the import, which the freeze outlasts
	srv := httptest.NewServer(handlers.NewServer(slog.New(slog.DiscardHandler), handlers.Deps{
		Actors: actors, Sectors: sectors, Auth: tokens, DB: db, Unavailable: postgis.Unavailable,
		Importer: &actorfile.Importer{Store: actors, Sectors: sectors, DefaultSector: "autres"}}, opts))
	defer srv.Close()
	file := generatedCSV(2000)
	if int64(len(file)) > opts.ImportSyncMax {
		t.Fatalf("the file is %d bytes, over the synchronous import's %d", len(file), opts.ImportSyncMax)
	}
	type answer struct {
		code  int
		retry string
		body  string
	}
	// startImport posts the file and waits until the import writes into
	// actors (a backend holds a RowExclusiveLock on it).
	startImport := func() <-chan answer {
		t.Helper()
		done := make(chan answer, 1)
		go func() {
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			fw, _ := w.CreateFormFile("file", "siae.csv")
			fw.Write([]byte(file))
			w.WriteField("source", "ASP")
			w.WriteField("attribution", "Liste des SIAE")
			w.Close()
			req, _ := http.NewRequest("POST", srv.URL+"/api/imports", &body)
			req.Header.Set("Content-Type", w.FormDataContentType())
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- answer{body: err.Error()}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			done <- answer{resp.StatusCode, resp.Header.Get("Retry-After"), string(b)}
		}()
		watch, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer watch.Close(ctx)
		for {
			var writing bool
			err := watch.QueryRow(ctx, `
				SELECT EXISTS (SELECT FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
				WHERE c.relname = 'actors' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid())`).Scan(&writing)
			if err != nil {
				t.Fatal(err)
			}
			if writing {
				return done
			}
			select {
			case a := <-done:
				t.Fatalf("the import ended before it was seen writing: %d %s", a.code, a.body)
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	check := func(what string, a answer) {
		t.Helper()
		var body struct{ Error string }
		json.Unmarshal([]byte(a.body), &body)
		t.Logf("%s: %d %q", what, a.code, body.Error)
		if a.code != 503 || a.retry == "" || !strings.Contains(body.Error, "nothing was stored") {
			t.Errorf("%s: %d Retry-After %q %s, want 503 saying that nothing was stored", what, a.code, a.retry, a.body)
		}
	}
	nothingStored := func(what string, db *postgis.DB) {
		t.Helper()
		var n, sources int
		if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM actors), (SELECT count(*) FROM sources)`).Scan(&n, &sources); err != nil {
			t.Fatal(err)
		}
		if n != 0 || sources != 0 {
			t.Errorf("%s: %d actors and %d sources stored, want none", what, n, sources)
		}
	}

	done := startImport()
	pids := clusterProcesses(t, oc.dir)
	signalAll(t, pids, syscall.SIGSTOP)
	a := <-done
	signalAll(t, pids, syscall.SIGCONT)
	check("frozen", a)
	nothingStored("frozen", db)

	done = startImport()
	if err := oc.Stop(); err != nil {
		t.Fatal(err)
	}
	check("stopped", <-done)
	if err := oc.start(); err != nil {
		t.Fatal(err)
	}
	db2, err := postgis.Open(ctx, postgis.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	nothingStored("stopped", db2)
}
