// Package geocoding is the geocoding service. A Chain asks the configured
// geocoders (geo/postgis's local addresses, geo/ban, geo/nominatim) in
// order, each remote one behind a Cached database cache; an AcceptRule
// takes clear answers and flags doubtful ones for review. The Runner
// places the actors that wait for a point, in batches, and postpones them
// when a geocoder cannot answer, so that nothing is lost.
package geocoding

import (
	"context"
	"log/slog"
	"time"

	"github.com/maillage/maillage/geo"
)

// Store is the queue of actors to geocode.
type Store interface {
	PendingGeocoding(ctx context.Context, limit int) ([]geo.PendingActor, error)
	CountPendingGeocoding(ctx context.Context) (due, later int, err error)
	SaveGeocoding(ctx context.Context, id int64, r geo.GeocodeResult) (bool, error)
	PostponeGeocoding(ctx context.Context, ids []int64, wait time.Duration) error
}

// Runner geocodes the pending actors of Store with Chain.
type Runner struct {
	Store  Store
	Chain  *Chain
	Logger *slog.Logger
	// BatchSize is the number of actors taken from the queue at a time
	// (default 500).
	BatchSize int
	// BatchMin is the number of actors above which the geocoders' batch
	// exchanges are used rather than one request per actor (default 30).
	BatchMin int
	// MaxPause is the longest wait a geocoder may ask for (Retry-After)
	// that the runner honours before asking again, one search at a time;
	// a longer one postpones the actors (default 1 minute).
	MaxPause time.Duration
	// OnPause, if not nil, is told when the runner waits for geocoder, and
	// called again with 0 when it goes on.
	OnPause func(geocoder string, wait time.Duration)
}

// Summary counts what a run did.
type Summary struct {
	Accepted  int // placed at a candidate accepted without review
	Review    int // placed at their best candidate, to be checked by a person
	Failed    int // no geocoder found them
	Postponed int // a geocoder could not answer: tried again later
	Skipped   int // no longer pending when saved (placed by hand meanwhile)
	Left      int // still waiting, postponed by this run or before
}

// Done is the number of actors the run settled.
func (s Summary) Done() int { return s.Accepted + s.Review + s.Failed }

// Run geocodes every actor due for geocoding, once, and returns what it
// did. progress, if not nil, is called after each group of actors with
// the number handled and the number due at the start.
func (r *Runner) Run(ctx context.Context, progress func(done, total int)) (Summary, error) {
	var sum Summary
	total, _, err := r.Store.CountPendingGeocoding(ctx)
	if err != nil {
		return sum, err
	}
	size := r.BatchSize
	if size <= 0 {
		size = 500
	}
	handled := 0
	for ctx.Err() == nil {
		pending, err := r.Store.PendingGeocoding(ctx, size)
		if err != nil {
			return sum, err
		}
		if len(pending) == 0 {
			break
		}
		if err := r.geocode(ctx, pending, &sum); err != nil {
			return sum, err
		}
		handled += len(pending)
		if progress != nil {
			progress(min(handled, max(total, handled)), max(total, handled))
		}
	}
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	due, later, err := r.Store.CountPendingGeocoding(ctx)
	sum.Left = due + later
	return sum, err
}

// geocode settles one group of pending actors.
func (r *Runner) geocode(ctx context.Context, pending []geo.PendingActor, sum *Summary) error {
	queries := make([]geo.GeocodeQuery, 0, len(pending))
	asked := make([]geo.PendingActor, 0, len(pending))
	for _, p := range pending {
		q, ok := geo.QueryOf(p.Address)
		if !ok {
			if err := r.save(ctx, p.ID, geo.GeocodeResult{State: geo.GeocodeFailed}, sum); err != nil {
				return err
			}
			continue
		}
		queries = append(queries, q)
		asked = append(asked, p)
	}
	var results []BatchResult
	batchMin := r.BatchMin
	if batchMin <= 0 {
		batchMin = 30
	}
	if len(queries) > batchMin {
		results = r.Chain.GeocodeBatch(ctx, queries)
	} else {
		results = make([]BatchResult, len(queries))
		for i, q := range queries {
			results[i].Candidates, results[i].Err = r.Chain.Geocode(ctx, q)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := r.retryFailed(ctx, queries, results); err != nil {
		return err
	}
	var postponed []int64
	var wait time.Duration
	for i, res := range results {
		if res.Err != nil {
			postponed = append(postponed, asked[i].ID)
			if u, ok := geo.Unavailable(res.Err); ok && u.RetryAfter > wait {
				wait = u.RetryAfter
			}
			r.logger().Debug("geocoding postponed", "actor", asked[i].ID, "err", res.Err)
			continue
		}
		best, state := r.Chain.Rule.Decide(res.Candidates)
		cands := geo.SortCandidates(res.Candidates)
		if len(cands) > 5 {
			cands = cands[:5]
		}
		if err := r.save(ctx, asked[i].ID, geo.GeocodeResult{Best: best, State: state, Candidates: cands}, sum); err != nil {
			return err
		}
	}
	if len(postponed) > 0 {
		r.logger().Warn("geocoder unavailable: actors postponed", "actors", len(postponed), "retry_after", wait)
		sum.Postponed += len(postponed)
		return r.Store.PostponeGeocoding(ctx, postponed, wait)
	}
	return nil
}

// retryFailed asks again, one search at a time, for the queries whose
// answer failed, after the wait the geocoder asked for when it is at most
// MaxPause: a throttled or failing batch exchange does not postpone a
// whole batch. A longer wait leaves the failures as they are.
func (r *Runner) retryFailed(ctx context.Context, queries []geo.GeocodeQuery, results []BatchResult) error {
	var failed []int
	var wait time.Duration
	who := ""
	for i, res := range results {
		if res.Err == nil {
			continue
		}
		failed = append(failed, i)
		if u, ok := geo.Unavailable(res.Err); ok && u.RetryAfter >= wait {
			wait, who = u.RetryAfter, u.Geocoder
		}
	}
	maxPause := r.MaxPause
	if maxPause <= 0 {
		maxPause = time.Minute
	}
	if len(failed) == 0 || wait > maxPause {
		return nil
	}
	if wait > 0 {
		r.logger().Info("geocoder asks to wait", "geocoder", who, "wait", wait, "actors", len(failed))
		if r.OnPause != nil {
			r.OnPause(who, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		if r.OnPause != nil {
			r.OnPause(who, 0)
		}
	}
	for _, i := range failed {
		results[i].Candidates, results[i].Err = r.Chain.Geocode(ctx, queries[i])
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (r *Runner) save(ctx context.Context, id int64, res geo.GeocodeResult, sum *Summary) error {
	saved, err := r.Store.SaveGeocoding(ctx, id, res)
	switch {
	case err != nil:
		return err
	case !saved:
		sum.Skipped++
	case res.State == geo.GeocodeNone:
		sum.Accepted++
	case res.State == geo.GeocodeReview:
		sum.Review++
	default:
		sum.Failed++
	}
	return nil
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

// Loop runs r every interval until ctx ends, so that actors imported or
// postponed meanwhile get their turn. Errors are logged, not fatal.
func (r *Runner) Loop(ctx context.Context, interval time.Duration) {
	for {
		sum, err := r.Run(ctx, nil)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			r.logger().Error("background geocoding", "err", err)
		case sum.Done()+sum.Postponed > 0:
			r.logger().Info("background geocoding", "accepted", sum.Accepted, "review", sum.Review,
				"failed", sum.Failed, "postponed", sum.Postponed, "left", sum.Left)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
