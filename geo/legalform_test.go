package geo

import (
	"encoding/csv"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/maillage/maillage/internal/shareddata"
)

// inseeFile is the INSEE table of legal forms in the shared data.
func inseeFile(t *testing.T) string {
	return shareddata.Dir(t, "taxonomies", "annuaire-entreprises_categories-juridiques.csv")
}

func loadINSEE(t *testing.T) *LegalForms {
	t.Helper()
	f, err := os.Open(inseeFile(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := LoadLegalForms(f)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLoadLegalForms(t *testing.T) {
	l := loadINSEE(t)
	if n := len(l.byCode); n != 260 {
		t.Errorf("loaded %d forms, want 260", n)
	}
	tests := []struct {
		code string
		want LegalForm
	}{
		{"9220", LegalForm{"9220", "Association déclarée", FamilyAssociation}},
		{"9223", LegalForm{"9223", "Groupement d'employeurs", FamilyAssociation}},
		{"9300", LegalForm{"9300", "Fondation", FamilyFondation}},
		{"8210", LegalForm{"8210", "Mutuelle", FamilyMutuelle}},
		{"8290", LegalForm{"8290", "Autre organisme mutualiste", FamilyMutuelle}},
		{"6411", LegalForm{"6411", "Société d'assurance à forme mutuelle", FamilyMutuelle}},
		{"5458", LegalForm{"5458", "SARL coopérative de production (SCOP)", FamilyCooperative}},
		{"5658", LegalForm{"5658", "SA coopérative de production (SCOP) à directoire", FamilyCooperative}},
		{"5547", LegalForm{"5547", "SA coopérative de production de HLM à conseil d'administration", FamilyCooperative}},
		{"6316", LegalForm{"6316", "Coopérative d'utilisation de matériel agricole en commun (CUMA)", FamilyCooperative}},
		{"5194", LegalForm{"5194", "Caisse (fédérale) de crédit mutuel", FamilyCooperative}},
		{"6595", LegalForm{"6595", "Caisse locale de crédit mutuel", FamilyCooperative}},
		{"5710", LegalForm{"5710", "SAS, société par actions simplifiée", ""}},
		{"5499", LegalForm{"5499", "Société à responsabilité limitée (sans autre indication)", ""}},
		{"8140", LegalForm{"8140", "Mutualité sociale agricole", ""}},                             // a social security regime
		{"7321", LegalForm{"7321", "Association syndicale autorisée", ""}},                        // public law
		{"7470", LegalForm{"7470", "Groupement de coopération sanitaire à gestion publique", ""}}, // coopération is not coopérative
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			got, ok := l.Lookup(tt.code)
			if !ok || got != tt.want {
				t.Errorf("Lookup(%q) = %+v, %v; want %+v", tt.code, got, ok, tt.want)
			}
		})
	}
	if _, ok := l.Lookup("9999"); ok {
		t.Error("Lookup(9999) found a form")
	}
}

func TestLoadLegalFormsErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "empty file"},
		{"no header", "9220,Association déclarée\n", "header"},
		{"level 2", "code,libelle\n92,Association loi 1901 ou assimilé\n", `line 2: "92" is not a 4-digit code`},
		{"duplicate", "code,libelle\n9220,A\n9220,B\n", "line 3: duplicate code 9220"},
		{"empty label", "code,libelle\n9220, \n", "line 2: empty label"},
		{"short row", "code,libelle\n9220\n", "line 2: missing"},
		{"no rows", "code,libelle\n", "no legal form"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadLegalForms(strings.NewReader(tt.in))
			if e, ok := errors.AsType[*Error](err); !ok || e.Code != EInvalid || !strings.Contains(e.Fields["file"], tt.want) {
				t.Errorf("LoadLegalForms: %v, want EInvalid with %q", err, tt.want)
			}
		})
	}
	l, err := LoadLegalForms(strings.NewReader("\ufeffLibellé,x,Code\nAssociation déclarée,x,9220\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := l.Lookup("9220"); f.Label != "Association déclarée" {
		t.Errorf("columns in another order: got %+v", f)
	}
}

