package geo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Candidate types, from the most to the least precise.
const (
	TypeHousenumber  = "housenumber"
	TypeStreet       = "street"
	TypeLocality     = "locality"
	TypeMunicipality = "municipality"
)

// GeocodeQuery is an address to find. Q is the address as people write
// it; Postcode and Citycode (INSEE), when set, narrow the search; Type
// asks for one candidate type only.
type GeocodeQuery struct {
	Q            string
	Postcode     string
	Citycode     string
	Type         string
	Limit        int // 0: the geocoder's default (5)
	Autocomplete bool
}

// Key is the normalised form of q, the same for every way of writing one
// query that a geocoder answers alike: case, accents, spacing and common
// abbreviations do not change it.
func (q GeocodeQuery) Key() string {
	return strings.Join([]string{FoldAddress(q.Q), q.Postcode, q.Citycode, q.Type,
		strconv.Itoa(q.limit()), strconv.FormatBool(q.Autocomplete)}, "|")
}

func (q GeocodeQuery) limit() int {
	if q.Limit <= 0 {
		return 5
	}
	return q.Limit
}

// QueryOf is the query that geocodes a's address, or false when a has no
// address to geocode.
func QueryOf(a Address) (GeocodeQuery, bool) {
	var parts []string
	for _, p := range []string{a.Street, a.Postcode, a.City} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	if a.Street == "" && a.City == "" && a.Postcode == "" {
		return GeocodeQuery{}, false
	}
	return GeocodeQuery{Q: strings.Join(parts, " "), Citycode: a.Citycode}, true
}

// Candidate is one answer of a geocoder.
type Candidate struct {
	Point    Point
	Label    string
	Score    float64 // 0..1, the geocoder's confidence
	Type     string  // TypeHousenumber, TypeStreet, TypeLocality or TypeMunicipality
	Postcode string
	Citycode string // INSEE commune code
	City     string
	Geocoder string // the geocoder that found it
}

// Geocoder finds the candidates of an address, best first. A geocoder
// that cannot answer (unreachable, refusing, overloaded) returns an
// *UnavailableError; an address it does not know is no candidate and no
// error.
type Geocoder interface {
	Geocode(ctx context.Context, q GeocodeQuery) ([]Candidate, error)
}

// UnavailableError is a geocoder that could not answer. RetryAfter, when
// not zero, is how long the service asked to wait. Partial holds what
// other geocoders of a chain found meanwhile.
type UnavailableError struct {
	Geocoder   string
	RetryAfter time.Duration
	Err        error
	Partial    []Candidate
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("geocoder %s unavailable: %v", e.Geocoder, e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Unavailable returns err's *UnavailableError, if it is or wraps one.
func Unavailable(err error) (*UnavailableError, bool) {
	var u *UnavailableError
	ok := errors.As(err, &u)
	return u, ok
}

// SortCandidates returns a copy of cands, best score first; equal scores
// keep their order.
func SortCandidates(cands []Candidate) []Candidate {
	s := slices.Clone(cands)
	slices.SortStableFunc(s, func(a, b Candidate) int { return cmp.Compare(b.Score, a.Score) })
	return s
}

// Distance is the great-circle distance between a and b, in metres.
func Distance(a, b Point) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

// PendingActor is an actor waiting for geocoding.
type PendingActor struct {
	ID      int64
	Address Address
}

// GeocodeResult is what geocoding one actor came to: its best candidate
// (nil when none), the state it leads to (GeocodeNone, GeocodeReview or
// GeocodeFailed; see geocoding.AcceptRule) and every candidate, kept for
// review.
type GeocodeResult struct {
	Best       *Candidate
	State      string
	Candidates []Candidate
}

// Review is an actor whose point a person should check, with the
// candidates the geocoders found.
type Review struct {
	Actor      *Actor
	Candidates []Candidate
}
