package handlers

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
)

// TestHeavyExportsBounded fills the slots of heavy exports as running
// exports would: the next one is refused at once with 503 and
// Retry-After, and served again once a slot frees.
func TestHeavyExportsBounded(t *testing.T) {
	db := postgistest.New(t)
	opts := DefaultOptions()
	opts.HeavyExports = 2
	s := NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), Deps{Actors: postgis.NewActorStore(db),
		Sectors: postgis.NewSectorStore(db), Auth: postgis.NewTokenStore(db), DB: db}, opts)
	srv := httptest.NewServer(s)
	defer srv.Close()
	s.heavy <- struct{}{}
	s.heavy <- struct{}{}
	for _, path := range []string{"/api/actors.geojson", "/api/actors.csv"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || body.Error == "" {
			t.Errorf("%s past the bound = %d Retry-After %q %+v", path, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	<-s.heavy
	for _, path := range []string{"/api/actors.geojson", "/api/actors.csv", "/api/actors.geojson"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s with a free slot = %d", path, resp.StatusCode)
		}
	}
}
