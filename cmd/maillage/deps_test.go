package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestServerLeavesOutLoadTool checks that the server binary carries
// neither the load tool nor its synthetic data, nor a BSON library (which
// orb/geojson and orb/maptile would bring in).
func TestServerLeavesOutLoadTool(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the server's packages: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/maillage/maillage/cmd/maillage").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 100 {
		t.Fatalf("go list -deps gave %d packages: %q", len(deps), out)
	}
	for _, p := range deps {
		if strings.Contains(p, "bson") || strings.Contains(p, "mongo") ||
			strings.HasPrefix(p, "github.com/maillage/maillage/cmd/maillage-bench") ||
			p == "github.com/maillage/maillage/internal/synth" || strings.HasPrefix(p, "github.com/paulmach/orb/geojson") {
			t.Errorf("the server depends on %s", p)
		}
	}
}
