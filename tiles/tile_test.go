package tiles

import (
	"errors"
	"math"
	"testing"

	"github.com/maillage/maillage/geo"
)

func TestParse(t *testing.T) {
	tests := []struct {
		z, x, y string
		field   string // "" when valid
	}{
		{"0", "0", "0", ""},
		{"14", "8100", "5700", ""},
		{"a", "0", "0", "z"},
		{"3", "-1", "0", "x"},
		{"3", "8", "0", "x"},
		{"3", "0", "8", "y"},
		{"23", "0", "0", "z"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.z, tt.x, tt.y, MaxZoom)
		if tt.field == "" {
			if err != nil {
				t.Errorf("Parse(%s/%s/%s) = %v", tt.z, tt.x, tt.y, err)
			}
			continue
		}
		e, ok := errors.AsType[*geo.Error](err)
		if !ok || e.Fields[tt.field] == "" {
			t.Errorf("Parse(%s/%s/%s) = %v, want an error on %s", tt.z, tt.x, tt.y, err, tt.field)
		}
	}
}

func TestBoundsAndContaining(t *testing.T) {
	world := Tile{}.Bounds()
	if world.MinLon != -180 || world.MaxLon != 180 || math.Abs(world.MaxLat-85.0511) > 1e-4 {
		t.Errorf("world bounds = %+v", world)
	}
	brest := geo.Point{Lon: -4.4861, Lat: 48.3904}
	for z := 0; z <= 18; z++ {
		b := Containing(brest, z).Bounds()
		if brest.Lon < b.MinLon || brest.Lon > b.MaxLon || brest.Lat < b.MinLat || brest.Lat > b.MaxLat {
			t.Fatalf("zoom %d: tile %+v does not hold Brest", z, b)
		}
	}
}
