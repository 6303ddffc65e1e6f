package geo

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

var legalCodeRe = regexp.MustCompile(`^[0-9]{4}$`)

// Families of the social and solidarity economy by legal form (loi du 31
// juillet 2014).
const (
	FamilyAssociation = "association"
	FamilyCooperative = "cooperative"
	FamilyMutuelle    = "mutuelle"
	FamilyFondation   = "fondation"
	FamilyCommercial  = "societe_commerciale_ess"
)

// LegalForm is an INSEE catégorie juridique. Code is empty when the form
// was given as text that matches no code; Label then keeps that text.
type LegalForm struct {
	Code   string `json:"code"`
	Label  string `json:"label"`
	Family string `json:"family"`
}

// LegalForms is the INSEE table of catégories juridiques (level 3, 4-digit
// codes), indexed to read legal forms as people write them. The nil
// *LegalForms is usable: it accepts any 4-digit code and knows only the
// built-in common names (association loi 1901, SCOP, SARL...).
type LegalForms struct {
	byCode map[string]LegalForm
	byName map[string][]string // legalKey of a name -> codes bearing it
}

// LoadLegalForms reads the INSEE catégories juridiques as CSV with a
// "code,libelle" header (the annuaire-entreprises level-3 file). The family
// of each form is derived from its code and label, see LegalFamily. It
// returns an EInvalid *Error naming the line at fault when the file is not
// such a table: missing columns, a code that is not 4 digits, a duplicate
// code or an empty label.
func LoadLegalForms(r io.Reader) (*LegalForms, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	invalid := func(format string, args ...any) error {
		return &Error{Code: EInvalid, Message: "invalid legal-form table",
			Fields: map[string]string{"file": fmt.Sprintf(format, args...)}}
	}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, invalid("empty file")
	}
	if err != nil {
		return nil, invalid("%v", err)
	}
	codeCol, labelCol := -1, -1
	for i, h := range header {
		switch Fold(strings.TrimPrefix(h, "\ufeff")) {
		case "code":
			codeCol = i
		case "libelle", "label":
			labelCol = i
		}
	}
	if codeCol < 0 || labelCol < 0 {
		return nil, invalid("line 1: expected a code,libelle header")
	}
	l := &LegalForms{byCode: make(map[string]LegalForm), byName: make(map[string][]string)}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, invalid("%v", err)
		}
		line, _ := cr.FieldPos(0)
		if max(codeCol, labelCol) >= len(rec) {
			return nil, invalid("line %d: missing code or label", line)
		}
		code, label := strings.TrimSpace(rec[codeCol]), strings.TrimSpace(rec[labelCol])
		switch {
		case !legalCodeRe.MatchString(code):
			return nil, invalid("line %d: %q is not a 4-digit code (level-3 table expected)", line, code)
		case label == "":
			return nil, invalid("line %d: empty label", line)
		}
		if _, dup := l.byCode[code]; dup {
			return nil, invalid("line %d: duplicate code %s", line, code)
		}
		l.byCode[code] = LegalForm{Code: code, Label: label, Family: LegalFamily(code, label)}
		for _, k := range legalNameKeys(label) {
			if !slices.Contains(l.byName[k], code) {
				l.byName[k] = append(l.byName[k], code)
			}
		}
	}
	if len(l.byCode) == 0 {
		return nil, invalid("no legal form in file")
	}
	return l, nil
}

// Lookup returns the form with the given INSEE code, and false when the
// table has no such code or l is nil.
func (l *LegalForms) Lookup(code string) (LegalForm, bool) {
	if l == nil {
		return LegalForm{}, false
	}
	f, ok := l.byCode[code]
	return f, ok
}

// Resolve reads text as a legal form; see Match. Text that matches nothing
// is kept as the label of a form without code.
func (l *LegalForms) Resolve(text string) LegalForm {
	f, _ := l.Match(text)
	return f
}

