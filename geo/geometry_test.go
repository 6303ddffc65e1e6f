package geo

import (
	"fmt"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"
)

// lineOf returns a GeoJSON LineString of n positions zigzagging east
// from Niort.
func lineOf(n int) string {
	var b strings.Builder
	b.WriteString(`{"type":"LineString","coordinates":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "[%.6f,%.6f]", -0.46+float64(i)*1e-5, 46.32+float64(i%2)*1e-5)
	}
	b.WriteString("]}")
	return b.String()
}

func TestDecodeGeometry(t *testing.T) {
	tests := []struct {
		name, json string
		want       string // part of the reason; "" for a valid geometry
	}{
		{"point", `{"type":"Point","coordinates":[-0.459,46.323]}`, ""},
		{"line", `{"type":"LineString","coordinates":[[-0.46,46.32],[-0.45,46.33]]}`, ""},
		{"square", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}`, ""},
		{"square with hole", `{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[1,2],[2,2],[2,1],[1,1]]]}`, ""},
		{"repeated position", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,0],[1,1],[0,1],[0,0]]]}`, ""},
		{"aligned vertex", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[2,0],[2,1],[0,0]]]}`, ""},
		{"2,000 vertices", lineOf(2000), ""},

		{"bow-tie", `{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`, "self-intersection: edges 1 and 3 of ring 1 meet"},
		{"ring touching itself", `{"type":"Polygon","coordinates":[[[0,0],[2,0],[1,1],[2,2],[0,2],[1,1],[0,0]]]}`, "self-intersection"},
		{"spike", `{"type":"Polygon","coordinates":[[[0,0],[2,0],[3,0],[2,0],[2,1],[0,0]]]}`, "self-intersection"},
		{"hole crossing shell", `{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[3,1],[5,1],[5,2],[3,2],[3,1]]]}`, "ring 1 crosses ring 2"},
		{"10,000 vertices", lineOf(10000), "too many vertices: 10000, at most 2000"},
		{"longitude out of range", `{"type":"Point","coordinates":[200,46]}`, "coordinates out of range at position 1 [200, 46]"},
		{"latitude out of range", `{"type":"LineString","coordinates":[[0,0],[1,91]]}`, "out of range at position 2"},
		{"point where a zone was declared", `{"type":"Polygon","coordinates":[-0.46,46.32]}`, "a Polygon's coordinates are a list of closed rings"},
		{"ring not closed", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`, "the outer ring is not closed"},
		{"ring too short", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}`, "a ring needs at least 4"},
		{"flat ring", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0],[0,0]]]}`, "encloses no area"},
		{"no ring", `{"type":"Polygon","coordinates":[]}`, "at least one ring"},
		{"one-position line", `{"type":"LineString","coordinates":[[0,0],[0,0]]}`, "two distinct positions"},
		{"altitude", `{"type":"Point","coordinates":[0,0,12]}`, "without altitude"},
		{"multipoint", `{"type":"MultiPoint","coordinates":[[0,0]]}`, `type "MultiPoint" is not accepted here; accepted: Point, LineString, Polygon`},
		{"no coordinates", `{"type":"Point"}`, "coordinates are missing"},
		{"not an object", `[1,2]`, "a GeoJSON geometry object"},
		{"null", `null`, "a GeoJSON geometry object"},
		{"strings", `{"type":"Point","coordinates":["0","0"]}`, "a Point's coordinates are one position"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := DecodeGeometry([]byte(tt.json), "geometry", AnnotationGeometryTypes...)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if g == nil || g.Layout() != geom.XY {
					t.Fatalf("geometry %v", g)
				}
				return
			}
			gerr, ok := err.(*Error)
			if !ok || gerr.Code != EInvalid {
				t.Fatalf("error %v, want EInvalid", err)
			}
			if !strings.Contains(gerr.Fields["geometry"], tt.want) {
				t.Errorf("geometry: %q, want %q in it", gerr.Fields["geometry"], tt.want)
			}
		})
	}
}

func TestWorkshopCode(t *testing.T) {
	seen := map[rune]int{}
	for range 2000 {
		code := NewWorkshopCode()
		norm, ok := NormalizeWorkshopCode(strings.ToLower(code[:3]) + " " + code[3:])
		if !ok || norm != code {
			t.Fatalf("NormalizeWorkshopCode(%q) = %q, %v", code, norm, ok)
		}
		for _, c := range code {
			seen[c]++
		}
	}
	for _, c := range "0O1IL" {
		if seen[c] > 0 {
			t.Errorf("look-alike %q in codes", c)
		}
	}
	if len(seen) != len(WorkshopCodeAlphabet) {
		t.Errorf("%d characters used, want %d", len(seen), len(WorkshopCodeAlphabet))
	}
	for _, bad := range []string{"K3MXP", "K3MXPA7", "K3MXP0", "K3MXPI", "K3MXPÉ"} {
		if _, ok := NormalizeWorkshopCode(bad); ok {
			t.Errorf("NormalizeWorkshopCode(%q) accepted", bad)
		}
	}
}
