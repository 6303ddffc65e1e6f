package geo

import (
	"strings"
	"testing"

	"github.com/twpayne/go-geom"
)

func TestOutsideWarning(t *testing.T) {
	for _, c := range []struct {
		p       Point
		outside bool
		swapped bool
	}{
		{Point{Lon: -0.46, Lat: 46.32}, false, false},   // Niort
		{Point{Lon: 46.32, Lat: -0.46}, true, true},     // Niort swapped: off Africa
		{Point{Lon: 55.45, Lat: -20.88}, false, false},  // Saint-Denis de La Réunion
		{Point{Lon: -61.07, Lat: 14.6}, false, false},   // Fort-de-France
		{Point{Lon: 166.45, Lat: -22.27}, false, false}, // Nouméa
		{Point{Lon: 13.4, Lat: 52.5}, true, false},      // Berlin
		{Point{Lon: 0, Lat: 0}, true, false},
	} {
		w := OutsideWarning(c.p, nil)
		if (w != "") != c.outside || strings.Contains(w, "swapped") != c.swapped {
			t.Errorf("OutsideWarning(%v) = %q", c.p, w)
		}
	}
}

// TestOutsideWarningTerritory checks the configured territory: a square
// with a hole, and a rectangle whose swap lands inside.
func TestOutsideWarningTerritory(t *testing.T) {
	square := geom.NewPolygonFlat(geom.XY, []float64{
		-5, 47, -3, 47, -3, 49, -5, 49, -5, 47, // outer ring, Finistère-ish
		-4.2, 47.8, -3.8, 47.8, -3.8, 48.2, -4.2, 48.2, -4.2, 47.8, // hole
	}, []int{10, 20})
	ring := Area{Name: "Anneau", BBox: BBox{MinLon: -5, MinLat: 47, MaxLon: -3, MaxLat: 49}, Shape: square}
	// A rectangle around (lon 46.5, lat 1.5): its swap (lon 1.5, lat 46.5) is in France.
	odd := Area{Name: "Ailleurs", BBox: BBox{MinLon: 1, MinLat: 46, MaxLon: 2, MaxLat: 47}}
	for _, c := range []struct {
		p         Point
		territory []Area
		want      string // "" inside; else a part of the note
	}{
		{Point{Lon: -4.5, Lat: 48.4}, []Area{ring}, ""},
		{Point{Lon: -4, Lat: 48}, []Area{ring}, "outside the configured territory (Anneau)"}, // in the hole
		{Point{Lon: -0.46, Lat: 46.32}, []Area{ring}, "outside the configured territory (Anneau)"},
		{Point{Lon: -0.46, Lat: 46.32}, []Area{ring, odd}, "(Anneau, Ailleurs)"},
		{Point{Lon: -0.46, Lat: 46.32}, nil, ""},
		{Point{Lon: 46.5, Lat: 1.5}, []Area{odd}, "outside France and its overseas territories; latitude and longitude look swapped"},
		{Point{Lon: 1.5, Lat: 46.5}, []Area{odd}, ""},
		{Point{Lon: 1.2, Lat: 46.1}, []Area{ring}, "outside the configured territory"},
		{Point{Lon: 13.4, Lat: 52.5}, []Area{ring}, "outside France"},
	} {
		w := OutsideWarning(c.p, c.territory)
		if (c.want == "") != (w == "") || !strings.Contains(w, c.want) {
			t.Errorf("OutsideWarning(%v, %d areas) = %q, want %q", c.p, len(c.territory), w, c.want)
		}
	}
	// Swapped into the territory: a point in the configured rectangle of
	// lat 46..47 read as lon 46..47 lies outside France.
	tri := Area{Name: "Bande", BBox: BBox{MinLon: 2, MinLat: 43, MaxLon: 3, MaxLat: 44}}
	if w := OutsideWarning(Point{Lon: 43.5, Lat: 2.5}, []Area{tri}); !strings.Contains(w, "France") || !strings.Contains(w, "swapped") {
		t.Errorf("swapped point = %q", w)
	}
	five := []Area{odd, odd, odd, odd, odd}
	if w := OutsideWarning(Point{Lon: -0.46, Lat: 46.32}, five); !strings.Contains(w, "and 2 more") {
		t.Errorf("five areas named as %q", w)
	}
}