// Match reads text as a legal form and reports whether it was recognized.
// It accepts, in this order:
//   - a 4-digit INSEE code, possibly followed by its label ("9220",
//     "9220 - Association déclarée"): the label and family come from the
//     table; a code missing from a loaded table is kept and not recognized;
//   - a common name: "association loi 1901", "asso" -> 9220, "SARL",
//     "EURL" -> 5499, "SAS", "SASU" -> 5710, "SCOP SARL" -> 5458...;
//   - an INSEE label, compared folded (case, accents, punctuation), with or
//     without its parenthesized part, or the acronym it gives ("CUMA");
//   - a name that several codes share ("SCOP": SARL 5458 or SA 5558/5658;
//     "SCIC", "SA") is kept as typed, without code, with the family the
//     codes have in common;
//   - text naming a family ("coopérative d'activité et d'emploi",
//     "fondation d'entreprise", "mutuelle santé") is kept as typed with
//     that family.
//
// Anything else is kept as typed in Label, without code or family, and
// Match returns false. Empty text gives the zero LegalForm and true.
func (l *LegalForms) Match(text string) (LegalForm, bool) {
	text = strings.TrimSpace(text)
	if text == "" {
		return LegalForm{}, true
	}
	if m := leadingCodeRe.FindStringSubmatch(text); m != nil {
		code, rest := m[1], strings.TrimSpace(m[2])
		if f, ok := l.Lookup(code); ok {
			return f, true
		}
		f := LegalForm{Code: code, Label: rest, Family: LegalFamily(code, "")}
		if b, ok := builtinForms[code]; ok && f.Label == "" {
			f.Label = b.Label
		}
		return f, l == nil
	}
	key := legalKey(text)
	if a, ok := legalAliases[key]; ok {
		if a.Code == "" {
			return LegalForm{Label: text, Family: a.Family}, true
		}
		if f, ok := l.Lookup(a.Code); ok {
			return f, true
		}
		return a, true
	}
	if l != nil {
		if codes := l.byName[key]; len(codes) == 1 {
			return l.byCode[codes[0]], true
		} else if len(codes) > 1 {
			fam := l.byCode[codes[0]].Family
			for _, c := range codes[1:] {
				if l.byCode[c].Family != fam {
					fam = ""
				}
			}
			return LegalForm{Label: text, Family: fam}, true
		}
	}
	if fam := keywordFamily(key); fam != "" {
		return LegalForm{Label: text, Family: fam}, true
	}
	return LegalForm{Label: text}, false
}

// LegalFamily returns the ESS family of the INSEE legal form with the given
// code and label, or "" for forms outside the four statutory families:
//   - by category: 51xx (sociétés coopératives commerciales particulières,
//     including caisses de crédit mutuel) and 63xx (coopératives agricoles)
//     are coopératives, 64xx (assurance mutuelle) and 82xx (organismes
//     mutualistes) mutuelles, 92xx (associations loi 1901 ou assimilées)
//     associations and 93xx fondations;
//   - otherwise by label: "coopérative" or "(SCOP)" makes a coopérative,
//     "crédit ... mutuel" too (crédit mutuel and crédit agricole mutuel are
//     cooperative banks), "mutuel"/"mutualiste" a mutuelle;
//   - with no label, a built-in list of the coopérative codes of the other
//     categories (SARL, SA, sociétés civiles coopératives...).
func LegalFamily(code, label string) string {
	switch {
	case strings.HasPrefix(code, "51"), strings.HasPrefix(code, "63"):
		return FamilyCooperative
	case strings.HasPrefix(code, "64"), strings.HasPrefix(code, "82"):
		return FamilyMutuelle
	case strings.HasPrefix(code, "92"):
		return FamilyAssociation
	case strings.HasPrefix(code, "93"):
		return FamilyFondation
	}
	if label == "" {
		if cooperativeCodes[code] {
			return FamilyCooperative
		}
		return ""
	}
	words := strings.Fields(legalKey(label))
	has := func(prefix string) bool {
		return slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, prefix) })
	}
	switch {
	case has("cooperativ"), slices.Contains(words, "scop"):
		return FamilyCooperative
	case has("mutuel") && has("credit"):
		return FamilyCooperative
	case has("mutuel"), slices.Contains(words, "mutualiste"):
		return FamilyMutuelle
	}
	return ""
}

