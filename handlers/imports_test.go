package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/postgistest"
)

// stallingImporter is the real importer that, once told, stops after its
// first batch until its context ends: an import caught in the middle.
type stallingImporter struct {
	*actorfile.Importer
	stall bool
}

func (s *stallingImporter) Import(ctx context.Context, r io.Reader, name string, opt actorfile.Options, progress func(actorfile.Progress)) (*actorfile.Result, error) {
	return s.Importer.Import(ctx, r, name, opt, func(p actorfile.Progress) {
		if progress != nil {
			progress(p)
		}
		if s.stall {
			<-ctx.Done()
		}
	})
}

type jobServer struct {
	*testServer
	jobs     *postgis.ImportJobStore
	importer *stallingImporter
	stop     func()
}

func newJobServer(t *testing.T) *jobServer {
	t.Helper()
	db := postgistest.New(t)
	actors, sectors, tokens := postgis.NewActorStore(db), postgis.NewSectorStore(db), postgis.NewTokenStore(db)
	token, err := tokens.CreateToken(context.Background(), "test-keeper")
	if err != nil {
		t.Fatal(err)
	}
	opts := handlers.DefaultOptions()
	opts.ImportSyncMax = 1000
	jobs := postgis.NewImportJobStore(db)
	importer := &stallingImporter{Importer: &actorfile.Importer{Store: actors, Sectors: sectors, DefaultSector: "autres"}}
	hs := handlers.NewServer(slog.New(slog.DiscardHandler), handlers.Deps{Actors: actors, Sectors: sectors, Auth: tokens,
		Importer: importer, Imports: jobs, DB: db}, opts)
	srv := httptest.NewServer(hs)
	t.Cleanup(srv.Close)
	t.Cleanup(hs.StopImports)
	return &jobServer{testServer: &testServer{Server: srv, token: token}, jobs: jobs, importer: importer, stop: hs.StopImports}
}

// generatedCSV returns n rows in the SIAE layout; row 3 has a bad SIRET.
func generatedCSV(n int) string {
	var b strings.Builder
	b.WriteString("siret;nom;type;adresse;code postal;ville;latitude;longitude\n")
	for i := range n {
		siret := withLuhn(fmt.Sprintf("9%012d", i))
		if i == 1 {
			siret = "123"
		}
		fmt.Fprintf(&b, "%s;Structure %d;ACI;%d rue de la Paix;79000;Niort;46.32;-0.46\n", siret, i, i)
	}
	return b.String()
}

func (s *jobServer) upload(t *testing.T, file string) (int, map[string]any) {
	t.Helper()
	return s.postFile(t, "/api/imports", "siae.csv", []byte(file), nil)
}

