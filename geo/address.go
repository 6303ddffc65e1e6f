package geo

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// abbreviations maps the short forms people write in addresses to the
// words of the national address base.
var abbreviations = map[string]string{
	"av": "avenue", "ave": "avenue", "bd": "boulevard", "bld": "boulevard", "boul": "boulevard",
	"r": "rue", "pl": "place", "ch": "chemin", "chem": "chemin", "che": "chemin", "imp": "impasse",
	"all": "allee", "rte": "route", "sq": "square", "fg": "faubourg", "fbg": "faubourg",
	"st": "saint", "ste": "sainte", "crs": "cours", "qu": "quai", "res": "residence",
	"lot": "lotissement", "pas": "passage", "pass": "passage", "prom": "promenade",
	"carr": "carrefour", "hab": "hameau", "ham": "hameau", "ld": "lieu dit", "lt": "lotissement",
	"mte": "montee", "rpt": "rond point", "sent": "sentier", "tra": "traverse", "za": "zone artisanale",
	"zi": "zone industrielle", "zac": "zone d amenagement concerte", "vla": "villa", "cite": "cite",
	"gal": "general", "gen": "general", "mal": "marechal", "pdt": "president", "dr": "docteur",
}

// dropWords are written in addresses but never in the address base.
var dropWords = map[string]bool{"france": true, "cedex": true}

// FoldAddress returns s folded for comparing addresses: Fold, then every
// character but letters and digits turned into a space, common
// abbreviations written out (av -> avenue, r -> rue, st -> saint...) and
// "france", "cedex" dropped. "12, Av. de l'Église" folds to
// "12 avenue de l eglise".
func FoldAddress(s string) string {
	words := strings.FieldsFunc(Fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	out := words[:0]
	for _, w := range words {
		if dropWords[w] {
			continue
		}
		if long, ok := abbreviations[w]; ok {
			w = long
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// suffixes maps the repetition indexes people write after a house number
// to one form: b and bis are one, t and ter one, q and quater one.
var suffixes = map[string]string{"bis": "bis", "b": "bis", "ter": "ter", "t": "ter",
	"quater": "quater", "q": "quater", "quinquies": "quinquies", "a": "a", "c": "c", "d": "d"}

// FoldSuffix returns the normal form of a repetition index (b -> bis).
func FoldSuffix(s string) string {
	s = Fold(strings.TrimSpace(s))
	if n, ok := suffixes[s]; ok {
		return n
	}
	return s
}

// ParsedAddress is an address split into what a geocoder matches
// separately.
type ParsedAddress struct {
	Number   int    // house number, 0 if none
	Suffix   string // its repetition index, folded (bis, ter, a...)
	Postcode string // a 5-digit postcode found in the text
	Text     string // the rest, folded: street and commune
}

var (
	leadingNumberRe = regexp.MustCompile(`^([0-9]{1,4})\s?(bis|ter|quater|quinquies|[abcdqt])?\b\s*`)
	postcodeWordRe  = regexp.MustCompile(`\b[0-9]{5}\b`)
)

// ParseAddress splits an address as people write it: "12b r. Joffre 54111
// Mont-Bonvillers" is number 12, suffix bis, postcode 54111 and the text
// "rue joffre mont bonvillers".
func ParseAddress(s string) ParsedAddress {
	var p ParsedAddress
	f := FoldAddress(s)
	if m := leadingNumberRe.FindStringSubmatch(f); m != nil && len(m[0]) < len(f) {
		p.Number, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			p.Suffix = FoldSuffix(m[2])
		}
		f = f[len(m[0]):]
	}
	if pc := postcodeWordRe.FindString(f); pc != "" {
		p.Postcode = pc
		f = strings.Join(strings.Fields(strings.Replace(f, pc, " ", 1)), " ")
	}
	p.Text = f
	return p
}
