package geo

import "testing"

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"Économie Sociale et Solidaire", "economie sociale et solidaire"},
		{"  Association   déclarée\t", "association declaree"},
		{"code_postal", "code postal"},
		{"CODE__POSTAL", "code postal"},
		{"Systèmes d’échange alternatifs", "systemes d'echange alternatifs"},
		{"l‘atelier `vélo`", "l'atelier 'velo'"},
		{"Jardins du Cœur", "jardins du coeur"},
		{"ÆSOP", "aesop"},
		{"Fabriquer, réparer, zéro déchets", "fabriquer, reparer, zero dechets"},
		{"SAS,\u00a0société", "sas, societe"}, // no-break space
		{"Tél\u202f: 05", "tel : 05"},         // narrow no-break space
		{"e\u0301cole", "ecole"},              // already decomposed
		{"ÇA Î Ô Ü Ÿ", "ca i o u y"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Fold(tt.in); got != tt.want {
				t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFoldIdempotent(t *testing.T) {
	for _, s := range []string{"Économie Sociale", "a_b  c", "d’Ici", "Œuvre"} {
		if once, twice := Fold(s), Fold(Fold(s)); once != twice {
			t.Errorf("Fold(Fold(%q)) = %q, want %q", s, twice, once)
		}
	}
}
