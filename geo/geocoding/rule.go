package geocoding

import "github.com/maillage/maillage/geo"

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
// geo.GeocodeNone when accepted, geo.GeocodeReview when a person should
// check it, geo.GeocodeFailed (and nil) when there is no candidate.
func (r AcceptRule) Decide(cands []geo.Candidate) (*geo.Candidate, string) {
	if len(cands) == 0 {
		return nil, geo.GeocodeFailed
	}
	sorted := geo.SortCandidates(cands)
	best := sorted[0]
	if best.Score < r.MinScore {
		return &best, geo.GeocodeReview
	}
	if len(sorted) > 1 {
		next := sorted[1]
		if best.Score-next.Score < r.Margin && geo.Distance(best.Point, next.Point) > r.Near {
			return &best, geo.GeocodeReview
		}
	}
	return &best, geo.GeocodeNone
}
