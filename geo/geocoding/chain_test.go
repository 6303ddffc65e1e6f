package geocoding_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/geocoding"
)

func TestAcceptRule(t *testing.T) {
	here := geo.Point{Lon: 5.8336, Lat: 49.3222}
	far := geo.Point{Lon: 5.84, Lat: 49.33}
	near := geo.Point{Lon: 5.83361, Lat: 49.32221}
	r := geocoding.DefaultAcceptRule
	for _, tc := range []struct {
		name  string
		cands []geo.Candidate
		state string
	}{
		{"none", nil, geo.GeocodeFailed},
		{"one good", []geo.Candidate{{Point: here, Score: 0.9}}, geo.GeocodeNone},
		{"one weak", []geo.Candidate{{Point: here, Score: 0.79}}, geo.GeocodeReview},
		{"close second elsewhere", []geo.Candidate{{Point: here, Score: 0.9}, {Point: far, Score: 0.85}}, geo.GeocodeReview},
		{"close second at the same place", []geo.Candidate{{Point: here, Score: 0.9}, {Point: near, Score: 0.88}}, geo.GeocodeNone},
		{"clearly ahead", []geo.Candidate{{Point: far, Score: 0.5}, {Point: here, Score: 0.95}}, geo.GeocodeNone},
	} {
		best, state := r.Decide(tc.cands)
		if state != tc.state {
			t.Errorf("%s: state %q, want %q", tc.name, state, tc.state)
		}
		if len(tc.cands) > 0 && best.Score != geo.SortCandidates(tc.cands)[0].Score {
			t.Errorf("%s: best %+v", tc.name, best)
		}
	}
}

// fixed is a geocoder with canned answers, for the chain's logic.
type fixed struct {
	cands []geo.Candidate
	err   error
	calls int
}

func (f *fixed) Geocode(context.Context, geo.GeocodeQuery) ([]geo.Candidate, error) {
	f.calls++
	return f.cands, f.err
}

func TestChain(t *testing.T) {
	good := []geo.Candidate{{Score: 0.95, Geocoder: "local"}}
	weak := []geo.Candidate{{Score: 0.5, Geocoder: "local"}}
	down := &geo.UnavailableError{Geocoder: "ban", RetryAfter: time.Minute, Err: errors.New("HTTP 503")}
	ctx := context.Background()

	first, second := &fixed{cands: good}, &fixed{cands: good}
	c := &geocoding.Chain{Geocoders: []geo.Geocoder{first, second}, Rule: geocoding.DefaultAcceptRule}
	if got, err := c.Geocode(ctx, geo.GeocodeQuery{Q: "x"}); err != nil || len(got) != 1 || second.calls != 0 {
		t.Errorf("accepted first answer: %v %v, second asked %d times", got, err, second.calls)
	}

	c.Geocoders = []geo.Geocoder{&fixed{cands: weak}, &fixed{err: down}}
	_, err := c.Geocode(ctx, geo.GeocodeQuery{Q: "x"})
	u, ok := geo.Unavailable(err)
	if !ok || u.RetryAfter != time.Minute || len(u.Partial) != 1 {
		t.Errorf("weak answer and a failure: %v (%+v)", err, u)
	}

	c.Geocoders = []geo.Geocoder{&fixed{err: down}, &fixed{cands: good}}
	if got, err := c.Geocode(ctx, geo.GeocodeQuery{Q: "x"}); err != nil || len(got) != 1 {
		t.Errorf("failure then an accepted answer: %v %v", got, err)
	}

	res := c.GeocodeBatch(ctx, []geo.GeocodeQuery{{Q: "a"}, {Q: "b"}})
	if len(res) != 2 || res[0].Err != nil || len(res[1].Candidates) != 1 {
		t.Errorf("batch: %+v", res)
	}
}

// mapCache is a Cache in memory, for the Cached logic.
type mapCache map[string][]geo.Candidate

func (m mapCache) CachedCandidates(_ context.Context, g string, keys []string) (map[string][]geo.Candidate, error) {
	out := map[string][]geo.Candidate{}
	for _, k := range keys {
		if c, ok := m[g+k]; ok {
			out[k] = c
		}
	}
	return out, nil
}

func (m mapCache) CacheCandidates(_ context.Context, g string, answers map[string][]geo.Candidate) error {
	for k, c := range answers {
		m[g+k] = c
	}
	return nil
}

func TestCachedNeverAsksTwice(t *testing.T) {
	inner := &fixed{cands: []geo.Candidate{{Score: 0.9}}}
	c := &geocoding.Cached{Name: "ban", Geocoder: inner, Cache: mapCache{}}
	ctx := context.Background()
	for _, q := range []string{"12 Rue Joffre", "12 r. joffre", "12  RUE JOFFRE"} {
		if got, err := c.Geocode(ctx, geo.GeocodeQuery{Q: q}); err != nil || len(got) != 1 {
			t.Fatalf("%q: %v %v", q, got, err)
		}
	}
	if inner.calls != 1 {
		t.Errorf("the geocoder was asked %d times for one normalised query", inner.calls)
	}
	inner.err = &geo.UnavailableError{Geocoder: "ban", Err: errors.New("down")}
	if _, err := c.Geocode(ctx, geo.GeocodeQuery{Q: "autre adresse"}); err == nil {
		t.Error("a failure was not returned")
	}
	inner.err = nil
	if got, err := c.GeocodeBatch(ctx, []geo.GeocodeQuery{{Q: "12 rue joffre"}, {Q: "autre adresse"}}); err != nil || len(got[1]) != 1 || inner.calls != 3 {
		t.Errorf("batch after a failure: %v %v, %d calls", got, err, inner.calls)
	}
}
