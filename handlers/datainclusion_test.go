package handlers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestDataInclusionExport: the data·inclusion export maps the structure
// type to typologie and reseaux_porteurs, shows contacts only with
// consent or to keepers, and names a wrong schema.
func TestDataInclusionExport(t *testing.T) {
	srv := newTestServer(t, nil)
	if status := srv.do(t, "POST", "/api/actors", map[string]any{"name": "Chantier du Port", "sectors": []string{"insertion"},
		"kind": "ACI", "siret": "73282932000074", "email": "contact@chantier.example.org", "status": "published",
		"networks": []string{"Coorace"}, "description": strings.Repeat("Réparer des vélos. ", 20),
		"address":  map[string]string{"street": "2 rue de Siam", "postcode": "29200", "city": "Brest"},
		"location": map[string]any{"type": "Point", "coordinates": []float64{-4.49, 48.39}}}, true, nil); status != 201 {
		t.Fatalf("create: %d", status)
	}
	get := func(path string, auth bool) (int, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer "+srv.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	for _, tc := range []struct {
		auth     bool
		courriel bool
	}{{false, false}, {true, true}} {
		status, body := get("/api/actors.json?schema=data-inclusion", tc.auth)
		var out []map[string]any
		if status != 200 || json.Unmarshal(body, &out) != nil || len(out) != 1 {
			t.Fatalf("export: %d %s", status, body)
		}
		s := out[0]
		if s["typologie"] != "ACI" || s["siret"] != "73282932000074" || s["code_postal"] != "29200" ||
			s["latitude"] != 48.39 || s["source"] != "maillage" || s["rna"] != nil {
			t.Errorf("structure %v", s)
		}
		if r, _ := s["reseaux_porteurs"].([]any); len(r) != 1 || r[0] != "aci" {
			t.Errorf("reseaux_porteurs %v", s["reseaux_porteurs"])
		}
		if r, _ := s["labels_autres"].([]any); len(r) != 1 || r[0] != "Coorace" {
			t.Errorf("labels_autres %v", s["labels_autres"])
		}
		if resume, _ := s["presentation_resume"].(string); len([]rune(resume)) != 280 || !strings.HasSuffix(resume, "…") || s["presentation_detail"] == nil {
			t.Errorf("presentation_resume %q", resume)
		}
		if (s["courriel"] != nil) != tc.courriel {
			t.Errorf("keeper %v: courriel %v", tc.auth, s["courriel"])
		}
	}
	status, body := get("/api/actors.csv?schema=data-inclusion", false)
	if status != 200 || !strings.HasPrefix(string(body), "id,siret,rna,nom,commune,code_postal") {
		t.Errorf("CSV: %d %s", status, body)
	}
	for _, path := range []string{"/api/actors.csv?schema=dora", "/api/actors.json", "/api/actors.json?schema=x"} {
		var e apiError
		if status := srv.do(t, "GET", path, nil, false, &e); status != 400 || e.Fields["schema"] == "" {
			t.Errorf("GET %s = %d %+v, want 400 naming schema", path, status, e)
		}
	}
}
