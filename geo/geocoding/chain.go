package geocoding

import (
	"context"
	"errors"

	"github.com/maillage/maillage/geo"
)

// BatchGeocoder geocodes many addresses in one exchange. The answer has
// one list of candidates per query, in order.
type BatchGeocoder interface {
	GeocodeBatch(ctx context.Context, qs []geo.GeocodeQuery) ([][]geo.Candidate, error)
}

// Chain asks its geocoders in order and stops at the first whose answer
// Rule accepts. Otherwise the candidates of all are merged, best first.
type Chain struct {
	Geocoders []geo.Geocoder
	Rule      AcceptRule
}

// Geocode implements geo.Geocoder. When no answer is accepted and one of
// the geocoders failed, it returns a *geo.UnavailableError holding the
// candidates found (Partial), so that the caller may try again later.
func (c *Chain) Geocode(ctx context.Context, q geo.GeocodeQuery) ([]geo.Candidate, error) {
	var all []geo.Candidate
	var failed *geo.UnavailableError
	for _, g := range c.Geocoders {
		cands, err := g.Geocode(ctx, q)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			failed = mergeFailure(failed, err)
			continue
		}
		if _, state := c.Rule.Decide(cands); state == geo.GeocodeNone {
			return geo.SortCandidates(cands), nil
		}
		all = append(all, cands...)
	}
	all = geo.SortCandidates(all)
	if failed != nil {
		failed.Partial = all
		return nil, failed
	}
	return all, nil
}

// BatchResult is the answer to one query of a batch.
type BatchResult struct {
	Candidates []geo.Candidate
	Err        error // a *geo.UnavailableError: ask again later
}

// GeocodeBatch geocodes qs, using each geocoder's batch exchange when it
// has one, and asking the next geocoder only for the queries not yet
// accepted.
func (c *Chain) GeocodeBatch(ctx context.Context, qs []geo.GeocodeQuery) []BatchResult {
	out := make([]BatchResult, len(qs))
	accepted := make([]bool, len(qs))
	failures := make([]*geo.UnavailableError, len(qs))
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
		answers := make([][]geo.Candidate, len(todo))
		errs := make([]error, len(todo))
		if bg, ok := g.(BatchGeocoder); ok && len(todo) > 1 {
			sub := make([]geo.GeocodeQuery, len(todo))
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
			if _, state := c.Rule.Decide(answers[k]); state == geo.GeocodeNone {
				accepted[i] = true
				out[i].Candidates = geo.SortCandidates(answers[k])
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
		out[i].Candidates = geo.SortCandidates(out[i].Candidates)
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
func mergeFailure(f *geo.UnavailableError, err error) *geo.UnavailableError {
	u, ok := geo.Unavailable(err)
	if !ok {
		u = &geo.UnavailableError{Geocoder: "?", Err: err}
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
