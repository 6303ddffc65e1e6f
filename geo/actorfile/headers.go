package actorfile

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/maillage/maillage/geo"
)

// Fields returns the fields an import reads, the names --map accepts.
// "brand" is the name the public knows (enseigne) and wins over "name" when
// a row has both; "coordinates" is one "latitude, longitude" cell; "ignore"
// drops a column the headers would otherwise map.
func Fields() []string { return slices.Clone(fields) }

var fields = []string{
	"name", "brand", "address", "postcode", "city", "citycode", "siret", "sector", "kind",
	"legal_form", "naf", "latitude", "longitude", "coordinates", "website", "email", "phone",
	"description", "external_id", "source", ignoreField,
}

const ignoreField = "ignore"

// fieldAliases are the headers (and GeoJSON property names) each field is
// recognized by, best first: when several columns of a file map to the same
// field, the first non-empty value in this order is used. They are compared
// by headerKey.
var fieldAliases = map[string][]string{
	"name": {"name", "nom", "nom de la structure", "nom structure", "raison sociale", "denomination",
		"denomination sociale", "nom de l'organisme", "nom de l'organisation", "organisme", "organisation",
		"structure", "title", "titre"},
	"brand":    {"brand", "enseigne", "nom commercial", "nom d'usage"},
	"address":  {"address", "adresse", "adresse postale", "street", "rue", "voie", "numero et voie", "adresse ligne 1", "adresse 1", "streetaddress", "adresse complete"},
	"postcode": {"postcode", "code postal", "cp", "postal code", "postalcode", "post code", "zip", "zipcode", "zip code"},
	"city":     {"city", "commune", "ville", "localite", "nom commune", "nom de la commune", "addresslocality"},
	"citycode": {"citycode", "code insee", "code commune", "insee", "code insee commune", "code commune insee", "cog"},
	"siret":    {"siret", "n siret", "no siret", "numero siret", "numero de siret", "siret etablissement"},
	"sector": {"sector", "sectors", "secteur", "secteurs", "secteur d'activite", "secteurs d'activite",
		"categorie", "categories", "thematique", "thematiques", "theme", "themes"},
	"kind":       {"kind", "type", "type de structure", "type structure", "typologie", "typologie de structure"},
	"legal_form": {"legal form code", "code forme juridique", "code categorie juridique", "legal form", "forme juridique", "statut juridique", "categorie juridique", "nature juridique", "statut"},
	"naf":        {"naf", "code naf", "ape", "code ape", "naf ape", "code naf ape", "activite principale", "activiteprincipaleetablissement"},
	"latitude":   {"latitude", "lat", "y"},
	"longitude":  {"longitude", "lon", "lng", "long", "x"},
	"coordinates": {"coordinates", "coordonnees", "coordonnees gps", "gps", "geo point 2d", "geopoint",
		"geo point", "lat lon", "latlon", "lat long"},
	"website": {"website", "site web", "site internet", "site", "web", "internet", "url"},
	"email":   {"email", "e mail", "courriel", "mail", "adresse mail", "adresse email", "adresse e mail", "adresse electronique", "mel"},
	"phone": {"phone", "telephone", "tel", "numero de telephone", "tel fixe", "telephone fixe",
		"telephone portable", "portable", "mobile"},
	"description": {"description", "presentation", "activite", "activites", "descriptif", "objet", "resume"},
	"external_id": {"external id", "id", "identifiant", "ref", "reference"},
	"source":      {"source"},
}

// column is the field a header maps to and how good a name for it the
// header is (lower is better).
type column struct {
	field string
	rank  int
}

var aliasIndex = func() map[string]column {
	idx := make(map[string]column)
	for field, aliases := range fieldAliases {
		for i, a := range aliases {
			k := headerKey(a)
			if c, dup := idx[k]; dup {
				panic(fmt.Sprintf("actorfile: header %q is an alias of both %s and %s", a, c.field, field))
			}
			idx[k] = column{field: field, rank: i + 1}
		}
	}
	return idx
}()

