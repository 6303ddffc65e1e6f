package geo

import "encoding/json"

// Feature collections are the public layers that GIS clients read through
// OGC API Features: actors, territories, coverage and annotations. Their
// features are read a page at a time in the order of their key, so that
// any page is as fast as the first (keyset paging).

// Feature collection identifiers.
const (
	CollectionActors      = "actors"
	CollectionTerritories = "territories"
	CollectionCoverage    = "coverage"
	CollectionAnnotations = "annotations"
)

// FeatureProperty is one property of a collection's features.
type FeatureProperty struct {
	Name      string
	Type      string   // JSON Schema type: string, integer, number, boolean, array
	Format    string   // JSON Schema format, such as date-time; empty when none
	Queryable bool     // may filter the items as name=value
	Enum      []string // the values a queryable string takes, when they are few and known
}

// FeatureCollectionInfo describes a collection for its clients.
type FeatureCollectionInfo struct {
	ID         string
	Geometry   string // GeoJSON geometry type, or "Geometry" when mixed
	Properties []FeatureProperty
}

// Property returns the property named name, and whether there is one.
func (c FeatureCollectionInfo) Property(name string) (FeatureProperty, bool) {
	for _, p := range c.Properties {
		if p.Name == name {
			return p, true
		}
	}
	return FeatureProperty{}, false
}

// FeatureQuery selects a page of a collection's features, in key order.
type FeatureQuery struct {
	Collection string
	BBox       *BBox
	Filters    map[string]string // queryable name -> value it must equal
	After      string            // only features whose key follows this one; empty: from the first
	Before     string            // only features whose key precedes this one; empty: to the last
	Limit      int
}

// Feature is one feature as the store reads it: its key, its geometry and
// its properties, both as JSON.
type Feature struct {
	ID         string
	Geometry   json.RawMessage // GeoJSON geometry; null when it has none
	Properties json.RawMessage // JSON object
}
