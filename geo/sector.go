package geo

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Sector is a family of ESS activity, such as insertion par l'activité
// économique or commerce équitable. Actors belong to one or more sectors.
type Sector struct {
	Slug  string `json:"slug"`
	Label string `json:"label"` // in French
	Color string `json:"color"` // #rrggbb
	Icon  string `json:"icon"`  // pictogram: SVG path data in a 24 x 24 box

	Synonyms []string `json:"synonyms"` // other names matched on import
	Position int      `json:"position"` // order in legends
}

var (
	slugRe  = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	iconRe  = regexp.MustCompile(`^([Mm][MmLlHhVvCcSsQqTtAaZz0-9.,\s-]*)?$`)
)

// Validate returns an EInvalid *Error naming each field at fault.
func (s *Sector) Validate() error {
	f := FieldErrors{}
	if !slugRe.MatchString(s.Slug) || len(s.Slug) > 60 {
		f.Add("slug", "lower-case letters, digits and dashes, at most 60")
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(s.Label)); n == 0 || n > 120 {
		f.Add("label", "required, at most 120 characters")
	}
	if !colorRe.MatchString(s.Color) {
		f.Add("color", "a colour such as #1f78b4")
	}
	if utf8.RuneCountInString(s.Icon) > 2000 || !iconRe.MatchString(s.Icon) {
		f.Add("icon", "SVG path data (24 x 24 box), at most 2000 characters")
	}
	if len(s.Synonyms) > 100 {
		f.Add("synonyms", "too many values")
	}
	return f.Err()
}

// SectorUpdate is a partial change to a sector: nil fields stay.
type SectorUpdate struct {
	Slug     *string
	Label    *string
	Color    *string
	Icon     *string
	Synonyms *[]string
	Position *int
}

// Apply writes the set fields of u into s.
func (u SectorUpdate) Apply(s *Sector) {
	for _, f := range []struct{ dst, src *string }{
		{&s.Slug, u.Slug}, {&s.Label, u.Label}, {&s.Color, u.Color}, {&s.Icon, u.Icon},
	} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if u.Synonyms != nil {
		s.Synonyms = *u.Synonyms
	}
	if u.Position != nil {
		s.Position = *u.Position
	}
}
