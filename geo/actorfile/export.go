package actorfile

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/maillage/maillage/geo"
)

// Point is a GeoJSON Point.
type Point struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

// NewPoint returns p as a GeoJSON Point, or nil when p is nil.
func NewPoint(p *geo.Point) *Point {
	if p == nil {
		return nil
	}
	return &Point{Type: "Point", Coordinates: [2]float64{p.Lon, p.Lat}}
}

// GeocodingJSON is where an actor's point comes from, in JSON.
type GeocodingJSON struct {
	Source   string   `json:"source"`
	Geocoder string   `json:"geocoder,omitempty"`
	Score    *float64 `json:"score,omitempty"`
	Label    string   `json:"label,omitempty"`
	State    string   `json:"state,omitempty"`
}

// JSON is an actor in JSON: as the API shows it, and as GeoJSON exports
// carry it in each feature's properties.
type JSON struct {
	ID            int64         `json:"id"`
	Name          string        `json:"name"`
	Sectors       []string      `json:"sectors"`
	LegalForm     geo.LegalForm `json:"legal_form"`
	Kind          string        `json:"kind"`
	NAF           string        `json:"naf"`
	SIRET         string        `json:"siret"`
	SIRETValid    bool          `json:"siret_valid"`
	Address       geo.Address   `json:"address"`
	Location      *Point        `json:"location"`
	Geocoding     GeocodingJSON `json:"geocoding"`
	Description   string        `json:"description"`
	Website       string        `json:"website"`
	Email         string        `json:"email,omitempty"`
	Phone         string        `json:"phone,omitempty"`
	ContactPublic bool          `json:"contact_public"`
	Networks      []string      `json:"networks"`
	Projects      []string      `json:"projects"`
	Expertise     []string      `json:"expertise"`
	Status        geo.Status    `json:"status"`
	Source        string        `json:"source"`
	ExternalID    string        `json:"external_id"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`

	Territories *geo.ActorPlace `json:"territories"`
}

// NewJSON returns a in JSON. Contacts appear when withContacts or when
// the actor consented to their publication.
func NewJSON(a *geo.Actor, withContacts bool) JSON {
	j := JSON{
		ID: a.ID, Name: a.Name, Sectors: nonNil(a.Sectors), LegalForm: a.LegalForm, Kind: a.Kind,
		NAF: a.NAF, SIRET: a.SIRET, SIRETValid: a.SIRETValid(), Address: a.Address, Location: NewPoint(a.Location),
		Geocoding: GeocodingJSON{Source: a.Geocoding.Source, Geocoder: a.Geocoding.Geocoder,
			Score: a.Geocoding.Score, Label: a.Geocoding.Label, State: a.Geocoding.State},
		Description: a.Description, Website: a.Website, ContactPublic: a.ContactPublic,
		Networks: nonNil(a.Networks), Projects: nonNil(a.Projects), Expertise: nonNil(a.Expertise),
		Status: a.Status, Source: a.Source, ExternalID: a.ExternalID,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		Territories: a.Place,
	}
	if withContacts || a.ContactPublic {
		j.Email, j.Phone = a.Email, a.Phone
	}
	return j
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Feature is an exported actor in GeoJSON.
type Feature struct {
	Type       string            `json:"type"`
	ID         int64             `json:"id"`
	Geometry   *Point            `json:"geometry"`
	Properties FeatureProperties `json:"properties"`
}

// FeatureProperties are every public field of the actor and the
// attribution its source requires.
type FeatureProperties struct {
	JSON
	Attribution string `json:"attribution,omitempty"`
}

// ExportFeature returns a as a GeoJSON Feature with its public fields, for
// exports; an actor without a point has a null geometry.
func ExportFeature(a *geo.Actor, attribution string) Feature {
	return Feature{Type: "Feature", ID: a.ID, Geometry: NewPoint(a.Location),
		Properties: FeatureProperties{NewJSON(a, false), attribution}}
}

// JoinAttributions returns the distinct attributions of a map from source
// to attribution, sorted, as one sentence.
func JoinAttributions(bySource map[string]string) string {
	list := make([]string, 0, len(bySource))
	for _, a := range bySource {
		if !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	slices.Sort(list)
	return strings.Join(list, " ; ")
}

// CSVHeader is the header of actor CSV exports, which import reads back.
var CSVHeader = []string{"id", "name", "sectors", "kind", "legal_form_code", "legal_form",
	"ess_family", "naf", "siret", "address", "postcode", "city", "citycode", "longitude", "latitude",
	"location_source", "website", "email", "phone", "description", "networks", "projects",
	"expertise", "status", "source", "attribution", "created_at", "updated_at"}

// CSVRecord is a in the columns of CSVHeader. Contacts appear when
// withContacts or when the actor consented to their publication.
func CSVRecord(a *geo.Actor, attribution string, withContacts bool) []string {
	lon, lat := "", ""
	if a.Location != nil {
		lon = strconv.FormatFloat(a.Location.Lon, 'f', -1, 64)
		lat = strconv.FormatFloat(a.Location.Lat, 'f', -1, 64)
	}
	email, phone := "", ""
	if withContacts || a.ContactPublic {
		email, phone = a.Email, a.Phone
	}
	return []string{strconv.FormatInt(a.ID, 10), a.Name, strings.Join(a.Sectors, "|"), a.Kind,
		a.LegalForm.Code, a.LegalForm.Label, a.LegalForm.Family, a.NAF, a.SIRET, a.Address.Street,
		a.Address.Postcode, a.Address.City, a.Address.Citycode, lon, lat, a.Geocoding.Source,
		a.Website, email, phone, a.Description, strings.Join(a.Networks, "|"),
		strings.Join(a.Projects, "|"), strings.Join(a.Expertise, "|"), string(a.Status), a.Source,
		attribution, a.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"),
		a.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z")}
}

// SpreadsheetSafe returns record with every cell a spreadsheet would read
// as a formula neutralised, as OWASP recommends for CSV injection: a cell
// starting with =, +, -, @, a tab or a carriage return gets a leading
// quote. Plain numbers such as a negative longitude are left alone, since
// no spreadsheet reads them as anything but numbers. record is changed in
// place and returned.
func SpreadsheetSafe(record []string) []string {
	for i, cell := range record {
		record[i] = SafeCell(cell)
	}
	return record
}

// SafeCell is one cell of SpreadsheetSafe.
func SafeCell(cell string) string {
	if cell == "" || !strings.ContainsRune("=+-@\t\r", rune(cell[0])) || isPlainNumber(cell) {
		return cell
	}
	return "'" + cell
}

// UnsafeCell undoes SafeCell: a cell that SafeCell would have made from
// the cell without its leading quote loses the quote.
func UnsafeCell(cell string) string {
	if rest, ok := strings.CutPrefix(cell, "'"); ok && SafeCell(rest) == cell {
		return rest
	}
	return cell
}

// isPlainNumber reports whether s is a sign, digits and at most one
// decimal point, nothing else.
func isPlainNumber(s string) bool {
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	digits, points := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.':
			points++
		default:
			return false
		}
	}
	return digits > 0 && points <= 1
}
