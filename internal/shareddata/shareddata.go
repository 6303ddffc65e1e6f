// Package shareddata finds the real public data that tests, benchmarks and
// the demo read: MAILLAGE_SHARED_DATA, or the shared/data folder beside the
// repository. The data is never copied into the repository.
package shareddata

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the shared data folder joined with parts. It fails tb, never
// skips, when that path does not exist.
func Dir(tb testing.TB, parts ...string) string {
	tb.Helper()
	dir := os.Getenv("MAILLAGE_SHARED_DATA")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "data")
	}
	p := filepath.Join(append([]string{dir}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("shared data: %v (set MAILLAGE_SHARED_DATA to the folder of real public data)", err)
	}
	return p
}

// CountFeatures reads the GeoJSON FeatureCollection at path and returns how
// many features it holds and how many of them have a Point geometry, so
// that tests derive the counts they expect from the data, not type them.
func CountFeatures(tb testing.TB, path string) (features, points int) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Geometry *struct {
				Type string `json:"type"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil || fc.Type != "FeatureCollection" {
		tb.Fatalf("%s: not a GeoJSON FeatureCollection (%v)", path, err)
	}
	for _, f := range fc.Features {
		if f.Geometry != nil && f.Geometry.Type == "Point" {
			points++
		}
	}
	return len(fc.Features), points
}
