package geo

import (
	"slices"
	"strings"
)

// SectorMatcher finds the sector a name given in a file or by another
// directory stands for, comparing folded names (see Fold; dashes count as
// spaces) with each sector's slug, label and synonyms.
type SectorMatcher struct {
	byName map[string]string // sectorKey -> slug
}

// NewSectorMatcher indexes sectors. When two sectors share a name, the one
// listed first wins, and a sector's own slug or label wins over another
// sector's synonym.
func NewSectorMatcher(sectors []Sector) *SectorMatcher {
	m := &SectorMatcher{byName: make(map[string]string)}
	add := func(name, slug string) {
		if k := sectorKey(name); k != "" {
			if _, taken := m.byName[k]; !taken {
				m.byName[k] = slug
			}
		}
	}
	for _, s := range sectors {
		add(s.Slug, s.Slug)
		add(s.Label, s.Slug)
	}
	for _, s := range sectors {
		for _, syn := range s.Synonyms {
			add(syn, s.Slug)
		}
	}
	return m
}

// Match returns the slug of the sector value names, and false when no
// sector bears that name. A nil *SectorMatcher matches nothing.
func (m *SectorMatcher) Match(value string) (slug string, ok bool) {
	if m == nil {
		return "", false
	}
	slug, ok = m.byName[sectorKey(value)]
	return slug, ok
}

// MatchAll returns the slugs of the sectors values name, without
// duplicates, in the order found, and the values or parts of values that
// match no sector. A value is first matched whole ("Habitat, logement" is
// one name); failing that it is split on | ; and /, and each part is
// matched whole or split on commas, the longest runs of comma-separated
// pieces that name a sector winning ("Culture, médias et lien social,
// Habitat" gives culture and habitat). Empty values and parts are ignored.
func (m *SectorMatcher) MatchAll(values []string) (slugs []string, unmatched []string) {
	addSlug := func(s string) {
		if !slices.Contains(slugs, s) {
			slugs = append(slugs, s)
		}
	}
	seen := make(map[string]bool)
	for _, v := range values {
		for _, part := range strings.FieldsFunc(v, isSectorSeparator) {
			if s, ok := m.Match(part); ok {
				addSlug(s)
				continue
			}
			pieces := strings.Split(part, ",")
			for i := 0; i < len(pieces); {
				j := min(len(pieces), i+maxCommaRun)
				for ; j > i; j-- {
					if s, ok := m.Match(strings.Join(pieces[i:j], ",")); ok {
						addSlug(s)
						break
					}
				}
				if j == i { // no run from i matches
					if p := strings.TrimSpace(pieces[i]); p != "" && !seen[p] {
						seen[p] = true
						unmatched = append(unmatched, p)
					}
					j = i + 1
				}
				i = j
			}
		}
	}
	return slugs, unmatched
}

// maxCommaRun bounds the comma-separated pieces joined to find a sector
// name, longer than any name people give, so that a cell of many commas
// does not take quadratic time.
const maxCommaRun = 6

func isSectorSeparator(r rune) bool {
	return r == ';' || r == '|' || r == '/'
}

// sectorKey is the form sector names are compared in: folded, with dashes
// as spaces so that "tiers-lieux" and "tiers lieux" are the same name.
func sectorKey(s string) string {
	return Fold(strings.ReplaceAll(s, "-", " "))
}
