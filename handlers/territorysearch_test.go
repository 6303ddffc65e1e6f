package handlers_test

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/maillage/maillage/internal/shareddata"
)

// TestCommuneSearch is the search box's own source of communes: GET
// /api/territories?level=commune&q= ignores accents, case, hyphens and
// apostrophes, gives each commune its point, and refuses bad input
// naming the field.
func TestCommuneSearch(t *testing.T) {
	s := newTerritoryTestServer(t)
	path := shareddata.Dir(t, "territories", "communes-29-finistere.geojson")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := s.postFile(t, "/api/territories/imports", "communes-29-finistere.geojson", data, nil); status != 200 {
		t.Fatalf("import = %d", status)
	}
	type commune struct {
		Code  string `json:"code"`
		Name  string `json:"name"`
		Level string `json:"level"`
		Point *struct {
			Coordinates []float64 `json:"coordinates"`
		} `json:"point"`
	}
	for _, tt := range []struct{ q, code, name string }{
		{"chateaulin", "29026", "Châteaulin"},
		{"CHÂTEAULIN", "29026", "Châteaulin"},
		{"pont l abbe", "29220", "Pont-l'Abbé"},
		{"pont-l’abbé", "29220", "Pont-l'Abbé"},
		{"brest", "29019", "Brest"},
	} {
		var got struct {
			Items []commune `json:"items"`
		}
		if code := s.do(t, "GET", "/api/territories?level=commune&limit=5&q="+url.QueryEscape(tt.q), nil, false, &got); code != 200 {
			t.Fatalf("q=%s: %d", tt.q, code)
		}
		if len(got.Items) == 0 || got.Items[0].Code != tt.code || got.Items[0].Name != tt.name ||
			got.Items[0].Level != "commune" || got.Items[0].Point == nil || len(got.Items[0].Point.Coordinates) != 2 {
			t.Errorf("q=%q: %+v, want %s %s first with its point", tt.q, got.Items, tt.code, tt.name)
		}
	}
	for _, tt := range []struct{ query, field string }{
		{"level=ville&q=brest", "level"},
		{"level=commune&q=" + strings.Repeat("a", 101), "q"},
		{"level=commune&q=brest&limit=0", "limit"},
		{"level=commune&name=brest", "name"},
	} {
		var e apiError
		if code := s.do(t, "GET", "/api/territories?"+tt.query, nil, false, &e); code != 400 || e.Fields[tt.field] == "" {
			t.Errorf("%s = %d %+v, want 400 naming %s", tt.query, code, e, tt.field)
		}
	}
}
