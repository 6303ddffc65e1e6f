package geo

// Area is a named longitude/latitude rectangle.
type Area struct {
	Name string
	BBox
}

// FranceAreas are metropolitan France and its overseas territories, as
// rectangles with a margin of a few kilometres: enough to tell a point
// that lies in France from one whose latitude and longitude were swapped
// or mistyped, not to draw borders.
var FranceAreas = []Area{
	{"France métropolitaine", BBox{MinLon: -5.6, MinLat: 41.2, MaxLon: 9.8, MaxLat: 51.2}},
	{"Guadeloupe", BBox{MinLon: -61.9, MinLat: 15.8, MaxLon: -60.9, MaxLat: 16.6}},
	{"Martinique", BBox{MinLon: -61.3, MinLat: 14.3, MaxLon: -60.7, MaxLat: 14.95}},
	{"Guyane", BBox{MinLon: -54.7, MinLat: 2.0, MaxLon: -51.5, MaxLat: 5.9}},
	{"La Réunion", BBox{MinLon: 55.1, MinLat: -21.5, MaxLon: 55.9, MaxLat: -20.8}},
	{"Mayotte", BBox{MinLon: 44.9, MinLat: -13.1, MaxLon: 45.4, MaxLat: -12.5}},
	{"Saint-Pierre-et-Miquelon", BBox{MinLon: -56.5, MinLat: 46.7, MaxLon: -56.1, MaxLat: 47.2}},
	{"Saint-Martin et Saint-Barthélemy", BBox{MinLon: -63.2, MinLat: 17.8, MaxLon: -62.7, MaxLat: 18.15}},
	{"Wallis-et-Futuna", BBox{MinLon: -178.3, MinLat: -14.4, MaxLon: -176.0, MaxLat: -13.1}},
	{"Polynésie française", BBox{MinLon: -155.0, MinLat: -28.0, MaxLon: -134.0, MaxLat: -7.0}},
	{"Nouvelle-Calédonie", BBox{MinLon: 163.5, MinLat: -22.8, MaxLon: 168.3, MaxLat: -19.5}},
	{"Terres australes et antarctiques françaises", BBox{MinLon: 50.0, MinLat: -50.0, MaxLon: 77.7, MaxLat: -37.7}},
	{"Clipperton", BBox{MinLon: -109.3, MinLat: 10.2, MaxLon: -109.1, MaxLat: 10.4}},
}

// Contains reports whether p lies in b.
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

// OutsideWarning returns a note when p lies outside every area (France
// and its overseas territories when areas is nil), saying when swapping
// its latitude and longitude would put it inside; "" when p is inside.
func OutsideWarning(p Point, areas []Area) string {
	if areas == nil {
		areas = FranceAreas
	}
	if inAreas(areas, p) {
		return ""
	}
	swapped := Point{Lon: p.Lat, Lat: p.Lon}
	if swapped.Valid() && inAreas(areas, swapped) {
		return "the point lies outside France and its overseas territories; latitude and longitude look swapped"
	}
	return "the point lies outside France and its overseas territories"
}
