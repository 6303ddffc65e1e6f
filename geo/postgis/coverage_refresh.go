package postgis

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"
)

// CoverageLockKey is the advisory lock held by the process refreshing the
// stored coverage, so that servers on one database never compute it twice.
const CoverageLockKey = 0x6d61696c636f7631 // "mailcov1"

// CoverageRefreshName is the application_name of a refresh's
// connections, as pg_stat_activity shows it.
const CoverageRefreshName = "maillage coverage refresh"

// CoverageRefresh says what RefreshCoverage did.
type CoverageRefresh struct {
	// Locked is false when another process was refreshing: nothing was done.
	Locked bool
	// Sectors are the sectors recomputed ("" for the actors with no
	// sector); All tells whether everything was (territories changed).
	Sectors []string
	All     bool
	// Nearest is the time spent in the nearest-actor searches, Counts in
	// counting actors per commune, Took the whole refresh.
	Nearest, Counts, Took time.Duration
}

// RefreshCoverage brings the stored coverage up to date
// (migrations/0018_coverage_store.sql): it recomputes the nearest actors
// of each sector whose actors changed (every sector when territories
// changed), workers sectors at a time on their own connections, then the
// counts of those sectors. It does nothing when another process holds the
// refresh's advisory lock.
func (s *CoverageStore) RefreshCoverage(ctx context.Context, workers int) (CoverageRefresh, error) {
	start := time.Now()
	var res CoverageRefresh
	conn, err := s.connect(ctx)
	if err != nil {
		return res, err
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(CoverageLockKey)).Scan(&res.Locked); err != nil || !res.Locked {
		return res, err
	}
	// Closing the connection releases the lock.

	// The dirty sectors become pending, in a transaction of their own:
	// what is computed below is read from later snapshots, and a change
	// committed meanwhile leaves a new dirty row.
	var pending []string
	var version int64
	var startedAt time.Time
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			WITH d AS (DELETE FROM coverage_dirty RETURNING sector_slug)
			INSERT INTO coverage_pending SELECT sector_slug FROM d ON CONFLICT DO NOTHING`); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `
			SELECT ARRAY(SELECT sector_slug FROM coverage_pending ORDER BY 1),
				(SELECT version FROM tile_data_version), now()`).Scan(&pending, &version, &startedAt)
		if err != nil {
			return err
		}
		res.All = slices.Contains(pending, "*")
		// Sectors never computed (a new one) are computed too.
		return tx.QueryRow(ctx, `
			SELECT ARRAY(
				SELECT s FROM (SELECT slug FROM sectors UNION ALL SELECT '') x(s)
				WHERE $1 OR s = ANY($2) OR NOT EXISTS (SELECT FROM coverage_state c WHERE c.sector_slug = x.s)
				ORDER BY s)`, res.All, pending).Scan(&res.Sectors)
	})
	if err != nil {
		return res, err
	}
	if len(res.Sectors) == 0 && len(pending) == 0 {
		res.Took = time.Since(start)
		return res, nil
	}

	t := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(workers, 1))
	for _, slug := range res.Sectors {
		g.Go(func() error { return s.refreshNearest(gctx, slug) })
	}
	if err := g.Wait(); err != nil {
		return res, err
	}
	res.Nearest = time.Since(t)

	t = time.Now()
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if res.All {
			if _, err := tx.Exec(ctx, `DELETE FROM coverage_counts`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `
				DELETE FROM coverage_nearest WHERE sector_slug <> '' AND sector_slug NOT IN (SELECT slug FROM sectors)`); err != nil {
				return err
			}
		} else if _, err := tx.Exec(ctx, `
			DELETE FROM coverage_counts WHERE sector_slugs && $1 OR ('' = ANY($1) AND sector_slugs = '{}')`, res.Sectors); err != nil {
			return err
		}
		// The actors of the sectors, found through actor_sectors unless
		// every actor is counted again.
		if _, err := tx.Exec(ctx, `
			WITH ids AS (
				SELECT a.id FROM actors a WHERE $2
				UNION
				SELECT s.actor_id FROM actor_sectors s WHERE NOT $2 AND s.sector_slug = ANY($1)
				UNION
				SELECT a.id FROM actors a
				WHERE NOT $2 AND '' = ANY($1) AND a.status = 'published' AND cardinality(a.sector_slugs) = 0
			)
			INSERT INTO coverage_counts (commune, sector_slugs, n)
			SELECT p.commune, a.sector_slugs, count(*)
			FROM ids JOIN actors a ON a.id = ids.id JOIN actor_places p ON p.actor_id = a.id
			WHERE a.status = 'published'
			GROUP BY p.commune, a.sector_slugs`, res.Sectors, res.All); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO coverage_state (sector_slug, computed_at, data_version)
			SELECT s, $2, $3 FROM unnest($1::text[]) s
			ON CONFLICT (sector_slug) DO UPDATE SET computed_at = excluded.computed_at, data_version = excluded.data_version`,
			res.Sectors, startedAt, version); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM coverage_pending WHERE sector_slug = ANY($1)`, pending)
		return err
	})
	res.Counts = time.Since(t)
	res.Took = time.Since(start)
	return res, err
}

// unitSphere is the point of geometry g (longitude, latitude) on the
// sphere of radius 1, in three dimensions. The straight-line distance
// between two such points grows with their distance along the sphere, so
// the nearest by one is the nearest by the other, and a KNN search on
// them (<<->> on a gist_geometry_ops_nd index) compares plain
// coordinates where one on geography computes a distance on the sphere
// for each entry it reads, about 3.5 times as slow.
func unitSphere(g string) string {
	lon, lat := "radians(ST_X("+g+"))", "radians(ST_Y("+g+"))"
	return "ST_MakePoint(cos(" + lat + ") * cos(" + lon + "), cos(" + lat + ") * sin(" + lon + "), sin(" + lat + "))"
}

// The statements of refreshNearest. The distance written is the same
// geography <-> as CoverageSQL's, computed for the nearest actor only.
var (
	coveragePointsSQL = `
		CREATE TEMP TABLE coverage_points ON COMMIT DROP AS
		SELECT a.id, a.location, ` + unitSphere("a.location") + ` AS p
		FROM actors a
		WHERE a.status = 'published' AND a.location IS NOT NULL AND $1 = '' AND cardinality(a.sector_slugs) = 0
		UNION ALL
		SELECT a.id, a.location, ` + unitSphere("a.location") + `
		FROM actor_sectors s JOIN actors a ON a.id = s.actor_id
		WHERE $1 <> '' AND s.sector_slug = $1 AND a.status = 'published' AND a.location IS NOT NULL`
	coverageNearestSQL = `
		INSERT INTO coverage_nearest (commune, sector_slug, distance_m, actor_id)
		SELECT c.code, $1, n.location::geography <-> c.ref_point::geography, n.id
		FROM territories c CROSS JOIN LATERAL (
			SELECT p.id, p.location
			FROM coverage_points p
			ORDER BY p.p <<->> ` + unitSphere("c.ref_point") + `
			LIMIT 1) n
		WHERE c.level = 'commune' AND c.ref_point IS NOT NULL`
)

// refreshNearest recomputes the nearest published actor of sector slug
// ("": actors with no sector) from each commune's reference point: the
// sector's points are copied into a temporary table with a GiST index of
// their own, so that each KNN search (ORDER BY <<->> LIMIT 1) reads a
// small index holding only them rather than skipping the other sectors'
// actors in the index of every actor.
func (s *CoverageStore) refreshNearest(ctx context.Context, slug string) error {
	conn, err := s.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, coveragePointsSQL, slug); err != nil {
			return err
		}
		for _, q := range []string{`CREATE INDEX ON coverage_points USING gist (p gist_geometry_ops_nd)`, `ANALYZE coverage_points`} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM coverage_nearest WHERE sector_slug = $1`, slug); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, coverageNearestSQL, slug)
		return err
	})
}

