// Package shareddata finds the real public data that tests, benchmarks and
// the demo read: MAILLAGE_SHARED_DATA, or the shared/data folder beside the
// repository. The data is never copied into the repository.
package shareddata

import (
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