var parenRe = regexp.MustCompile(`\([^()]*\)`)

// headerKey is the form headers are compared in: folded (geo.Fold), with
// anything but letters and digits as spaces, so that "Code_Postal",
// "code-postal" and "CODE POSTAL" are the same header.
func headerKey(h string) string {
	h = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return ' '
	}, geo.Fold(strings.TrimPrefix(h, "\ufeff")))
	return strings.Join(strings.Fields(h), " ")
}

// headerMatcher maps a file's headers to fields: the --map entries first,
// then the aliases, then the aliases with the header's parenthesized part
// removed ("Latitude (WGS 84)").
type headerMatcher struct {
	explicit map[string]string // headerKey -> field
	names    map[string]string // headerKey -> column as given in --map
	used     map[string]bool   // explicit keys seen in the file
}

// newHeaderMatcher returns a matcher with the --map entries m (column ->
// field). It returns an EInvalid *Error on field "map" when a field name is
// unknown or a column is given twice.
func newHeaderMatcher(m map[string]string) (*headerMatcher, error) {
	h := &headerMatcher{explicit: make(map[string]string), names: make(map[string]string), used: make(map[string]bool)}
	cols := make([]string, 0, len(m))
	for c := range m {
		cols = append(cols, c)
	}
	slices.Sort(cols)
	for _, c := range cols {
		f := strings.TrimSpace(m[c])
		if !slices.Contains(fields, f) {
			return nil, mapError("unknown field %q for column %q (fields: %s)", f, c, strings.Join(fields, ", "))
		}
		k := headerKey(c)
		if k == "" {
			return nil, mapError("empty column name for field %q", f)
		}
		if prev, dup := h.names[k]; dup {
			return nil, mapError("column %q is given twice (%q)", c, prev)
		}
		h.explicit[k], h.names[k] = f, c
	}
	return h, nil
}

// match returns the column header maps to; its field is "" when the header
// maps to nothing or is ignored.
func (h *headerMatcher) match(header string) column {
	k := headerKey(header)
	if f, ok := h.explicit[k]; ok {
		h.used[k] = true
		if f == ignoreField {
			return column{}
		}
		return column{field: f}
	}
	if c, ok := aliasIndex[k]; ok {
		return c
	}
	if c, ok := aliasIndex[headerKey(parenRe.ReplaceAllString(header, " "))]; ok {
		return c
	}
	return column{}
}

// unused returns an EInvalid *Error on field "map" naming the first --map
// column the file does not have, or nil.
func (h *headerMatcher) unused() error {
	var missing []string
	for k, c := range h.names {
		if !h.used[k] {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return mapError("column %q is not in the file", missing[0])
}

// ParseMap reads --map options, each "COLUMN=field", into a map from column
// header to field name (see Fields). The last "=" separates the two. It
// returns an EInvalid *Error on field "map" when an option has no "=", an
// empty column, an unknown field, or repeats a column.
func ParseMap(specs []string) (map[string]string, error) {
	m := make(map[string]string, len(specs))
	for _, s := range specs {
		i := strings.LastIndex(s, "=")
		if i < 0 {
			return nil, mapError("%q is not COLUMN=field", s)
		}
		col, field := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
		if col == "" {
			return nil, mapError("%q has no column name", s)
		}
		for c := range m {
			if headerKey(c) == headerKey(col) {
				return nil, mapError("column %q is given twice", col)
			}
		}
		m[col] = field
	}
	if _, err := newHeaderMatcher(m); err != nil {
		return nil, err
	}
	return m, nil
}

func mapError(format string, args ...any) error {
	return &geo.Error{Code: geo.EInvalid, Message: "invalid column mapping",
		Fields: map[string]string{"map": fmt.Sprintf(format, args...)}}
}
