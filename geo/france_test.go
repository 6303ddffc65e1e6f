package geo

import (
	"strings"
	"testing"
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
