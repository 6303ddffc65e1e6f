// Package tiles holds the web-mercator tile grid that the map and the tile
// endpoints share.
package tiles

import (
	"fmt"
	"math"
	"strconv"

	"github.com/maillage/maillage/geo"
)

// MaxZoom is the deepest zoom level maillage serves.
const MaxZoom = 22

// Tile is one square of the XYZ grid (x from the west, y from the north).
type Tile struct {
	Z, X, Y int
}

// Parse reads z, x and y as given in a tile URL. Returns an EInvalid error
// naming the coordinate when it is not a number, z is above maxZoom, or x
// or y is outside the 2^z grid.
func Parse(z, x, y string, maxZoom int) (Tile, error) {
	fields := geo.FieldErrors{}
	num := func(name, s string) int {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			fields.Add(name, "not a tile coordinate (a non-negative integer)")
		}
		return n
	}
	t := Tile{Z: num("z", z), X: num("x", x), Y: num("y", y)}
	if err := fields.Err(); err != nil {
		return Tile{}, err
	}
	if t.Z > maxZoom {
		fields.Add("z", fmt.Sprintf("zoom above the maximum %d", maxZoom))
		return Tile{}, fields.Err()
	}
	n := 1 << t.Z
	if t.X >= n {
		fields.Add("x", fmt.Sprintf("out of range for zoom %d (0 to %d)", t.Z, n-1))
	}
	if t.Y >= n {
		fields.Add("y", fmt.Sprintf("out of range for zoom %d (0 to %d)", t.Z, n-1))
	}
	return t, fields.Err()
}

// Bounds returns the tile's extent in longitude and latitude.
func (t Tile) Bounds() geo.BBox {
	n := float64(int(1) << t.Z)
	lon := func(x int) float64 { return float64(x)/n*360 - 180 }
	lat := func(y int) float64 { return math.Atan(math.Sinh(math.Pi*(1-2*float64(y)/n))) * 180 / math.Pi }
	return geo.BBox{MinLon: lon(t.X), MinLat: lat(t.Y + 1), MaxLon: lon(t.X + 1), MaxLat: lat(t.Y)}
}

// Containing returns the tile of zoom z that holds p.
func Containing(p geo.Point, z int) Tile {
	n := float64(int(1) << z)
	lat := p.Lat * math.Pi / 180
	x := int(math.Floor((p.Lon + 180) / 360 * n))
	y := int(math.Floor((1 - math.Log(math.Tan(lat)+1/math.Cos(lat))/math.Pi) / 2 * n))
	clamp := func(v int) int { return max(0, min(int(n)-1, v)) }
	return Tile{Z: z, X: clamp(x), Y: clamp(y)}
}