// cooperativeCodes are the coopérative forms outside categories 51 and 63,
// for when no table gives their labels. A test checks this list against the
// labels of the INSEE table.
var cooperativeCodes = map[string]bool{
	"5203": true, "5307": true, "5309": true,
	"5443": true, "5451": true, "5453": true, "5454": true, "5455": true, "5458": true, "5459": true, "5460": true,
	"5543": true, "5547": true, "5551": true, "5552": true, "5553": true, "5554": true, "5555": true, "5558": true, "5559": true, "5560": true,
	"5643": true, "5647": true, "5651": true, "5652": true, "5653": true, "5654": true, "5655": true, "5658": true, "5659": true, "5660": true,
	"6543": true, "6551": true, "6554": true, "6558": true, "6560": true, "6595": true, "6596": true,
}

// builtinForms are the INSEE forms the common names below point to, with
// their INSEE labels, for when no table is loaded.
var builtinForms = map[string]LegalForm{}

// legalAliases maps the legalKey of common names to a form: with a code,
// or without code (the text is then kept as typed) when the name fits
// several codes.
var legalAliases = map[string]LegalForm{}

func init() {
	coded := []struct {
		code, label string
		names       []string
	}{
		{"9220", "Association déclarée", []string{"association", "asso", "association loi 1901",
			"association loi de 1901", "association 1901", "loi 1901", "association type loi 1901",
			"association declaree loi 1901", "association declaree loi de 1901", "association loi 1901 declaree"}},
		{"9230", "Association déclarée, reconnue d'utilité publique", []string{
			"association reconnue d'utilite publique", "association rup", "arup",
			"association loi 1901 reconnue d'utilite publique"}},
		{"9260", "Association de droit local (Bas-Rhin, Haut-Rhin et Moselle)", []string{
			"association de droit local", "association loi 1908", "association inscrite",
			"association de droit local alsace moselle"}},
		{"9210", "Association non déclarée", []string{"association de fait", "association non declaree"}},
		{"9222", "Association intermédiaire", []string{"association intermediaire"}},
		{"9300", "Fondation", []string{"fondation", "fondation reconnue d'utilite publique", "fondation rup",
			"fondation d'entreprise"}},
		{"8210", "Mutuelle", []string{"mutuelle"}},
		{"5458", "SARL coopérative de production (SCOP)", []string{"scop sarl", "sarl scop",
			"sarl cooperative ouvriere de production", "sarl cooperative de production",
			"societe cooperative ouvriere de production sarl"}},
		{"5499", "Société à responsabilité limitée (sans autre indication)", []string{"sarl", "eurl",
			"societe a responsabilite limitee", "sarl unipersonnelle",
			"entreprise unipersonnelle a responsabilite limitee"}},
		{"5710", "SAS, société par actions simplifiée", []string{"sas", "sasu",
			"societe par actions simplifiee", "sas unipersonnelle",
			"societe par actions simplifiee unipersonnelle"}},
		{"5202", "Société en nom collectif", []string{"snc", "societe en nom collectif"}},
		{"6540", "Société civile immobilière", []string{"sci", "societe civile immobiliere"}},
		{"6220", "Groupement d'intérêt économique (GIE)", []string{"gie"}},
		{"6316", "Coopérative d'utilisation de matériel agricole en commun (CUMA)", []string{"cuma"}},
		{"6317", "Société coopérative agricole", []string{"cooperative agricole", "societe cooperative agricole"}},
		{"6533", "Groupement agricole d'exploitation en commun (GAEC)", []string{"gaec"}},
		{"6597", "Société civile d'exploitation agricole", []string{"scea"}},
		{"6598", "Exploitation agricole à responsabilité limitée", []string{"earl"}},
		{"1000", "Entrepreneur individuel", []string{"entrepreneur individuel", "entreprise individuelle",
			"auto entrepreneur", "micro entrepreneur", "micro entreprise"}},
		{"7210", "Commune et commune nouvelle", []string{"commune"}},
		{"7361", "Centre communal d'action sociale", []string{"ccas"}},
	}
	for _, c := range coded {
		f := LegalForm{Code: c.code, Label: c.label, Family: LegalFamily(c.code, c.label)}
		builtinForms[c.code] = f
		for _, k := range legalNameKeys(c.label) {
			legalAliases[k] = f
		}
		for _, n := range c.names {
			legalAliases[legalKey(n)] = f
		}
	}
	// Added last: "scop" must not stay the acronym of 5458 alone.
	textOnly := []struct {
		family string
		names  []string
	}{
		{FamilyCooperative, []string{"scop", "scic", "cae", "scop sa", "sa scop", "scop sas", "sas scop",
			"scic sa", "sa scic", "scic sas", "sas scic", "scic sarl", "sarl scic",
			"sa cooperative ouvriere de production", "sa cooperative de production",
			"societe cooperative ouvriere de production", "societe cooperative et participative",
			"societe cooperative de production", "societe cooperative d'interet collectif",
			"cooperative d'activite et d'emploi", "cooperative", "societe cooperative", "coop"}},
		{"", []string{"sa", "societe anonyme"}},
	}
	for _, t := range textOnly {
		for _, n := range t.names {
			legalAliases[legalKey(n)] = LegalForm{Family: t.family}
		}
	}
}

