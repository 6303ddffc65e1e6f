package geo

import (
	"fmt"
	"strings"

	"github.com/twpayne/go-geom"
)

// Area is a named part of the map: a longitude/latitude rectangle, or the
// polygons of Shape within it.
type Area struct {
	Name string
	BBox
	Shape geom.T // *geom.Polygon or *geom.MultiPolygon; nil: the whole rectangle
}

// Contains reports whether p lies in a, its border included.
func (a Area) Contains(p Point) bool {
	if !a.BBox.Contains(p) {
		return false
	}
	switch g := a.Shape.(type) {
	case *geom.Polygon:
		return polygonContains(g, p)
	case *geom.MultiPolygon:
		for i := range g.NumPolygons() {
			if polygonContains(g.Polygon(i), p) {
				return true
			}
		}
		return false
	}
	return true
}

// polygonContains reports whether p lies in the outer ring of g and in
// none of its holes.
func polygonContains(g *geom.Polygon, p Point) bool {
	if g.NumLinearRings() == 0 || !ringContains(g.LinearRing(0).FlatCoords(), g.Stride(), p) {
		return false
	}
	for i := 1; i < g.NumLinearRings(); i++ {
		if ringContains(g.LinearRing(i).FlatCoords(), g.Stride(), p) {
			return false
		}
	}
	return true
}

// ringContains tells by ray casting whether p lies in the closed ring of
// flat coordinates fc.
func ringContains(fc []float64, stride int, p Point) bool {
	in := false
	n := len(fc) / stride
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		xi, yi := fc[i*stride], fc[i*stride+1]
		xj, yj := fc[j*stride], fc[j*stride+1]
		if (yi > p.Lat) != (yj > p.Lat) && p.Lon < (xj-xi)*(p.Lat-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

// FranceAreas are metropolitan France and its overseas territories, as
// rectangles with a margin of a few kilometres: enough to tell a point
// that lies in France from one whose latitude and longitude were swapped
// or mistyped, not to draw borders.
var FranceAreas = []Area{
	{Name: "France métropolitaine", BBox: BBox{MinLon: -5.6, MinLat: 41.2, MaxLon: 9.8, MaxLat: 51.2}},
	{Name: "Guadeloupe", BBox: BBox{MinLon: -61.9, MinLat: 15.8, MaxLon: -60.9, MaxLat: 16.6}},
	{Name: "Martinique", BBox: BBox{MinLon: -61.3, MinLat: 14.3, MaxLon: -60.7, MaxLat: 14.95}},
	{Name: "Guyane", BBox: BBox{MinLon: -54.7, MinLat: 2.0, MaxLon: -51.5, MaxLat: 5.9}},
	{Name: "La Réunion", BBox: BBox{MinLon: 55.1, MinLat: -21.5, MaxLon: 55.9, MaxLat: -20.8}},
	{Name: "Mayotte", BBox: BBox{MinLon: 44.9, MinLat: -13.1, MaxLon: 45.4, MaxLat: -12.5}},
	{Name: "Saint-Pierre-et-Miquelon", BBox: BBox{MinLon: -56.5, MinLat: 46.7, MaxLon: -56.1, MaxLat: 47.2}},
	{Name: "Saint-Martin et Saint-Barthélemy", BBox: BBox{MinLon: -63.2, MinLat: 17.8, MaxLon: -62.7, MaxLat: 18.15}},
	{Name: "Wallis-et-Futuna", BBox: BBox{MinLon: -178.3, MinLat: -14.4, MaxLon: -176.0, MaxLat: -13.1}},
	{Name: "Polynésie française", BBox: BBox{MinLon: -155.0, MinLat: -28.0, MaxLon: -134.0, MaxLat: -7.0}},
	{Name: "Nouvelle-Calédonie", BBox: BBox{MinLon: 163.5, MinLat: -22.8, MaxLon: 168.3, MaxLat: -19.5}},
	{Name: "Terres australes et antarctiques françaises", BBox: BBox{MinLon: 50.0, MinLat: -50.0, MaxLon: 77.7, MaxLat: -37.7}},
	{Name: "Clipperton", BBox: BBox{MinLon: -109.3, MinLat: 10.2, MaxLon: -109.1, MaxLat: 10.4}},
}

// Contains reports whether p lies in b, its border included.
func (b BBox) Contains(p Point) bool {
	return p.Lon >= b.MinLon && p.Lon <= b.MaxLon && p.Lat >= b.MinLat && p.Lat <= b.MaxLat
}

func inAreas(areas []Area, p Point) bool {
	for _, a := range areas {
		if a.Contains(p) {
			return true
		}
	}
	return false
}

// OutsideWarning returns a note when p lies outside France and its
// overseas territories or, when territory is not empty, outside every one
// of its areas (the configured territory), saying when swapping its
// latitude and longitude would put it inside; "" when p is inside.
func OutsideWarning(p Point, territory []Area) string {
	swapped := Point{Lon: p.Lat, Lat: p.Lon}
	note := func(areas []Area, where string) string {
		if inAreas(areas, p) {
			return ""
		}
		if swapped.Valid() && inAreas(areas, swapped) {
			return "the point lies outside " + where + "; latitude and longitude look swapped"
		}
		return "the point lies outside " + where
	}
	if w := note(FranceAreas, "France and its overseas territories"); w != "" || len(territory) == 0 {
		return w
	}
	return note(territory, "the configured territory ("+areaNames(territory)+")")
}

// areaNames names areas, the first three then how many more.
func areaNames(areas []Area) string {
	names := make([]string, 0, 3)
	for _, a := range areas[:min(3, len(areas))] {
		names = append(names, a.Name)
	}
	s := strings.Join(names, ", ")
	if len(areas) > 3 {
		s += fmt.Sprintf(" and %d more", len(areas)-3)
	}
	return s
}
