package tiles

import (
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

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

// TestMatchesMaptile checks Bounds and Containing against the tile maths
// of orb's maptile, on tiles and points all over the world at every zoom
// served.
func TestMatchesMaptile(t *testing.T) {
	const eps = 1e-9 // degrees: the two formulas may differ in the last bits
	compared := 0
	for z := 0; z <= MaxZoom; z++ {
		// A point every 7.3 degrees of longitude and 3.1 of latitude, off
		// the tile edges of every zoom.
		for lon := -179.9; lon < 180; lon += 7.3 {
			for lat := -85.0; lat < 85.05; lat += 3.1 {
				p := geo.Point{Lon: lon, Lat: lat}
				got := Containing(p, z)
				want := maptile.At(orb.Point{lon, lat}, maptile.Zoom(z))
				if got.X != int(want.X) || got.Y != int(want.Y) || got.Z != z {
					t.Fatalf("Containing(%v, %d) = %+v, maptile.At = %+v", p, z, got, want)
				}
				b := got.Bounds()
				wb := want.Bound()
				if math.Abs(b.MinLon-wb.Min.Lon()) > eps || math.Abs(b.MaxLon-wb.Max.Lon()) > eps ||
					math.Abs(b.MinLat-wb.Min.Lat()) > eps || math.Abs(b.MaxLat-wb.Max.Lat()) > eps {
					t.Fatalf("tile %+v: Bounds = %+v, maptile's Bound = %v", got, b, wb)
				}
				compared++
			}
		}
	}
	t.Logf("%d tiles compared", compared)
}
