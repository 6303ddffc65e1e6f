// Package tiles holds the web-mercator tile grid that the map and the tile
// endpoints share, and every constant of the actor tiles.
package tiles

import (
	"fmt"
	"math"
	"strconv"

	"github.com/maillage/maillage/geo"
)

// The actor tiles. The SQL of geo/postgis is written with these; the
// cluster table of migration 0005_tiles.sql was written with the same
// numbers, and TestClusterTableMatchesConstants (geo/postgis) fails when
// they part.
const (
	// MaxZoom is the deepest zoom of the actor tiles.
	MaxZoom = 16

	// ClusterZooms is the number of zooms, from 0, for which the
	// tile_clusters table holds precomputed clusters: zooms 0 to 11.
	ClusterZooms = 12

	// GridBits is the size of the cluster grid: each tile of a cluster
	// zoom is cut into 2^GridBits x 2^GridBits cells, and a cell of zoom z
	// is the tile of zoom z + GridBits that it covers.
	GridBits = 4
	// GridSize is the number of cells on a side of a tile: 16.
	GridSize = 1 << GridBits

	// BoundsZoom is the cluster zoom whose cells round the bounds of the
	// tile set outwards (cells of about 20 km at zoom 7).
	BoundsZoom = 7

	// Extent is the size of a tile in its own coordinates (MVT extent).
	Extent = 4096
	// Buffer is how far, in tile coordinates, features outside a tile are
	// kept in it, so that symbols on its edge are drawn whole: 12 px of a
	// 256 px tile, more than an actor's marker reaches from its point (a
	// 9 px radius and its 2 px ring, frontend/src/actortiles.js), and
	// within the 16 px around a tile that protomaps-leaflet draws.
	Buffer = 192
)

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

// The two functions below are the tile maths of github.com/paulmach/orb's
// maptile (Tile.Bound and At), which TestMatchesMaptile compares them
// with. maptile itself is not imported: it imports orb/geojson, which
// brings a BSON library (go.mongodb.org/mongo-driver) into the server.

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
