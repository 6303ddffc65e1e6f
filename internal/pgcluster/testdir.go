package pgcluster

import (
	"fmt"
	"os"
	"path/filepath"
)

// TestDataDir is where the test suite keeps its private cluster:
// MAILLAGE_TEST_DATA_DIR, or a folder of the user in the system's
// temporary directory.
func TestDataDir(getenv func(string) string) string {
	if d := getenv("MAILLAGE_TEST_DATA_DIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("maillage-test-%d", os.Getuid()))
}
