package geo

import (
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is where an actor stands in the directory's life cycle. Only
// published actors are shown to the public.
type Status string

const (
	StatusDraft     Status = "draft"
	StatusPublished Status = "published"
	StatusArchived  Status = "archived"
)

// Statuses lists every status, in life-cycle order.
var Statuses = []Status{StatusDraft, StatusPublished, StatusArchived}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// How an actor's location was obtained.
const (
	LocationFromFile     = "file"
	LocationFromGeocoder = "geocoder"
	LocationManual       = "manual"
)

// Geocoding states of an actor. An actor without a point waits as
// GeocodePending until a geocoder gives it one.
const (
	GeocodeNone    = ""        // the location came with the data or by hand
	GeocodePending = "pending" // no point yet: to geocode
	GeocodeReview  = "review"  // a point was found but a person should check it
	GeocodeFailed  = "failed"  // the geocoders found nothing
)

// Kinds are the structure types of the insertion and adapted-work sector
// (data.inclusion typology codes).
var Kinds = map[string]string{
	"ACI":  "Atelier et chantier d'insertion",
	"AI":   "Association intermédiaire",
	"EI":   "Entreprise d'insertion",
	"ETTI": "Entreprise de travail temporaire d'insertion",
	"EITI": "Entreprise d'insertion par le travail indépendant",
	"GEIQ": "Groupement d'employeurs pour l'insertion et la qualification",
	"EA":   "Entreprise adaptée",
}

// KindCodes are the keys of Kinds in display order.
var KindCodes = []string{"ACI", "AI", "EI", "ETTI", "EITI", "GEIQ", "EA"}

// Point is a WGS 84 position.
type Point struct {
	Lon float64
	Lat float64
}

// Valid reports whether p lies within longitude and latitude ranges.
func (p Point) Valid() bool {
	return p.Lon >= -180 && p.Lon <= 180 && p.Lat >= -90 && p.Lat <= 90 // false for NaN
}

// Address is a postal address. Citycode is the INSEE commune code, which
// is not the postcode.
type Address struct {
	Street   string `json:"street"`
	Postcode string `json:"postcode"`
	City     string `json:"city"`
	Citycode string `json:"citycode"`
}

// Actor is a structure of the social and solidarity economy on the map.
type Actor struct {
	ID          int64
	Name        string
	Sectors     []string // sector slugs, at least one
	LegalForm   LegalForm
	Kind        string // key of Kinds, or empty
	NAF         string // NAF rév. 2 code, such as 88.99B
	SIRET       string
	Address     Address
	Location    *Point
	Geocoding   Geocoding
	Description string
	Website     string

	Email string
	Phone string
	// ContactPublic is the actor's consent to publish Email and Phone.
	ContactPublic bool

	Networks  []string
	Projects  []string
	Expertise []string

	Status     Status
	Source     string // where the record came from, for attribution
	ExternalID string // the record's identifier at Source

	CreatedAt time.Time
	UpdatedAt time.Time

	Place *ActorPlace // the commune it is counted in (geo/territory.go); set by the store
}

// Geocoding says how an actor's location was obtained.
type Geocoding struct {
	Source   string   // LocationFromFile, LocationFromGeocoder, LocationManual or empty
	Geocoder string   // name of the geocoder, when Source is LocationFromGeocoder
	Score    *float64 // the geocoder's score, 0..1
	Label    string   // the address the geocoder matched
	State    string   // GeocodeNone, GeocodePending, GeocodeReview or GeocodeFailed
}

// Length limits on actor fields.
const (
	MaxNameLen        = 300
	MaxDescriptionLen = 10000
	MaxShortLen       = 500
	MaxTags           = 50
	MaxTagLen         = 200
)

var (
	nafRe      = regexp.MustCompile(`^[0-9]{2}\.[0-9]{2}[A-Z]$`)
	postcodeRe = regexp.MustCompile(`^[0-9]{5}$`)
	citycodeRe = regexp.MustCompile(`^[0-9][0-9AB][0-9]{3}$`)
	phoneRe    = regexp.MustCompile(`^\+?[0-9 .()-]{6,25}$`)
)

// NormalizeNAF returns code in the NAF rév. 2 form "88.99B", accepting
// "8899B" and lower case. It returns the trimmed input unchanged when it
// cannot be read as a NAF code.
func NormalizeNAF(code string) string {
	c := strings.ToUpper(strings.TrimSpace(code))
	if len(c) == 5 && !strings.Contains(c, ".") {
		c = c[:2] + "." + c[2:]
	}
	return c
}

// NormalizeSIRET removes the spaces and dots people put in SIRETs.
func NormalizeSIRET(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' || r == '\u00a0' || r == '-' {
			return -1
		}
		return r
	}, s)
}