func TestLegalFormsMatch(t *testing.T) {
	l := loadINSEE(t)
	type result struct {
		form LegalForm
		ok   bool
	}
	tests := []struct {
		in      string
		table   result // with the INSEE table
		noTable result // with a nil *LegalForms
	}{
		{"", result{LegalForm{}, true}, result{LegalForm{}, true}},
		{"9220", result{LegalForm{"9220", "Association déclarée", FamilyAssociation}, true},
			result{LegalForm{"9220", "Association déclarée", FamilyAssociation}, true}},
		{" 9223 - Groupement d'employeurs ", result{LegalForm{"9223", "Groupement d'employeurs", FamilyAssociation}, true},
			result{LegalForm{"9223", "Groupement d'employeurs", FamilyAssociation}, true}},
		{"5560", result{LegalForm{"5560", "Autre SA coopérative à conseil d'administration", FamilyCooperative}, true},
			result{LegalForm{"5560", "", FamilyCooperative}, true}},
		{"9999", result{LegalForm{"9999", "", ""}, false}, result{LegalForm{"9999", "", ""}, true}},
		{"Association déclarée", result{LegalForm{"9220", "Association déclarée", FamilyAssociation}, true},
			result{LegalForm{"9220", "Association déclarée", FamilyAssociation}, true}},
		{"ASSOCIATION DECLAREE", result{LegalForm{"9220", "Association déclarée", FamilyAssociation}, true},
			result{LegalForm{"9220", "Association déclarée", FamilyAssociation}, true}},
		{"Association loi 1901", result{LegalForm{"9220", "Association déclarée", FamilyAssociation}, true},
			result{LegalForm{"9220", "Association déclarée", FamilyAssociation}, true}},
		{"association loi de 1901", result{LegalForm{"9220", "Association déclarée", FamilyAssociation}, true},
			result{LegalForm{"9220", "Association déclarée", FamilyAssociation}, true}},
		{"Asso", result{LegalForm{"9220", "Association déclarée", FamilyAssociation}, true},
			result{LegalForm{"9220", "Association déclarée", FamilyAssociation}, true}},
		{"Association déclarée, reconnue d'utilité publique",
			result{LegalForm{"9230", "Association déclarée, reconnue d'utilité publique", FamilyAssociation}, true},
			result{LegalForm{"9230", "Association déclarée, reconnue d'utilité publique", FamilyAssociation}, true}},
		{"Association déclarée d’insertion par l’économique",
			result{LegalForm{"9221", "Association déclarée d'insertion par l'économique", FamilyAssociation}, true},
			result{LegalForm{"", "Association déclarée d’insertion par l’économique", FamilyAssociation}, true}},
		{"Association de droit local", result{LegalForm{"9260", "Association de droit local (Bas-Rhin, Haut-Rhin et Moselle)", FamilyAssociation}, true},
			result{LegalForm{"9260", "Association de droit local (Bas-Rhin, Haut-Rhin et Moselle)", FamilyAssociation}, true}},
		{"Fondation", result{LegalForm{"9300", "Fondation", FamilyFondation}, true},
			result{LegalForm{"9300", "Fondation", FamilyFondation}, true}},
		{"Fondation abritée", result{LegalForm{"", "Fondation abritée", FamilyFondation}, true},
			result{LegalForm{"", "Fondation abritée", FamilyFondation}, true}},
		{"Mutuelle", result{LegalForm{"8210", "Mutuelle", FamilyMutuelle}, true},
			result{LegalForm{"8210", "Mutuelle", FamilyMutuelle}, true}},
		{"mutuelle santé", result{LegalForm{"", "mutuelle santé", FamilyMutuelle}, true},
			result{LegalForm{"", "mutuelle santé", FamilyMutuelle}, true}},
		{"Assurance mutuelle agricole", result{LegalForm{"8250", "Assurance mutuelle agricole", FamilyMutuelle}, true},
			result{LegalForm{"", "Assurance mutuelle agricole", FamilyMutuelle}, true}},
		// SCOP is a SARL (5458) or an SA (5558, 5658): the code stays open.
		{"SCOP", result{LegalForm{"", "SCOP", FamilyCooperative}, true},
			result{LegalForm{"", "SCOP", FamilyCooperative}, true}},
		{"Scop SA", result{LegalForm{"", "Scop SA", FamilyCooperative}, true},
			result{LegalForm{"", "Scop SA", FamilyCooperative}, true}},
		{"SCOP SARL", result{LegalForm{"5458", "SARL coopérative de production (SCOP)", FamilyCooperative}, true},
			result{LegalForm{"5458", "SARL coopérative de production (SCOP)", FamilyCooperative}, true}},
		{"SARL coopérative ouvrière de production", result{LegalForm{"5458", "SARL coopérative de production (SCOP)", FamilyCooperative}, true},
			result{LegalForm{"5458", "SARL coopérative de production (SCOP)", FamilyCooperative}, true}},
		{"SARL coopérative de production (SCOP)", result{LegalForm{"5458", "SARL coopérative de production (SCOP)", FamilyCooperative}, true},
			result{LegalForm{"5458", "SARL coopérative de production (SCOP)", FamilyCooperative}, true}},
		{"SA coopérative ouvrière de production", result{LegalForm{"", "SA coopérative ouvrière de production", FamilyCooperative}, true},
			result{LegalForm{"", "SA coopérative ouvrière de production", FamilyCooperative}, true}},
		{"SA coopérative de production (SCOP) à directoire", result{LegalForm{"5658", "SA coopérative de production (SCOP) à directoire", FamilyCooperative}, true},
			result{LegalForm{"", "SA coopérative de production (SCOP) à directoire", FamilyCooperative}, true}},
		// SCIC has no code of its own: SARL 5460, SA 5560/5660 or SAS 5710.
		{"SCIC", result{LegalForm{"", "SCIC", FamilyCooperative}, true},
			result{LegalForm{"", "SCIC", FamilyCooperative}, true}},
		{"SCIC SAS", result{LegalForm{"", "SCIC SAS", FamilyCooperative}, true},
			result{LegalForm{"", "SCIC SAS", FamilyCooperative}, true}},
		{"Coopérative d'activité et d'emploi", result{LegalForm{"", "Coopérative d'activité et d'emploi", FamilyCooperative}, true},
			result{LegalForm{"", "Coopérative d'activité et d'emploi", FamilyCooperative}, true}},
		{"CUMA", result{LegalForm{"6316", "Coopérative d'utilisation de matériel agricole en commun (CUMA)", FamilyCooperative}, true},
			result{LegalForm{"6316", "Coopérative d'utilisation de matériel agricole en commun (CUMA)", FamilyCooperative}, true}},
		{"Société coopérative agricole", result{LegalForm{"6317", "Société coopérative agricole", FamilyCooperative}, true},
			result{LegalForm{"6317", "Société coopérative agricole", FamilyCooperative}, true}},
		{"SARL", result{LegalForm{"5499", "Société à responsabilité limitée (sans autre indication)", ""}, true},
			result{LegalForm{"5499", "Société à responsabilité limitée (sans autre indication)", ""}, true}},
		{"S.A.R.L.", result{LegalForm{"5499", "Société à responsabilité limitée (sans autre indication)", ""}, true},
			result{LegalForm{"5499", "Société à responsabilité limitée (sans autre indication)", ""}, true}},
		{"SAS", result{LegalForm{"5710", "SAS, société par actions simplifiée", ""}, true},
			result{LegalForm{"5710", "SAS, société par actions simplifiée", ""}, true}},
		{"Société par actions simplifiée", result{LegalForm{"5710", "SAS, société par actions simplifiée", ""}, true},
			result{LegalForm{"5710", "SAS, société par actions simplifiée", ""}, true}},
		// SA: à conseil d'administration (5599) or à directoire (5699).
		{"SA", result{LegalForm{"", "SA", ""}, true}, result{LegalForm{"", "SA", ""}, true}},
		{"Groupement d'intérêt économique", result{LegalForm{"6220", "Groupement d'intérêt économique (GIE)", ""}, true},
			result{LegalForm{"6220", "Groupement d'intérêt économique (GIE)", ""}, true}},
		{"SICA", result{LegalForm{"", "SICA", ""}, true}, result{LegalForm{"", "SICA", ""}, false}},
		{"AUTRE", result{LegalForm{"", "AUTRE", ""}, false}, result{LegalForm{"", "AUTRE", ""}, false}},
		{"collectif informel", result{LegalForm{"", "collectif informel", ""}, false},
			result{LegalForm{"", "collectif informel", ""}, false}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := l.Match(tt.in)
			if got != tt.table.form || ok != tt.table.ok {
				t.Errorf("table: Match(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.table.form, tt.table.ok)
			}
			var nilTable *LegalForms
			got, ok = nilTable.Match(tt.in)
			if got != tt.noTable.form || ok != tt.noTable.ok {
				t.Errorf("nil: Match(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.noTable.form, tt.noTable.ok)
			}
			if r := l.Resolve(tt.in); r != tt.table.form {
				t.Errorf("Resolve(%q) = %+v, want %+v", tt.in, r, tt.table.form)
			}
		})
	}
}

// TestLegalFamilyWithoutLabel checks that the family of every INSEE form is
// the same whether derived from its label or, with no table loaded, from
// its code alone: the built-in coopérative list is complete.
func TestLegalFamilyWithoutLabel(t *testing.T) {
	f, err := os.Open(inseeFile(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, r := range recs[1:] {
		code, label := r[0], r[1]
		fromLabel, fromCode := LegalFamily(code, label), LegalFamily(code, "")
		if fromLabel != fromCode {
			t.Errorf("%s %q: family %q from label, %q from code", code, label, fromLabel, fromCode)
		}
		counts[fromLabel]++
	}
	want := map[string]int{FamilyAssociation: 9, FamilyFondation: 1, FamilyMutuelle: 4, FamilyCooperative: 47}
	for fam, n := range want {
		if counts[fam] != n {
			t.Errorf("%d forms of family %q, want %d", counts[fam], fam, n)
		}
	}
}

// TestBuiltinForms checks the built-in labels and families against the
// INSEE table.
func TestBuiltinForms(t *testing.T) {
	l := loadINSEE(t)
	for code, b := range builtinForms {
		if f, ok := l.Lookup(code); !ok || f != b {
			t.Errorf("built-in %+v, table has %+v", b, f)
		}
	}
}
