package actorfile

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/maillage/maillage/geo"
)

type geoJSONObject struct {
	Type       string            `json:"type"`
	Features   []json.RawMessage `json:"features"`
	ID         any               `json:"id"`
	Geometry   json.RawMessage   `json:"geometry"`
	Properties map[string]any    `json:"properties"`
}

type geoJSONGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// parseGeoJSON reads text as a GeoJSON FeatureCollection (or a single
// Feature). Property names are matched like CSV headers; the feature's id
// gives external_id; nested objects such as GoGoCarto's address are read
// by their own keys.
func parseGeoJSON(text string, hm *headerMatcher, b *builder) ([]Row, *Report, error) {
	rep := newReport("geojson")
	var top geoJSONObject
	if err := decodeJSON(text, &top); err != nil {
		return nil, nil, fileError("not GeoJSON: %v", err)
	}
	features := top.Features
	switch top.Type {
	case "FeatureCollection":
	case "Feature":
		features = []json.RawMessage{json.RawMessage(text)}
	default:
		return nil, nil, fileError("not a GeoJSON FeatureCollection (type %q)", top.Type)
	}

	seen := map[string]column{} // property path -> column
	match := func(path, name string) column {
		c, ok := seen[path]
		if !ok {
			c = hm.match(name)
			seen[path] = c
		}
		return c
	}
	var rows []Row
	for i, raw := range features {
		line := i + 1
		var f geoJSONObject
		if err := decodeJSON(string(raw), &f); err != nil {
			rep.add(line, []Problem{{Row: line, Reason: "not a GeoJSON Feature object"}}, nil)
			continue
		}
		rec := newRecord(line)
		if id := jsonString(f.ID); id != "" {
			rec.add(column{field: "external_id", rank: -1}, id)
		}
		for _, k := range sortedKeys(f.Properties) {
			v := f.Properties[k]
			if sub, ok := v.(map[string]any); ok {
				for _, sk := range sortedKeys(sub) {
					addValues(rec, match(k+"."+sk, sk), sub[sk])
				}
				continue
			}
			addValues(rec, match(k, k), v)
		}
		rec.point, rec.geomErr = readGeometry(f.Geometry)
		a, fails, warns := b.build(rec)
		if rep.add(line, fails, warns) {
			rows = append(rows, Row{Line: line, Actor: a})
		}
	}

	if err := hm.unused(); err != nil && len(features) > 0 {
		return nil, nil, err
	}
	for _, p := range sortedKeys(seen) {
		if c := seen[p]; c.field != "" {
			rep.Columns[p] = c.field
		} else {
			rep.Ignored = append(rep.Ignored, p)
		}
	}
	if len(features) > 0 && !slices.ContainsFunc(slices.Collect(maps.Values(rep.Columns)), isNameField) {
		return nil, nil, fileError("no name property (name, title, nom...) in the features: use --map PROPERTY=name")
	}
	return rows, rep, nil
}

// readGeometry returns the point of a feature's geometry, nil for a null
// or empty geometry, or why the geometry is unusable.
func readGeometry(raw json.RawMessage) (*geo.Point, string) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, ""
	}
	var g geoJSONGeometry
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, "not a GeoJSON geometry"
	}
	var pos []float64
	switch g.Type {
	case "Point":
		if err := json.Unmarshal(g.Coordinates, &pos); err != nil {
			return nil, "Point coordinates are not [longitude, latitude]"
		}
	case "MultiPoint":
		var multi [][]float64
		if err := json.Unmarshal(g.Coordinates, &multi); err != nil || len(multi) > 1 {
			return nil, "a MultiPoint of several points, not a Point"
		}
		if len(multi) == 1 {
			pos = multi[0]
		}
	default:
		return nil, fmt.Sprintf("not a Point but a %s: give each actor a point", g.Type)
	}
	switch {
	case len(pos) == 0:
		return nil, ""
	case len(pos) < 2:
		return nil, "Point coordinates are not [longitude, latitude]"
	}
	p := geo.Point{Lon: pos[0], Lat: pos[1]}
	if !p.Valid() || math.IsNaN(p.Lon) || math.IsNaN(p.Lat) {
		return nil, fmt.Sprintf("coordinates [%g, %g] out of range (WGS 84 longitude, latitude expected)", p.Lon, p.Lat)
	}
	return &p, ""
}

// addValues adds a property value to rec: strings, numbers as written,
// booleans, and each element of arrays.
func addValues(rec *record, c column, v any) {
	if c.field == "" {
		return
	}
	if list, ok := v.([]any); ok {
		for _, e := range list {
			addValues(rec, c, e)
		}
		return
	}
	if s := jsonString(v); s != "" {
		rec.add(c, s)
	}
}

// jsonString returns a scalar JSON value as text, "" for null, objects and
// arrays.
func jsonString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return fmt.Sprint(v)
	}
	return ""
}

func decodeJSON(text string, v any) error {
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	return d.Decode(v)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func isNameField(f string) bool { return f == "name" || f == "brand" }
