package postgis_test

import (
	"context"
	"testing"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
)

// TestSeededSectorColours checks the sectors the migrations seed: any two
// colours differ by at least ΔE76 20, with normal vision and under
// simulated protanopia and deuteranopia, and each has a pictogram.
func TestSeededSectorColours(t *testing.T) {
	db := postgistest.New(t)
	sectors, err := postgis.NewSectorStore(db).FindSectors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(sectors) != 15 {
		t.Fatalf("%d seeded sectors, want 15", len(sectors))
	}
	const minDeltaE = 20
	for _, v := range []struct {
		name string
		v    geo.Vision
	}{{"normal vision", geo.NormalVision}, {"protanopia", geo.Protanopia}, {"deuteranopia", geo.Deuteranopia}} {
		closest := 1000.0
		for i, a := range sectors {
			for _, b := range sectors[i+1:] {
				d := geo.DeltaE76(a.Color, b.Color, v.v)
				if d < minDeltaE {
					t.Errorf("%s: %s (%s) and %s (%s) differ by ΔE76 %.1f, want at least %d", v.name, a.Slug, a.Color, b.Slug, b.Color, d, minDeltaE)
				}
				closest = min(closest, d)
			}
		}
		t.Logf("%s: closest pair at ΔE76 %.1f", v.name, closest)
	}
	for _, s := range sectors {
		if err := s.Validate(); err != nil || len(s.Icon) < 20 {
			t.Errorf("sector %s: icon %q (%v), want a pictogram's path data", s.Slug, s.Icon, err)
		}
	}
}
