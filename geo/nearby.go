package geo

// NearbyQuery asks for the published actors nearest to a point.
type NearbyQuery struct {
	Point   Point
	Limit   int      // at most this many actors
	RadiusM float64  // no farther than this, in metres
	Sectors []string // any of these sector slugs; empty: all
}

// NearActor is an actor and its distance from the point asked about, in
// metres on the sphere.
type NearActor struct {
	Actor     *Actor
	DistanceM float64
}
