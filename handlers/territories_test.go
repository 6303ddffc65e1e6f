package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/geo/territoryfile"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/shareddata"
)

// postFile sends file as the multipart field "file" of POST path, with
// fields, as the keeper (anonymous without s.token), and returns the
// status and the JSON answer.
func (s *testServer) postFile(t *testing.T, path, name string, file []byte, fields map[string][]string) (int, map[string]any) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(file)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	w.Close()
	req, _ := http.NewRequest("POST", s.URL+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestTerritoryImportAPI posts the départements: refused fields are named,
// a dry run writes nothing, an import does.
func TestTerritoryImportAPI(t *testing.T) {
	s := newTerritoryTestServer(t)
	file, err := os.ReadFile(shareddata.Dir(t, "territories", "departements-simplified.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	code, out := s.postFile(t, "/api/territories/imports", "departements.geojson", file,
		map[string][]string{"level": {"departement", "region"}, "colour": {"x"}, "dry_run": {"maybe"}})
	fields, _ := out["fields"].(map[string]any)
	if code != 400 || fields["level"] == nil || fields["colour"] == nil || fields["dry_run"] == nil {
		t.Errorf("bad fields = %d %v, want 400 naming level, colour and dry_run", code, out)
	}
	code, out = s.postFile(t, "/api/territories/imports", "departements.geojson", file,
		map[string][]string{"level": {"departement"}, "dry_run": {"true"}})
	if code != 200 || out["dry_run"] != true || out["created"].(float64) < 90 {
		t.Fatalf("dry run = %d %v", code, out)
	}
	if code := s.do(t, "GET", "/api/territories/29", nil, false, nil); code != 404 {
		t.Errorf("after a dry run, GET /api/territories/29 = %d, want 404", code)
	}
	code, out = s.postFile(t, "/api/territories/imports", "departements.geojson", file,
		map[string][]string{"level": {"departement"}})
	if code != 200 || out["created"].(float64) < 90 {
		t.Fatalf("import = %d %v", code, out)
	}
	if code := s.do(t, "GET", "/api/territories/29", nil, false, nil); code != 200 {
		t.Errorf("after the import, GET /api/territories/29 = %d, want 200", code)
	}
}

// TestOutsideTerritoryWarned configures Finistère as the territory:
// writes and imports of a point in Niort are stored with a warning naming
// it, those of a point in Brest are not.
func TestOutsideTerritoryWarned(t *testing.T) {
	ctx := context.Background()
	db := postgistest.New(t)
	actors, sectors, tokens := postgis.NewActorStore(db), postgis.NewSectorStore(db), postgis.NewTokenStore(db)
	token, err := tokens.CreateToken(ctx, "test-keeper")
	if err != nil {
		t.Fatal(err)
	}
	terr := postgis.NewTerritoryStore(db)
	path := shareddata.Dir(t, "territories", "communes-29-finistere.geojson")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&territoryfile.Importer{Store: terr}).Import(ctx, f, path, territoryfile.Options{}, nil)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	zone := postgis.NewTerritoryZone(db, []geo.TerritoryRef{{Code: "29"}})
	srv := httptest.NewServer(handlers.NewServer(slog.New(slog.DiscardHandler), handlers.Deps{
		Actors: actors, Sectors: sectors, Auth: tokens, DB: db, Territories: terr, Territory: zone,
		Importer: &actorfile.Importer{Store: actors, Sectors: sectors, DefaultSector: "autres", Territory: zone},
	}, handlers.DefaultOptions()))
	t.Cleanup(srv.Close)
	s := &testServer{Server: srv, token: token}

	type written struct {
		ID       int64             `json:"id"`
		Warnings map[string]string `json:"warnings"`
	}
	point := func(lon, lat float64) map[string]any {
		return map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}
	}
	var out written
	if code := s.do(t, "POST", "/api/actors", map[string]any{"name": "Niort", "sectors": []string{"culture"},
		"location": point(-0.46, 46.32)}, true, &out); code != 201 {
		t.Fatalf("create = %d", code)
	}
	if w := out.Warnings["location"]; !strings.Contains(w, "outside the configured territory") || strings.Contains(w, "swapped") {
		t.Errorf("point in Niort: warnings %v", out.Warnings)
	}
	id := out.ID
	out = written{}
	s.do(t, "PATCH", fmt.Sprintf("/api/actors/%d", id), map[string]any{"location": point(-4.48, 48.39)}, true, &out)
	if out.Warnings != nil {
		t.Errorf("moved to Brest: warnings %v", out.Warnings)
	}
	out = written{}
	s.do(t, "PATCH", fmt.Sprintf("/api/actors/%d", id), map[string]any{"location": point(48.39, -4.48)}, true, &out)
	if w := out.Warnings["location"]; !strings.Contains(w, "swapped") {
		t.Errorf("Brest swapped: warnings %v", out.Warnings)
	}

	csv := "nom;secteur;latitude;longitude\nÀ Brest;culture;48,39;-4,48\nÀ Niort;culture;46,32;-0,46\n"
	code, rep := s.postFile(t, "/api/imports", "acteurs.csv", []byte(csv), nil)
	if code != 200 {
		t.Fatalf("import = %d %v", code, rep)
	}
	var warned []string
	for _, w := range rep["warnings"].([]any) {
		w := w.(map[string]any)
		if strings.Contains(w["reason"].(string), "configured territory") {
			warned = append(warned, fmt.Sprintf("row %v %v", w["row"], w["field"]))
		}
	}
	if len(warned) != 1 || warned[0] != "row 3 latitude" {
		t.Errorf("import warnings on the territory: %v, want row 3 latitude only (%v)", warned, rep["warnings"])
	}
}
