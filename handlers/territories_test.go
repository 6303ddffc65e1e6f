package handlers_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"testing"

	"github.com/maillage/maillage/internal/shareddata"
)

// postFile sends file as the multipart field "file" of POST path, with
// fields, and returns the status and the JSON answer.
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
	req.Header.Set("Authorization", "Bearer "+s.token)
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
