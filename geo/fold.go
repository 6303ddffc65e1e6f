package geo

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold returns s in the form used to compare names people type: lower
// case, without accents (é -> e, œ -> oe), typographic apostrophes and
// backquotes turned into ', runs of white space and underscores collapsed
// into one space, and no leading or trailing space. "Économie_Sociale  et
// Solidaire" and "economie sociale et solidaire" fold the same.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r) || r == '_':
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		switch r {
		case '’', '‘', '`', 'ʼ', '′':
			b.WriteByte('\'')
		case 'œ', 'Œ':
			b.WriteString("oe")
		case 'æ', 'Æ':
			b.WriteString("ae")
		case 'ß':
			b.WriteString("ss")
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