// connect opens a connection of its own for a refresh, with room for its
// temporary tables in memory.
func (s *CoverageStore) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg := s.db.Pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = CoverageRefreshName
	cfg.RuntimeParams["temp_buffers"] = "64MB"
	cfg.RuntimeParams["statement_timeout"] = "0"
	return pgx.ConnectConfig(ctx, cfg)
}

// CoverageRefresher refreshes the stored coverage in the background: after
// each data change it is told of, once changes have paused for Debounce,
// and every Interval in case a notification was lost. Every process may
// run one; the advisory lock lets one compute at a time.
type CoverageRefresher struct {
	Store    *CoverageStore
	Workers  int
	Debounce time.Duration
	Interval time.Duration
	// Refreshed, when set, is called after each refresh that did something.
	Refreshed func(CoverageRefresh, error)
	wake      chan struct{}
}

// NewCoverageRefresher returns a refresher of store.
func NewCoverageRefresher(store *CoverageStore) *CoverageRefresher {
	return &CoverageRefresher{Store: store, Workers: 2, Debounce: 2 * time.Second, Interval: time.Minute,
		wake: make(chan struct{}, 1)}
}

// Changed tells the refresher the data changed. It never blocks.
func (r *CoverageRefresher) Changed() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run refreshes until ctx ends, first at once.
func (r *CoverageRefresher) Run(ctx context.Context) {
	tick := time.NewTicker(r.Interval)
	defer tick.Stop()
	for {
		res, err := r.Store.RefreshCoverage(ctx, r.Workers)
		if ctx.Err() != nil {
			return
		}
		if r.Refreshed != nil && (err != nil || len(res.Sectors) > 0) {
			r.Refreshed(res, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-r.wake:
		}
		// Wait until the changes pause.
		for quiet := false; !quiet; {
			select {
			case <-ctx.Done():
				return
			case <-r.wake:
			case <-time.After(r.Debounce):
				quiet = true
			}
		}
	}
}

// errCoverageBusy is returned by RefreshCoverageWait when another process
// kept the lock until ctx ended.
var errCoverageBusy = errors.New("coverage: another process is refreshing")

// RefreshCoverageWait is RefreshCoverage, retried while another process
// holds the lock, so that what was dirty when it was called is computed
// when it returns.
func (s *CoverageStore) RefreshCoverageWait(ctx context.Context, workers int) (CoverageRefresh, error) {
	for {
		res, err := s.RefreshCoverage(ctx, workers)
		if err != nil || res.Locked {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, errCoverageBusy
		case <-time.After(200 * time.Millisecond):
		}
	}
}
