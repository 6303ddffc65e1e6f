package geo

import "testing"

func TestValidSIRET(t *testing.T) {
	tests := []struct {
		siret string
		want  bool
	}{
		{"80746931700018", true},  // Baluchon, from the SIAE list
		{"75187049400026", true},  // La Collecterie
		{"80746931700019", false}, // last digit changed
		{"35600000000048", true},  // La Poste head office, passes Luhn too
		{"35600000049837", true},  // a La Poste establishment: digit sum is a multiple of 5, Luhn fails
		{"35600000049838", false},
		{"8074693170001", false},
		{"807469317000180", false},
		{"8074693170001A", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.siret, func(t *testing.T) {
			if got := ValidSIRET(tt.siret); got != tt.want {
				t.Errorf("ValidSIRET(%q) = %v, want %v", tt.siret, got, tt.want)
			}
		})
	}
}
