package geo

import (
	"math"
	"testing"
)

func TestDeltaE76(t *testing.T) {
	tests := []struct {
		a, b string
		v    Vision
		want float64
	}{
		{"#000000", "#ffffff", NormalVision, 100},
		{"#ff0000", "#ff0000", Protanopia, 0},
		// A red and a green far apart nearly meet for a deuteranope (checked
		// against an independent Python implementation).
		{"#ff0000", "#00ff00", NormalVision, 170.6},
		{"#cc3333", "#668800", Deuteranopia, 9.7}, // 90.0 with normal vision
	}
	for _, tt := range tests {
		got := DeltaE76(tt.a, tt.b, tt.v)
		if math.Abs(got-tt.want) > 0.5 {
			t.Errorf("DeltaE76(%s, %s, %d) = %.1f, want %.1f", tt.a, tt.b, tt.v, got, tt.want)
		}
	}
	if !math.IsNaN(DeltaE76("red", "#000000", NormalVision)) {
		t.Error("a colour that is not #rrggbb has a distance")
	}
}
