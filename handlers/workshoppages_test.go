package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/postgistest"
)

// shell is a stand-in for a built page shell: what the server edits in
// it (the <title>, the end of <head>) and nothing else.
const shell = "<!doctype html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n<title>maillage — atelier</title>\n" +
	"<link rel=\"stylesheet\" href=\"assets/%[1]s.css\">\n</head>\n<body>%[1]s</body>\n</html>\n"

// TestWorkshopPages serves the workshop pages from shells: a known code
// (in any case) gets its page with the workshop's id and code in the
// config and its title, escaped, in <title>; an unknown or malformed
// code gets the page with status 404; pages under a path get a <base>.
func TestWorkshopPages(t *testing.T) {
	db := postgistest.New(t)
	store := postgis.NewWorkshopStore(db)
	w := &geo.Workshop{Title: `Atelier <b>"Pays-Haut"</b>`, Date: time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC),
		Status: geo.WorkshopDraft, BBox: geo.BBox{MinLon: 5.8, MinLat: 49.3, MaxLon: 5.87, MaxLat: 49.34}}
	if _, err := store.CreateWorkshop(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	opts := handlers.DefaultOptions()
	opts.Frontend = fstest.MapFS{
		"strings.json": {Data: []byte(`{"workshopSuffix": " — atelier maillage", "projectionSuffix": " — projection",
			"recordSuffix": " — compte rendu", "workshopNotFoundTitle": "Atelier introuvable — maillage"}`)},
		"ateliers.html":   {Data: []byte(fmt.Sprintf(shell, "keeper"))},
		"atelier.html":    {Data: []byte(fmt.Sprintf(shell, "participant"))},
		"projection.html": {Data: []byte(fmt.Sprintf(shell, "projection"))},
		"synthese.html":   {Data: []byte(fmt.Sprintf(shell, "record"))},
	}
	srv := httptest.NewServer(handlers.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)),
		handlers.Deps{Sectors: postgis.NewSectorStore(db), Workshops: store, DB: db}, opts))
	t.Cleanup(srv.Close)

	title := "<title>Atelier &lt;b&gt;&#34;Pays-Haut&#34;&lt;/b&gt;"
	config := func(page string) string {
		return fmt.Sprintf(`"workshop":{"id":%d,"code":%q,"page":%q}`, w.ID, w.Code, page)
	}
	for _, tc := range []struct {
		path   string
		status int
		want   []string
	}{
		{"/ateliers", 200, []string{`"workshop":{"page":"keeper"}`, "<body>keeper"}},
		{"/ateliers/" + w.Code, 200, []string{config("participant"), title + " — atelier maillage</title>", "<base href=\"../\">", "<body>participant"}},
		{"/ateliers/" + strings.ToLower(w.Code), 200, []string{config("participant")}},
		{"/ateliers/" + w.Code + "/projection", 200, []string{config("projection"), title + " — projection — atelier maillage</title>", "<base href=\"../../\">"}},
		{"/ateliers/" + w.Code + "/synthese", 200, []string{config("record"), title + " — compte rendu — atelier maillage</title>", "<body>record"}},
		{"/ateliers/ZZZZZZ", 404, []string{`"notFound":true`, `"workshop":{"page":"participant"}`, "<title>Atelier introuvable — maillage</title>"}},
		{"/ateliers/0OIL10/synthese", 404, []string{`"notFound":true`, `"workshop":{"page":"record"}`}},
		{"/ateliers/" + w.Code + "?x=1", 400, []string{`"x"`}},
	} {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("GET %s = %d, want %d\n%s", tc.path, resp.StatusCode, tc.status, body)
		}
		for _, want := range tc.want {
			if !strings.Contains(string(body), want) {
				t.Errorf("GET %s does not contain %s\n%s", tc.path, want, body)
			}
		}
		if strings.Contains(string(body), "<b>") {
			t.Errorf("GET %s: the workshop's title is not escaped\n%s", tc.path, body)
		}
	}
}
