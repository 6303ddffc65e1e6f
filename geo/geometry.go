package geo

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/geojson"
)

// MaxVertices bounds the positions of one drawn geometry, all rings
// together.
const MaxVertices = 2000

// SRID is the spatial reference of every stored geometry: WGS 84.
const SRID = 4326

// GeoJSON geometry types drawn in workshops.
const (
	GeomPoint      = "Point"
	GeomLineString = "LineString"
	GeomPolygon    = "Polygon"
)

// coordinatesShape says what the coordinates of a GeoJSON type look like.
var coordinatesShape = map[string]string{
	GeomPoint:      "a Point's coordinates are one position [lon, lat]",
	GeomLineString: "a LineString's coordinates are a list of positions [[lon, lat], ...]",
	GeomPolygon:    "a Polygon's coordinates are a list of closed rings [[[lon, lat], ...], ...]",
}

// DecodeGeometry reads a GeoJSON geometry of one of the allowed types and
// checks it with ValidateGeometry. Errors are EInvalid and name field.
func DecodeGeometry(data []byte, field string, allowed ...string) (geom.T, error) {
	bad := func(reason string) error {
		return &Error{Code: EInvalid, Message: "invalid geometry", Fields: map[string]string{field: reason}}
	}
	var g *geojson.Geometry
	if err := json.Unmarshal(data, &g); err != nil || g == nil {
		return nil, bad("a GeoJSON geometry object such as {\"type\": \"Point\", \"coordinates\": [lon, lat]}")
	}
	if !slices.Contains(allowed, g.Type) {
		return nil, bad(fmt.Sprintf("type %q is not accepted here; accepted: %s", g.Type, strings.Join(allowed, ", ")))
	}
	if g.Coordinates == nil {
		return nil, bad("coordinates are missing: " + coordinatesShape[g.Type])
	}
	t, err := g.Decode()
	if err != nil {
		return nil, bad(coordinatesShape[g.Type])
	}
	if reason := ValidateGeometry(t); reason != "" {
		return nil, bad(reason)
	}
	return t, nil
}

// ValidateGeometry returns why g cannot be stored, or "" when it can: a
// Point, LineString or Polygon of longitude/latitude positions in range,
// at most MaxVertices of them, a line of two distinct positions at least,
// polygon rings closed, of four positions at least, none crossing itself
// or another ring. PostGIS's ST_IsValid has the last word on polygons
// (holes outside their shell, for one, pass here).
func ValidateGeometry(g geom.T) string {
	if g == nil {
		return "a geometry is required"
	}
	if g.Layout() != geom.XY {
		return "each position is [longitude, latitude], without altitude"
	}
	flat := g.FlatCoords()
	if n := len(flat) / 2; n > MaxVertices {
		return fmt.Sprintf("too many vertices: %d, at most %d", n, MaxVertices)
	}
	for i := 0; i < len(flat); i += 2 {
		if lon, lat := flat[i], flat[i+1]; lon < -180 || lon > 180 || lat < -90 || lat > 90 {
			return fmt.Sprintf("coordinates out of range at position %d [%g, %g]: longitude from -180 to 180, latitude from -90 to 90",
				i/2+1, lon, lat)
		}
	}
	switch g := g.(type) {
	case *geom.Point:
		if g.Empty() {
			return "a Point needs a position [lon, lat]"
		}
	case *geom.LineString:
		if distinct(g.Coords()) < 2 {
			return "a LineString needs at least two distinct positions"
		}
	case *geom.Polygon:
		return polygonProblem(g)
	default:
		return "only a Point, a LineString or a Polygon"
	}
	return ""
}

// distinct counts the positions of cs that differ from the one before.
func distinct(cs []geom.Coord) int {
	n := 0
	for i, c := range cs {
		if i == 0 || c[0] != cs[i-1][0] || c[1] != cs[i-1][1] {
			n++
		}
	}
	return n
}

// edge is a side of a polygon ring, from a to b.
type edge struct {
	a, b       [2]float64
	ring, n    int // ring index; index of the edge within its ring
	ringEdges  int // number of edges of the ring
	minX, maxX float64
}