var (
	leadingCodeRe = regexp.MustCompile(`^([0-9]{4})(?:$|[\s:–—-]+(.*)$)`)
	parenRe       = regexp.MustCompile(`\(([^()]*)\)`)
)

// legalNameKeys returns the keys under which an INSEE label is found: the
// label itself, without its parenthesized parts, the acronyms it gives in
// parentheses ("(CUMA)") and, for "SAS, société par actions simplifiée",
// each side of the comma.
func legalNameKeys(label string) []string {
	keys := []string{legalKey(label), legalKey(parenRe.ReplaceAllString(label, " "))}
	for _, m := range parenRe.FindAllStringSubmatch(label, -1) {
		if isAcronym(m[1]) {
			keys = append(keys, legalKey(m[1]))
		}
	}
	if head, tail, ok := strings.Cut(label, ","); ok && isAcronym(head) {
		keys = append(keys, legalKey(head), legalKey(tail))
	}
	return keys
}

// isAcronym reports whether s is upper-case letters and spaces only, with
// at least two letters, as in "SCOP" or "SPFPL SAS".
func isAcronym(s string) bool {
	n := 0
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			n++
		case r != ' ':
			return false
		}
	}
	return n >= 2
}

// legalKey folds s and drops punctuation, so that "S.A.R.L." and "sarl",
// or "d'insertion" and "d insertion", compare equal.
func legalKey(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '.':
			return -1
		case unicode.IsLetter(r), unicode.IsDigit(r):
			return r
		}
		return ' '
	}, Fold(s))
	return strings.Join(strings.Fields(s), " ")
}

// keywordFamily returns the family a legal form written as free text names,
// from its words, or "".
func keywordFamily(key string) string {
	words := strings.Fields(key)
	for _, w := range words {
		if strings.HasPrefix(w, "cooperativ") || w == "scop" || w == "scic" || w == "coop" {
			return FamilyCooperative
		}
	}
	for _, w := range words {
		if w == "mutuelle" || w == "mutuelles" || w == "mutualiste" {
			return FamilyMutuelle
		}
	}
	if slices.Contains(words, "fondation") {
		return FamilyFondation
	}
	if slices.Contains(words, "association") || slices.Contains(words, "asso") {
		return FamilyAssociation
	}
	return ""
}