// wait polls job id until it leaves the running state.
func (s *jobServer) wait(t *testing.T, id int64) map[string]any {
	t.Helper()
	for range 600 {
		var job map[string]any
		if code := s.do(t, "GET", fmt.Sprintf("/api/imports/%d", id), nil, true, &job); code != 200 {
			t.Fatalf("GET job = %d %v", code, job)
		}
		if job["state"] != geo.JobRunning {
			return job
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("job %d still running after 60 s", id)
	return nil
}

func TestImportJob(t *testing.T) {
	s := newJobServer(t)
	code, job := s.upload(t, generatedCSV(2500))
	if code != 202 || job["state"] != geo.JobRunning {
		t.Fatalf("POST large file = %d %v, want 202 running", code, job)
	}
	id := int64(job["id"].(float64))
	if code := s.do(t, "GET", fmt.Sprintf("/api/imports/%d", id), nil, false, nil); code != 401 {
		t.Errorf("anonymous GET job = %d, want 401", code)
	}
	done := s.wait(t, id)
	rep, _ := done["report"].(map[string]any)
	if done["state"] != geo.JobDone || done["rows_read"].(float64) != 2500 || done["rows_stored"].(float64) != 2499 ||
		done["rows_failed"].(float64) != 1 || rep == nil || rep["created"].(float64) != 2499 {
		t.Fatalf("job = %v", done)
	}
	failed := rep["failed"].([]any)
	if p := failed[0].(map[string]any); len(failed) != 1 || p["row"].(float64) != 3 || p["field"] != "siret" {
		t.Errorf("failed rows = %v, want row 3 field siret", failed)
	}
	var list actorList
	if s.do(t, "GET", "/api/actors?limit=1", nil, true, &list); list.Total != 2499 {
		t.Errorf("%d actors stored, want 2499", list.Total)
	}
	if code := s.do(t, "DELETE", fmt.Sprintf("/api/imports/%d", id), nil, true, nil); code != 409 {
		t.Errorf("DELETE of an ended job = %d, want 409", code)
	}
	if code := s.do(t, "GET", "/api/imports/999999", nil, true, nil); code != 404 {
		t.Errorf("GET unknown job = %d, want 404", code)
	}
	if code, rep := s.upload(t, generatedCSV(3)); code != 200 || rep["unchanged"].(float64) != 2 {
		t.Errorf("small file = %d %v, want 200 with the report", code, rep)
	}
}

func TestImportJobCancelled(t *testing.T) {
	s := newJobServer(t)
	s.importer.stall = true
	code, job := s.upload(t, generatedCSV(2500))
	if code != 202 {
		t.Fatalf("POST = %d %v", code, job)
	}
	id := int64(job["id"].(float64))
	var cancelled map[string]any
	if code := s.do(t, "DELETE", fmt.Sprintf("/api/imports/%d", id), nil, true, &cancelled); code != 202 {
		t.Fatalf("DELETE = %d %v", code, cancelled)
	}
	end := s.wait(t, id)
	if end["state"] != geo.JobCancelled || !strings.Contains(end["error"].(string), "nothing was stored") {
		t.Fatalf("cancelled job = %v", end)
	}
	var list actorList
	if s.do(t, "GET", "/api/actors?limit=1", nil, true, &list); list.Total != 0 {
		t.Errorf("a cancelled import left %d actors", list.Total)
	}
}

func TestImportJobInterrupted(t *testing.T) {
	s := newJobServer(t)
	s.importer.stall = true
	code, job := s.upload(t, generatedCSV(2500))
	if code != 202 {
		t.Fatalf("POST = %d %v", code, job)
	}
	id := int64(job["id"].(float64))
	// A server killed in the middle of the job: its heartbeat stops and
	// its transaction is gone; another server then finds the job
	// interrupted.
	s.jobs.Stale = time.Hour
	s.stop()
	j := &geo.ImportJob{Filename: "lost.csv"}
	if err := s.jobs.CreateImportJob(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	s.jobs.Stale = time.Nanosecond
	var lost map[string]any
	s.do(t, "GET", fmt.Sprintf("/api/imports/%d", j.ID), nil, true, &lost)
	if lost["state"] != geo.JobFailed || !strings.HasPrefix(lost["error"].(string), "interrupted") {
		t.Errorf("job of a dead server = %v, want failed: interrupted", lost)
	}
	var stopped map[string]any
	s.do(t, "GET", fmt.Sprintf("/api/imports/%d", id), nil, true, &stopped)
	if stopped["state"] != geo.JobFailed || !strings.HasPrefix(stopped["error"].(string), "interrupted") {
		t.Errorf("job of a stopped server = %v, want failed: interrupted", stopped)
	}
	var list actorList
	if s.do(t, "GET", "/api/actors?limit=1", nil, true, &list); list.Total != 0 {
		t.Errorf("an interrupted import left %d actors", list.Total)
	}
}

// withLuhn completes 13 digits into a valid SIRET.
func withLuhn(s string) string {
	for d := '0'; d <= '9'; d++ {
		if geo.ValidSIRET(s + string(d)) {
			return s + string(d)
		}
	}
	panic("no check digit for " + s)
}