// Normalize trims the actor's text fields and puts codes in canonical form.
func (a *Actor) Normalize() {
	for _, p := range []*string{&a.Name, &a.Kind, &a.Address.Street, &a.Address.Postcode,
		&a.Address.City, &a.Address.Citycode, &a.Description, &a.Website, &a.Email,
		&a.Phone, &a.Source, &a.ExternalID} {
		*p = strings.TrimSpace(*p)
	}
	a.Kind = strings.ToUpper(a.Kind)
	a.SIRET = NormalizeSIRET(a.SIRET)
	if a.NAF != "" {
		a.NAF = NormalizeNAF(a.NAF)
	}
	if a.Website != "" && !strings.Contains(a.Website, "://") {
		a.Website = "https://" + a.Website
	}
	a.Networks = cleanTags(a.Networks)
	a.Projects = cleanTags(a.Projects)
	a.Expertise = cleanTags(a.Expertise)
	a.Sectors = cleanTags(a.Sectors)
	if a.Status == "" {
		a.Status = StatusDraft
	}
}

func cleanTags(tags []string) []string {
	out := tags[:0:0]
	seen := make(map[string]bool)
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

// Validate checks the actor's fields and returns an EInvalid *Error naming
// each field at fault. Sector slugs are checked against the store, not here.
func (a *Actor) Validate() error {
	return a.validate(true)
}

// ValidateImported is Validate for records that come from elsewhere (a
// file, the directory itself): a 14-digit SIRET whose checksum fails is
// kept as given, since official lists hold some, and is shown as
// unverified (see SIRETValid) rather than losing the record.
func (a *Actor) ValidateImported() error {
	return a.validate(false)
}

// SIRETValid reports whether the actor's SIRET passes its checksum.
func (a *Actor) SIRETValid() bool {
	return a.SIRET == "" || ValidSIRET(a.SIRET)
}

var siretDigitsRe = regexp.MustCompile(`^[0-9]{14}$`)

func (a *Actor) validate(strictSIRET bool) error {
	f := FieldErrors{}
	switch n := utf8.RuneCountInString(a.Name); {
	case n == 0:
		f.Add("name", "required")
	case n > MaxNameLen:
		f.Add("name", "too long")
	}
	if len(a.Sectors) == 0 {
		f.Add("sectors", "at least one sector is required")
	}
	switch {
	case a.SIRET == "" || ValidSIRET(a.SIRET):
	case !siretDigitsRe.MatchString(a.SIRET):
		f.Add("siret", "not a SIRET: 14 digits")
	case strictSIRET:
		f.Add("siret", "not a valid SIRET: the checksum fails")
	}
	if a.Kind != "" {
		if _, ok := Kinds[a.Kind]; !ok {
			f.Add("kind", "unknown structure type (ACI, AI, EI, ETTI, EITI, GEIQ or EA)")
		}
	}
	if a.NAF != "" && !nafRe.MatchString(a.NAF) {
		f.Add("naf", "not a NAF rév. 2 code such as 88.99B")
	}
	if a.LegalForm.Code != "" && !legalCodeRe.MatchString(a.LegalForm.Code) {
		f.Add("legal_form", "not an INSEE legal-form code (4 digits)")
	}
	if a.Address.Postcode != "" && !postcodeRe.MatchString(a.Address.Postcode) {
		f.Add("postcode", "not a 5-digit postcode")
	}
	if a.Address.Citycode != "" && !citycodeRe.MatchString(a.Address.Citycode) {
		f.Add("citycode", "not an INSEE commune code")
	}
	if a.Location != nil && !a.Location.Valid() {
		f.Add("location", "coordinates out of range")
	}
	if a.Website != "" {
		u, err := url.Parse(a.Website)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f.Add("website", "not an http or https address")
		}
	}
	if a.Email != "" {
		if addr, err := mail.ParseAddress(a.Email); err != nil || addr.Address != a.Email {
			f.Add("email", "not an email address")
		}
	}
	if a.Phone != "" && !phoneRe.MatchString(a.Phone) {
		f.Add("phone", "not a phone number")
	}
	if utf8.RuneCountInString(a.Description) > MaxDescriptionLen {
		f.Add("description", "too long")
	}
	for field, v := range map[string]string{"street": a.Address.Street, "city": a.Address.City,
		"source": a.Source, "external_id": a.ExternalID, "website": a.Website} {
		if utf8.RuneCountInString(v) > MaxShortLen {
			f.Add(field, "too long")
		}
	}
	for field, tags := range map[string][]string{"networks": a.Networks, "projects": a.Projects,
		"expertise": a.Expertise, "sectors": a.Sectors} {
		if len(tags) > MaxTags {
			f.Add(field, "too many values")
		}
		for _, tag := range tags {
			if utf8.RuneCountInString(tag) > MaxTagLen {
				f.Add(field, "a value is too long (at most "+strconv.Itoa(MaxTagLen)+" characters)")
			}
		}
	}
	if !a.Status.Valid() {
		f.Add("status", "must be draft, published or archived")
	}
	return f.Err()
}