// polygonProblem checks the rings of p and returns the first problem
// found, or "".
func polygonProblem(p *geom.Polygon) string {
	if p.NumLinearRings() == 0 {
		return "a Polygon needs at least one ring"
	}
	var edges []edge
	for r := range p.NumLinearRings() {
		cs := p.LinearRing(r).Coords()
		name := "the outer ring"
		if r > 0 {
			name = fmt.Sprintf("hole %d", r)
		}
		if len(cs) < 4 {
			return fmt.Sprintf("%s has %d positions: a ring needs at least 4, the last repeating the first", name, len(cs))
		}
		if first, last := cs[0], cs[len(cs)-1]; first[0] != last[0] || first[1] != last[1] {
			return fmt.Sprintf("%s is not closed: its last position must repeat its first", name)
		}
		// Repeated positions make edges of no length, which PostGIS
		// accepts; they are left out of the crossing test.
		var pts [][2]float64
		for i, c := range cs {
			if i == 0 || c[0] != cs[i-1][0] || c[1] != cs[i-1][1] {
				pts = append(pts, [2]float64{c[0], c[1]})
			}
		}
		if len(pts) < 4 {
			return fmt.Sprintf("%s has fewer than 3 distinct positions: it encloses no area", name)
		}
		k := len(pts) - 1
		for i := range k {
			a, b := pts[i], pts[i+1]
			edges = append(edges, edge{a: a, b: b, ring: r, n: i, ringEdges: k, minX: min(a[0], b[0]), maxX: max(a[0], b[0])})
		}
	}
	if i, j, ok := crossing(edges); ok {
		e, f := edges[i], edges[j]
		if e.ring == f.ring {
			return fmt.Sprintf("self-intersection: edges %d and %d of ring %d meet (a bow-tie?)", min(e.n, f.n)+1, max(e.n, f.n)+1, e.ring+1)
		}
		return fmt.Sprintf("self-intersection: ring %d crosses ring %d", min(e.ring, f.ring)+1, max(e.ring, f.ring)+1)
	}
	return ""
}

// crossing returns two edges that meet where they must not: edges of one
// ring that touch other than at their shared end, or fold back on each
// other; edges of two rings that cross. It sweeps the edges by x so that
// only edges whose x ranges overlap are compared.
func crossing(edges []edge) (int, int, bool) {
	order := make([]int, len(edges))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return edges[order[i]].minX < edges[order[j]].minX })
	for oi, i := range order {
		e := edges[i]
		for _, j := range order[oi+1:] {
			f := edges[j]
			if f.minX > e.maxX {
				break
			}
			if min(e.a[1], e.b[1]) > max(f.a[1], f.b[1]) || min(f.a[1], f.b[1]) > max(e.a[1], e.b[1]) {
				continue
			}
			if meet(e, f) {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

// meet reports whether e and f meet in a way that makes their polygon
// invalid.
func meet(e, f edge) bool {
	if e.ring != f.ring {
		return properCross(e.a, e.b, f.a, f.b)
	}
	if f.n < e.n {
		e, f = f, e
	}
	switch {
	case f.n == e.n+1: // f starts where e ends
		return foldsBack(e.a, e.b, f.b)
	case e.n == 0 && f.n == e.ringEdges-1: // e starts where f ends
		return foldsBack(f.a, f.b, e.b)
	}
	return intersect(e.a, e.b, f.a, f.b)
}

// orient is the sign of the turn a -> b -> c: positive to the left,
// negative to the right, zero when aligned.
func orient(a, b, c [2]float64) int {
	v := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// foldsBack reports whether a -> b -> c goes back over itself: b -> c
// overlaps a -> b.
func foldsBack(a, b, c [2]float64) bool {
	if orient(a, b, c) != 0 {
		return false
	}
	return (b[0]-a[0])*(c[0]-b[0])+(b[1]-a[1])*(c[1]-b[1]) < 0
}

// onSegment reports whether p, aligned with a and b, lies between them.
func onSegment(a, b, p [2]float64) bool {
	return min(a[0], b[0]) <= p[0] && p[0] <= max(a[0], b[0]) && min(a[1], b[1]) <= p[1] && p[1] <= max(a[1], b[1])
}

// properCross reports whether segments p1p2 and q1q2 cross at a point
// inside both.
func properCross(p1, p2, q1, q2 [2]float64) bool {
	d1, d2 := orient(q1, q2, p1), orient(q1, q2, p2)
	d3, d4 := orient(p1, p2, q1), orient(p1, p2, q2)
	return d1*d2 < 0 && d3*d4 < 0
}

// intersect reports whether segments p1p2 and q1q2 have a point in
// common.
func intersect(p1, p2, q1, q2 [2]float64) bool {
	d1, d2 := orient(q1, q2, p1), orient(q1, q2, p2)
	d3, d4 := orient(p1, p2, q1), orient(p1, p2, q2)
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	return d1 == 0 && onSegment(q1, q2, p1) || d2 == 0 && onSegment(q1, q2, p2) ||
		d3 == 0 && onSegment(p1, p2, q1) || d4 == 0 && onSegment(p1, p2, q2)
}

// Bounds returns the bounding box of g.
func Bounds(g geom.T) BBox {
	b := g.Bounds()
	return BBox{MinLon: b.Min(0), MinLat: b.Min(1), MaxLon: b.Max(0), MaxLat: b.Max(1)}
}

// MarshalGeometry writes g as a GeoJSON geometry.
func MarshalGeometry(g geom.T) (json.RawMessage, error) {
	return geojson.Marshal(g)
}
