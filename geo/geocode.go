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

// BatchGeocoder geocodes many addresses in one exchange. The answer has
// one list of candidates per query, in order.
type BatchGeocoder interface {
	GeocodeBatch(ctx context.Context, qs []GeocodeQuery) ([][]Candidate, error)
}

// ReverseGeocoder finds the addresses nearest a point.
type ReverseGeocoder interface {
	Reverse(ctx context.Context, p Point, limit int) ([]Candidate, error)
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

// AcceptRule says when a geocoder's best candidate is taken without a
// person looking at it.
type AcceptRule struct {
	MinScore float64 // the best candidate scores at least this (default 0.8)
	Margin   float64 // and at least this above the next one (default 0.1)...
	Near     float64 // ...unless the next one is within Near metres (default 30)
}

// DefaultAcceptRule is the rule used when none is configured.
var DefaultAcceptRule = AcceptRule{MinScore: 0.8, Margin: 0.1, Near: 30}

// Decide returns the best of cands and the geocoding state it leads to:
// GeocodeNone when accepted, GeocodeReview when a person should check it,
// GeocodeFailed (and nil) when there is no candidate.
func (r AcceptRule) Decide(cands []Candidate) (*Candidate, string) {
	if len(cands) == 0 {
		return nil, GeocodeFailed
	}
	sorted := SortCandidates(cands)
	best := sorted[0]
	if best.Score < r.MinScore {
		return &best, GeocodeReview
	}
	if len(sorted) > 1 {
		next := sorted[1]
		if best.Score-next.Score < r.Margin && Distance(best.Point, next.Point) > r.Near {
			return &best, GeocodeReview
		}
	}
	return &best, GeocodeNone
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

// Chain asks its geocoders in order and stops at the first whose answer
// Rule accepts. Otherwise the candidates of all are merged, best first.
type Chain struct {
	Geocoders []Geocoder
	Rule      AcceptRule
}

// Geocode implements Geocoder. When no answer is accepted and one of the
// geocoders failed, it returns an *UnavailableError holding the
// candidates found (Partial), so that the caller may try again later.
func (c *Chain) Geocode(ctx context.Context, q GeocodeQuery) ([]Candidate, error) {
	var all []Candidate
	var failed *UnavailableError
	for _, g := range c.Geocoders {
		cands, err := g.Geocode(ctx, q)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			failed = mergeFailure(failed, err)
			continue
		}
		if _, state := c.Rule.Decide(cands); state == GeocodeNone {
			return SortCandidates(cands), nil
		}
		all = append(all, cands...)
	}
	all = SortCandidates(all)
	if failed != nil {
		failed.Partial = all
		return nil, failed
	}
	return all, nil
}

// BatchResult is the answer to one query of a batch.
type BatchResult struct {
	Candidates []Candidate
	Err        error // an *UnavailableError: ask again later
}

// GeocodeBatch geocodes qs, using each geocoder's batch exchange when it
// has one, and asking the next geocoder only for the queries not yet
// accepted.
func (c *Chain) GeocodeBatch(ctx context.Context, qs []GeocodeQuery) []BatchResult {
	out := make([]BatchResult, len(qs))
	accepted := make([]bool, len(qs))
	failures := make([]*UnavailableError, len(qs))
	for _, g := range c.Geocoders {
		var todo []int
		for i := range qs {
			if !accepted[i] {
				todo = append(todo, i)
			}
		}
		if len(todo) == 0 || ctx.Err() != nil {
			break
		}
		answers := make([][]Candidate, len(todo))
		errs := make([]error, len(todo))
		if bg, ok := g.(BatchGeocoder); ok && len(todo) > 1 {
			sub := make([]GeocodeQuery, len(todo))
			for k, i := range todo {
				sub[k] = qs[i]
			}
			res, err := bg.GeocodeBatch(ctx, sub)
			for k := range todo {
				if err != nil {
					errs[k] = err
				} else {
					answers[k] = res[k]
				}
			}
		} else {
			for k, i := range todo {
				answers[k], errs[k] = g.Geocode(ctx, qs[i])
			}
		}
		for k, i := range todo {
			if errs[k] != nil {
				failures[i] = mergeFailure(failures[i], errs[k])
				continue
			}
			if _, state := c.Rule.Decide(answers[k]); state == GeocodeNone {
				accepted[i] = true
				out[i].Candidates = SortCandidates(answers[k])
				failures[i] = nil
				continue
			}
			out[i].Candidates = append(out[i].Candidates, answers[k]...)
		}
	}
	for i := range out {
		if accepted[i] {
			continue
		}
		out[i].Candidates = SortCandidates(out[i].Candidates)
		if ctx.Err() != nil {
			out[i].Err = ctx.Err()
		} else if failures[i] != nil {
			failures[i].Partial = out[i].Candidates
			out[i].Err = failures[i]
		}
	}
	return out
}

// mergeFailure folds err into the failure of a chain, keeping the longest
// wait asked for.
func mergeFailure(f *UnavailableError, err error) *UnavailableError {
	u, ok := Unavailable(err)
	if !ok {
		u = &UnavailableError{Geocoder: "?", Err: err}
	}
	if f == nil {
		c := *u
		return &c
	}
	if u.RetryAfter > f.RetryAfter {
		f.RetryAfter = u.RetryAfter
	}
	f.Err = errors.Join(f.Err, u.Err)
	f.Geocoder += "," + u.Geocoder
	return f
}

// GeocodeCache keeps geocoders' answers by normalised query.
type GeocodeCache interface {
	CachedCandidates(ctx context.Context, geocoder string, keys []string) (map[string][]Candidate, error)
	CacheCandidates(ctx context.Context, geocoder string, answers map[string][]Candidate) error
}

// Cached asks Geocoder only for queries not in Cache, and keeps its
// answers there: the same query is never asked twice. Failures are not
// kept. A cache that fails is skipped, not fatal: the geocoder answers.
type Cached struct {
	Name     string
	Geocoder Geocoder
	Cache    GeocodeCache
}

// Geocode implements Geocoder.
func (c *Cached) Geocode(ctx context.Context, q GeocodeQuery) ([]Candidate, error) {
	key := q.Key()
	if hit, err := c.Cache.CachedCandidates(ctx, c.Name, []string{key}); err == nil {
		if cands, ok := hit[key]; ok {
			return cands, nil
		}
	}
	cands, err := c.Geocoder.Geocode(ctx, q)
	if err != nil {
		return nil, err
	}
	c.Cache.CacheCandidates(ctx, c.Name, map[string][]Candidate{key: cands})
	return cands, nil
}

// GeocodeBatch implements BatchGeocoder, sending only the queries not in
// the cache, in one batch when the geocoder has batches.
func (c *Cached) GeocodeBatch(ctx context.Context, qs []GeocodeQuery) ([][]Candidate, error) {
	keys := make([]string, len(qs))
	for i, q := range qs {
		keys[i] = q.Key()
	}
	hit, err := c.Cache.CachedCandidates(ctx, c.Name, keys)
	if err != nil {
		hit = nil
	}
	out := make([][]Candidate, len(qs))
	var miss []int
	for i, k := range keys {
		if cands, ok := hit[k]; ok {
			out[i] = cands
		} else {
			miss = append(miss, i)
		}
	}
	if len(miss) == 0 {
		return out, nil
	}
	fresh := make(map[string][]Candidate, len(miss))
	if bg, ok := c.Geocoder.(BatchGeocoder); ok && len(miss) > 1 {
		sub := make([]GeocodeQuery, len(miss))
		for k, i := range miss {
			sub[k] = qs[i]
		}
		res, err := bg.GeocodeBatch(ctx, sub)
		if err != nil {
			return nil, err
		}
		for k, i := range miss {
			out[i] = res[k]
			fresh[keys[i]] = nonNilCandidates(res[k])
		}
	} else {
		for _, i := range miss {
			cands, err := c.Geocoder.Geocode(ctx, qs[i])
			if err != nil {
				c.Cache.CacheCandidates(ctx, c.Name, fresh)
				return nil, err
			}
			out[i] = cands
			fresh[keys[i]] = nonNilCandidates(cands)
		}
	}
	c.Cache.CacheCandidates(ctx, c.Name, fresh)
	return out, nil
}

func nonNilCandidates(c []Candidate) []Candidate {
	if c == nil {
		return []Candidate{}
	}
	return c
}

// PendingActor is an actor waiting for geocoding.
type PendingActor struct {
	ID      int64
	Address Address
}

// GeocodeResult is what geocoding one actor came to: its best candidate
// (nil when none), the state it leads to (see AcceptRule.Decide) and
// every candidate, kept for review.
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
