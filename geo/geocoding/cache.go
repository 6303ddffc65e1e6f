package geocoding

import (
	"context"

	"github.com/maillage/maillage/geo"
)

// Cache keeps geocoders' answers by normalised query.
type Cache interface {
	CachedCandidates(ctx context.Context, geocoder string, keys []string) (map[string][]geo.Candidate, error)
	CacheCandidates(ctx context.Context, geocoder string, answers map[string][]geo.Candidate) error
}

// Cached asks Geocoder only for queries not in Cache, and keeps its
// answers there: the same query is never asked twice. Failures are not
// kept. A cache that fails is skipped, not fatal: the geocoder answers.
type Cached struct {
	Name     string
	Geocoder geo.Geocoder
	Cache    Cache
}

// Geocode implements geo.Geocoder.
func (c *Cached) Geocode(ctx context.Context, q geo.GeocodeQuery) ([]geo.Candidate, error) {
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
	c.Cache.CacheCandidates(ctx, c.Name, map[string][]geo.Candidate{key: cands})
	return cands, nil
}

// GeocodeBatch implements BatchGeocoder, sending only the queries not in
// the cache, in one batch when the geocoder has batches.
func (c *Cached) GeocodeBatch(ctx context.Context, qs []geo.GeocodeQuery) ([][]geo.Candidate, error) {
	keys := make([]string, len(qs))
	for i, q := range qs {
		keys[i] = q.Key()
	}
	hit, err := c.Cache.CachedCandidates(ctx, c.Name, keys)
	if err != nil {
		hit = nil
	}
	out := make([][]geo.Candidate, len(qs))
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
	fresh := make(map[string][]geo.Candidate, len(miss))
	if bg, ok := c.Geocoder.(BatchGeocoder); ok && len(miss) > 1 {
		sub := make([]geo.GeocodeQuery, len(miss))
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

func nonNilCandidates(c []geo.Candidate) []geo.Candidate {
	if c == nil {
		return []geo.Candidate{}
	}
	return c
}
