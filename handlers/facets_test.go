package handlers_test

import (
	"encoding/csv"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// facetsOut is the answer of GET /api/actors/facets.
type facetsOut struct {
	Total       int `json:"total"`
	Kind        []facetOut
	LegalFamily []facetOut `json:"legal_family"`
}

type facetOut struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// counts returns the facet's counts by value.
func counts(fs []facetOut) map[string]int {
	m := make(map[string]int, len(fs))
	for _, f := range fs {
		m[f.Value] = f.Count
	}
	return m
}

// TestActorFacets filters the actor list by structure type and legal
// family, counts both facets for a selection, exports the same selection,
// and refuses unknown values naming the field.
func TestActorFacets(t *testing.T) {
	s := newTestServer(t, nil)
	for _, a := range []struct {
		name, kind, legal, sector string
		lon                       float64
	}{
		{"ACI du Bocage", "ACI", "9220", "insertion", -0.46},           // association
		{"AI du Marais", "AI", "9220", "insertion", -0.45},             // association
		{"EI Coop", "EI", "5458", "reemploi", -0.44},                   // coopérative (SCOP SA)
		{"ETTI Travail", "ETTI", "5710", "insertion", -0.43},           // SAS: no ESS family
		{"Recyclerie sans type", "", "5458", "reemploi", -0.42},        // coopérative
		{"Épicerie solidaire", "", "", "alimentation", 2.35},           // in Paris
		{"ACI de Paris", "ACI", "9220", "insertion", 2.36},             // in Paris
		{"Mutuelle du Poitou", "", "8210", "finance-solidaire", -0.41}, // mutuelle
	} {
		body := map[string]any{"name": a.name, "kind": a.kind, "sectors": []string{a.sector},
			"location": map[string]any{"type": "Point", "coordinates": []float64{a.lon, 46.32}}}
		if a.legal != "" {
			body["legal_form"] = a.legal
		}
		var e apiError
		if code := s.do(t, "POST", "/api/actors", body, true, &e); code != http.StatusCreated {
			t.Fatalf("POST %s = %d %+v", a.name, code, e)
		}
	}
	niort := "bbox=-1,46,0,47"

	t.Run("list filters", func(t *testing.T) {
		for _, tt := range []struct {
			query string
			want  []string
		}{
			{"?kind=ACI", []string{"ACI de Paris", "ACI du Bocage"}},
			{"?kind=ACI&" + niort, []string{"ACI du Bocage"}},
			{"?kind=ACI,AI", []string{"ACI de Paris", "ACI du Bocage", "AI du Marais"}},
			{"?kind=none", []string{"Épicerie solidaire", "Mutuelle du Poitou", "Recyclerie sans type"}},
			{"?legal_family=cooperative", []string{"EI Coop", "Recyclerie sans type"}},
			{"?legal_family=none", []string{"Épicerie solidaire", "ETTI Travail"}},
			{"?legal_family=mutuelle,cooperative&kind=none", []string{"Mutuelle du Poitou", "Recyclerie sans type"}},
			{"?legal_family=association&sectors=reemploi", nil},
		} {
			var got actorList
			if code := s.do(t, "GET", "/api/actors"+tt.query, nil, false, &got); code != 200 {
				t.Fatalf("GET %s = %d", tt.query, code)
			}
			var names []string
			for _, a := range got.Items {
				names = append(names, a.Name)
			}
			if !slices.Equal(names, tt.want) || got.Total != len(tt.want) {
				t.Errorf("GET /api/actors%s = %q (total %d), want %q", tt.query, names, got.Total, tt.want)
			}
		}
	})

	t.Run("facet counts", func(t *testing.T) {
		var all facetsOut
		if code := s.do(t, "GET", "/api/actors/facets", nil, false, &all); code != 200 {
			t.Fatalf("GET facets = %d", code)
		}
		wantKinds := map[string]int{"ACI": 2, "AI": 1, "EI": 1, "ETTI": 1, "EITI": 0, "GEIQ": 0, "EA": 0, "none": 3}
		wantFamilies := map[string]int{"association": 3, "cooperative": 2, "mutuelle": 1, "fondation": 0,
			"societe_commerciale_ess": 0, "none": 2}
		if all.Total != 8 || !maps.Equal(counts(all.Kind), wantKinds) || !maps.Equal(counts(all.LegalFamily), wantFamilies) {
			t.Errorf("facets = %+v", all)
		}
		if all.Kind[0].Value != "ACI" || all.Kind[len(all.Kind)-1].Value != "none" {
			t.Errorf("kinds are not in display order: %+v", all.Kind)
		}
		// Each facet ignores its own filter and applies the others.
		var sel facetsOut
		if code := s.do(t, "GET", "/api/actors/facets?kind=ACI&legal_family=association&"+niort, nil, false, &sel); code != 200 {
			t.Fatalf("GET facets = %d", code)
		}
		wantKinds = map[string]int{"ACI": 1, "AI": 1, "EI": 0, "ETTI": 0, "EITI": 0, "GEIQ": 0, "EA": 0, "none": 0}
		wantFamilies = map[string]int{"association": 1, "cooperative": 0, "mutuelle": 0, "fondation": 0,
			"societe_commerciale_ess": 0, "none": 0}
		if sel.Total != 1 || !maps.Equal(counts(sel.Kind), wantKinds) || !maps.Equal(counts(sel.LegalFamily), wantFamilies) {
			t.Errorf("facets of ACI associations around Niort = %+v", sel)
		}
		var bySector facetsOut
		s.do(t, "GET", "/api/actors/facets?sectors=reemploi", nil, false, &bySector)
		if c := counts(bySector.LegalFamily); bySector.Total != 2 || c["cooperative"] != 2 || c["association"] != 0 {
			t.Errorf("facets of réemploi = %+v", bySector)
		}
	})

	t.Run("the export keeps the filters", func(t *testing.T) {
		resp, err := http.Get(s.URL + "/api/actors.csv?kind=none&legal_family=cooperative,mutuelle&" + niort)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		rows, err := csv.NewReader(resp.Body).ReadAll()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("CSV = %d %v", resp.StatusCode, err)
		}
		var names []string
		for _, r := range rows[1:] {
			names = append(names, r[slices.Index(rows[0], "name")])
		}
		if want := []string{"Mutuelle du Poitou", "Recyclerie sans type"}; !slices.Equal(names, want) {
			t.Errorf("CSV names = %q, want %q", names, want)
		}
	})

	t.Run("bad values name the field", func(t *testing.T) {
		for _, tt := range []struct{ query, field string }{
			{"?kind=SCOP", "kind"},
			{"?kind=aci", "kind"},
			{"?legal_family=entreprise", "legal_family"},
			{"?kind=ACI&legal_family=association,fondations", "legal_family"},
		} {
			for _, path := range []string{"/api/actors", "/api/actors/facets", "/api/actors.csv", "/api/actors.geojson"} {
				var e apiError
				if code := s.do(t, "GET", path+tt.query, nil, false, &e); code != 400 || e.Fields[tt.field] == "" {
					t.Errorf("GET %s%s = %d %+v, want 400 naming %s", path, tt.query, code, e, tt.field)
				}
			}
		}
		resp, err := http.Get(s.URL + "/api/actors/facets?limit=3")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(body), "limit") {
			t.Errorf("facets with limit = %d %s, want 400 naming limit", resp.StatusCode, body)
		}
	})
}