// ActorFilter narrows a search for actors. Zero values do not filter.
type ActorFilter struct {
	Sectors  []string // any of these sector slugs
	Kinds    []string // any of these structure types ("" for none)
	Families []string // any of these ESS legal families ("" for none)
	Q        string   // accent- and case-insensitive text search
	BBox     *BBox
	Statuses []Status
	Located  bool   // only actors with a point
	Near     *Point // when set, the list is sorted by distance from it (actors without a point last)
	Limit    int
	Offset   int
}

// LegalFamilies are the ESS families of LegalFamily, in display order.
var LegalFamilies = []string{FamilyAssociation, FamilyCooperative, FamilyMutuelle, FamilyFondation, FamilyCommercial}

// ActorFacets counts the actors of a selection by structure type and by
// legal family ("" for those without one). Each count applies every
// filter of the selection but its own, so that it tells how many actors
// ticking that value would add or keep.
type ActorFacets struct {
	Total    int            // actors matching every filter
	Kinds    map[string]int // by Kind, without the kind filter
	Families map[string]int // by legal family, without the family filter
}

// BBox is a longitude/latitude rectangle.
type BBox struct {
	MinLon, MinLat, MaxLon, MaxLat float64
}

// Validate returns an EInvalid error naming field when b is not a box:
// coordinates out of range or min not below max.
func (b BBox) Validate(field string) error {
	switch {
	case !(b.MinLon >= -180 && b.MaxLon <= 180 && b.MinLat >= -90 && b.MaxLat <= 90): // NaN included
		return &Error{Code: EInvalid, Message: "invalid bbox", Fields: map[string]string{field: "coordinates out of range (minLon,minLat,maxLon,maxLat in WGS 84)"}}
	case b.MinLon >= b.MaxLon || b.MinLat >= b.MaxLat:
		return &Error{Code: EInvalid, Message: "invalid bbox", Fields: map[string]string{field: "min must be below max (minLon,minLat,maxLon,maxLat)"}}
	}
	return nil
}

// ActorUpdate is a partial change to an actor: nil fields stay as they are.
type ActorUpdate struct {
	Name          *string
	Sectors       *[]string
	LegalForm     *LegalForm
	Kind          *string
	NAF           *string
	SIRET         *string
	Street        *string
	Postcode      *string
	City          *string
	Citycode      *string
	Location      *Point // set by hand: the location becomes manual
	ClearLocation bool   // remove the point: the actor waits for geocoding
	Description   *string
	Website       *string
	Email         *string
	Phone         *string
	ContactPublic *bool
	Networks      *[]string
	Projects      *[]string
	Expertise     *[]string
	Status        *Status
	Source        *string
	ExternalID    *string
}

// Apply writes the set fields of u into a.
func (u ActorUpdate) Apply(a *Actor) {
	setString := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	setTags := func(dst *[]string, src *[]string) {
		if src != nil {
			*dst = *src
		}
	}
	setString(&a.Name, u.Name)
	setTags(&a.Sectors, u.Sectors)
	if u.LegalForm != nil {
		a.LegalForm = *u.LegalForm
	}
	setString(&a.Kind, u.Kind)
	setString(&a.NAF, u.NAF)
	setString(&a.SIRET, u.SIRET)
	setString(&a.Address.Street, u.Street)
	setString(&a.Address.Postcode, u.Postcode)
	setString(&a.Address.City, u.City)
	setString(&a.Address.Citycode, u.Citycode)
	switch {
	case u.Location != nil:
		p := *u.Location
		a.Location = &p
		a.Geocoding = Geocoding{Source: LocationManual}
	case u.ClearLocation:
		a.Location = nil
		a.Geocoding = Geocoding{State: GeocodePending}
	}
	setString(&a.Description, u.Description)
	setString(&a.Website, u.Website)
	setString(&a.Email, u.Email)
	setString(&a.Phone, u.Phone)
	if u.ContactPublic != nil {
		a.ContactPublic = *u.ContactPublic
	}
	setTags(&a.Networks, u.Networks)
	setTags(&a.Projects, u.Projects)
	setTags(&a.Expertise, u.Expertise)
	if u.Status != nil {
		a.Status = *u.Status
	}
	setString(&a.Source, u.Source)
	setString(&a.ExternalID, u.ExternalID)
}
