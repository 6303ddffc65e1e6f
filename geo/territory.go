package geo

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Levels of territories, from the finest.
const (
	LevelCommune     = "commune"
	LevelEPCI        = "epci"
	LevelDepartement = "departement"
	LevelRegion      = "region"
)

// Levels lists every level of territory, from the finest.
var Levels = []string{LevelCommune, LevelEPCI, LevelDepartement, LevelRegion}

// LevelRank returns the position of level in Levels (0 for communes), or
// -1 for an unknown level.
func LevelRank(level string) int {
	for i, l := range Levels {
		if l == level {
			return i
		}
	}
	return -1
}

// The shapes of official codes: INSEE commune codes (Corsica is 2A/2B),
// SIREN numbers of EPCI, département and region codes.
var (
	communeCodeRe     = regexp.MustCompile(`^(\d{5}|2[AB]\d{3})$`)
	epciCodeRe        = regexp.MustCompile(`^\d{9}$`)
	departementCodeRe = regexp.MustCompile(`^(\d{2}|2[AB]|\d{3})$`)
	regionCodeRe      = regexp.MustCompile(`^\d{2,3}$`)
)

// ValidTerritoryCode reports whether code has the shape of a code of level.
func ValidTerritoryCode(level, code string) bool {
	switch level {
	case LevelCommune:
		return communeCodeRe.MatchString(code)
	case LevelEPCI:
		return epciCodeRe.MatchString(code)
	case LevelDepartement:
		return departementCodeRe.MatchString(code)
	case LevelRegion:
		return regionCodeRe.MatchString(code)
	}
	return false
}

// LevelsOfCode returns the levels whose codes can look like code, finest
// first: "29" is a département or a region, "29019" a commune.
func LevelsOfCode(code string) []string {
	var out []string
	for _, l := range Levels {
		if ValidTerritoryCode(l, code) {
			out = append(out, l)
		}
	}
	return out
}

// DepartementOfCommune returns the département of an INSEE commune code:
// its first two characters, three overseas (971 to 989).
func DepartementOfCommune(code string) string {
	if len(code) != 5 {
		return ""
	}
	if strings.HasPrefix(code, "97") || strings.HasPrefix(code, "98") {
		return code[:3]
	}
	return code[:2]
}

// Territory is a commune, an EPCI (intercommunalité), a département or a
// region. Population is nil when unknown. A commune names its EPCI,
// département and region; a département its region. Geometry is GeoJSON
// (a MultiPolygon) when known; Point is the commune's reference point.
type Territory struct {
	Level       string
	Code        string
	Name        string
	Population  *int
	EPCI        string
	Departement string
	Region      string
	Postcodes   []string
	Point       *Point
	Geometry    []byte // GeoJSON; nil when unknown or not asked for
	GeomSource  string // "file", "union" (built from communes) or ""
	BBox        *BBox
	UpdatedAt   time.Time
}

// TerritoryRef names a territory.
type TerritoryRef struct {
	Level string `json:"level"`
	Code  string `json:"code"`
	Name  string `json:"name"`
}

// TerritoryFilter selects territories.
type TerritoryFilter struct {
	Levels []string      // any of these levels; empty: all
	Within *TerritoryRef // inside this territory (its communes, or the EPCI and départements of its communes)
	Q      string        // words of the name, accents and case ignored
	Limit  int
}

// ActorPlace says in which commune an actor is counted, and its EPCI and
// département.
type ActorPlace struct {
	Commune     string `json:"commune"`
	EPCI        string `json:"epci,omitempty"`
	Departement string `json:"departement,omitempty"`
	Method      string `json:"method"` // "polygon", "citycode" or "postcode"
}

// RegionNames are the names of the regions (COG 2026), which the national
// commune table gives by code only.
var RegionNames = map[string]string{
	"01": "Guadeloupe", "02": "Martinique", "03": "Guyane", "04": "La Réunion", "06": "Mayotte",
	"11": "Île-de-France", "24": "Centre-Val de Loire", "27": "Bourgogne-Franche-Comté",
	"28": "Normandie", "32": "Hauts-de-France", "44": "Grand Est", "52": "Pays de la Loire",
	"53": "Bretagne", "75": "Nouvelle-Aquitaine", "76": "Occitanie",
	"84": "Auvergne-Rhône-Alpes", "93": "Provence-Alpes-Côte d'Azur", "94": "Corse",
}

// OverseasDepartementNames are the names of the départements and
// collectivities outside the metropolitan file of départements.
var OverseasDepartementNames = map[string]string{
	"971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion", "976": "Mayotte",
	"975": "Saint-Pierre-et-Miquelon", "977": "Saint-Barthélemy", "978": "Saint-Martin",
	"984": "Terres australes et antarctiques françaises", "986": "Wallis-et-Futuna",
	"987": "Polynésie française", "988": "Nouvelle-Calédonie", "989": "Île de Clipperton",
}

// TerritoryImportResult is what importing a file of territories did.
type TerritoryImportResult struct {
	Format    string         `json:"format"` // "geojson", "communes-csv" or "points-csv"
	Rows      int            `json:"rows"`
	Created   int            `json:"created"`
	Updated   int            `json:"updated"`
	Unchanged int            `json:"unchanged"`
	Failed    []ImportReason `json:"failed"`
	Warnings  []ImportReason `json:"warnings"`
	// Derived is the number of EPCI and départements whose polygon was
	// built from their communes.
	Derived int `json:"derived"`
	// ActorsPlaced is the number of actors whose commune changed.
	ActorsPlaced int  `json:"actors_placed"`
	DryRun       bool `json:"dry_run"`
	// CommunesWithoutPoint are communes with neither a polygon nor a point
	// after the import; CommunesWithoutPopulation those without a population.
	CommunesWithoutPoint      []string `json:"communes_without_point"`
	CommunesWithoutPopulation []string `json:"communes_without_population"`
}

// ImportReason is a note on one row of an imported file.
type ImportReason struct {
	Row    int    `json:"row"`
	Code   string `json:"code,omitempty"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// TerritoryRow is one row of a territory file, holding only what the file
// gives: an empty string, a nil slice or pointer is "not given" and keeps
// what the directory has.
type TerritoryRow struct {
	Row         int // line of a CSV file, feature number of a GeoJSON one
	Level       string
	Code        string
	Name        string
	Population  *int
	EPCI        string
	EPCIName    string
	Departement string
	Region      string
	Postcodes   []string
	Geometry    []byte // GeoJSON Polygon or MultiPolygon
	Point       *Point
}

// ParseTerritoryRefs reads a comma-separated list of territories, each a
// code ("29", "242900314") or level:code ("region:53"); a plain code is
// the finest territory with it, Level left "". Returns EInvalid naming
// field for an item that is not a territory code.
func ParseTerritoryRefs(s, field string) ([]TerritoryRef, error) {
	var refs []TerritoryRef
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		level, code, ok := strings.Cut(item, ":")
		if !ok {
			level, code = "", item
		}
		code = strings.ToUpper(strings.TrimSpace(code))
		if level != "" && !ValidTerritoryCode(level, code) || level == "" && len(LevelsOfCode(code)) == 0 {
			return nil, &Error{Code: EInvalid, Message: "invalid territory", Fields: map[string]string{field: fmt.Sprintf(
				"%q is not a territory code (INSEE commune code, EPCI SIREN, département or region code, or level:code)", item)}}
		}
		refs = append(refs, TerritoryRef{Level: level, Code: code})
	}
	return refs, nil
}
