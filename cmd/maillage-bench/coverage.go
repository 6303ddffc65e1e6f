package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
)

// coverageCmd measures coverage on the application's database as it is
// (territories imported, actors generated): the full recompute of the
// stored coverage (every sector, every commune) against the same KNN
// queries on the actors' index issued once per commune and sector (on
// every sample-th commune, scaled up), and with --live the live statement
// for one sector; then an uncached GET /api/coverage of a département,
// read from the stored coverage, against GET /healthz and against the
// same département computed live; with --import, the time from the start
// of an import of SIAE (sector insertion) to the end of the first
// /api/coverage of the département read from the stored coverage, through
// the refresh a server runs after it.
func coverageCmd(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("coverage", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	sectorList := fs.String("sectors", "", "sectors to measure, comma-separated (default: every sector)")
	sample := fs.Int("sample", 10, "one-by-one queries on every N-th commune, scaled up by N")
	within := fs.String("within", "29", "the département of the HTTP measure")
	requests := fs.Int("requests", 20, "requests of each kind in the HTTP measure")
	importFile := fs.String("import", "", "a file of SIAE to import last (e.g. actors/siae-france.geojson)")
	workers := fs.Int("workers", 2, "sectors recomputed at a time, each on its own connection")
	full := fs.Bool("full", true, "measure the full recompute and the searches one by one (--full=false: skip them)")
	live := fs.Bool("live", false, "also time the live statement (CoverageSQL) for all France and the first sector")
	rounds := fs.Int("compare-workers", 0, "only compare the full recompute with one worker and with --workers, alternately, in N rounds each")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || *sample < 1 || *requests < 1 || *workers < 1 || *rounds < 0 {
		return usagef("coverage [--sectors a,b] [--sample N] [--within CODE] [--requests N] [--workers N] [--full=false] [--live] [--import FILE] [--compare-workers N]")
	}
	db, closeDB, err := openDB(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer closeDB()

	var actors, communes int64
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM actors WHERE status = 'published' AND location IS NOT NULL),
		(SELECT count(*) FROM territories WHERE level = 'commune')`).Scan(&actors, &communes); err != nil {
		return err
	}
	if actors == 0 || communes == 0 {
		return errors.New("coverage: the database needs communes (maillage territories import) and actors (maillage-bench generate)")
	}
	var slugs []string
	if *sectorList != "" {
		slugs = strings.Split(*sectorList, ",")
	} else {
		all, err := postgis.NewSectorStore(db).FindSectors(ctx)
		if err != nil {
			return err
		}
		for _, s := range all {
			slugs = append(slugs, s.Slug)
		}
	}
	rows, err := db.Pool.Query(ctx, `SELECT ST_X(ref_point), ST_Y(ref_point) FROM territories
		WHERE level = 'commune' AND ref_point IS NOT NULL ORDER BY code`)
	if err != nil {
		return err
	}
	points, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]float64, error) {
		var p [2]float64
		err := r.Scan(&p[0], &p[1])
		return p, err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d published actors with a point, %d communes (%d with a reference point); one by one on 1 commune in %d\n\n",
		actors, communes, len(points), *sample)

	// The full recompute of the stored coverage, every sector, against
	// the same nearest-actor searches one by one on the actors' index.
	cov := postgis.NewCoverageStore(db)
	if *rounds > 0 {
		return compareWorkers(ctx, db, cov, *workers, *rounds, stdout)
	}
	if !*full {
		if _, err := cov.RefreshCoverageWait(ctx, *workers); err != nil {
			return err
		}
	} else if err := measureRefresh(ctx, db, cov, slugs, points, *sample, *workers, *live, stdout); err != nil {
		return err
	}
	return measureRequests(ctx, logger, db, cov, slugs, *within, *requests, *workers, *importFile, stdout)
}

// measureRefresh times the full recompute of the stored coverage against
// the same searches one by one on the actors' index.
func measureRefresh(ctx context.Context, db *postgis.DB, cov *postgis.CoverageStore, slugs []string, points [][2]float64,
	sample, workers int, live bool, stdout io.Writer) error {
	if _, err := db.Pool.Exec(ctx, `INSERT INTO coverage_dirty VALUES ('*') ON CONFLICT DO NOTHING`); err != nil {
		return err
	}
	res, err := cov.RefreshCoverageWait(ctx, workers)
	if err != nil {
		return err
	}
	var oneTotal time.Duration
	for _, slug := range slugs {
		one, err := oneByOne(ctx, db, points, sample, slug)
		if err != nil {
			return err
		}
		oneTotal += one
	}
	fmt.Fprintln(stdout, "| measure | time | one by one (scaled) / it |")
	fmt.Fprintln(stdout, "| --- | --- | --- |")
	fmt.Fprintf(stdout, "| full recompute, %d sectors + actors with none, %d workers | %s (nearest %s, counts %s) | %.2fx |\n",
		len(res.Sectors)-1, workers, secs(res.Took), secs(res.Nearest), secs(res.Counts), oneTotal.Seconds()/res.Took.Seconds())
	fmt.Fprintf(stdout, "| the same KNN searches one by one on actors, %d sectors | %s | 1.00x |\n", len(slugs), secs(oneTotal))
	if live {
		q := geo.CoverageQuery{Level: geo.LevelCommune, Sectors: []string{slugs[0]}, RadiusKm: 10}
		start := time.Now()
		if _, err := cov.CoverageFrom(ctx, q, postgis.CoverageLive); err != nil {
			return err
		}
		set := time.Since(start)
		fmt.Fprintf(stdout, "| live CoverageSQL, all France, %s | %s | |\n", slugs[0], secs(set))
	}
	fmt.Fprintln(stdout)
	return nil
}

// compareWorkers times the full recompute of the stored coverage with one
// worker and with workers, alternately (one, then workers) so that a change
// in the machine's load weighs on both, rounds times each, and prints the
// runs, their medians and the ratio of the medians.
func compareWorkers(ctx context.Context, db *postgis.DB, cov *postgis.CoverageStore, workers, rounds int, stdout io.Writer) error {
	counts := []int{1, workers}
	took := make([][]time.Duration, len(counts))
	for range rounds {
		for i, n := range counts {
			if _, err := db.Pool.Exec(ctx, `INSERT INTO coverage_dirty VALUES ('*') ON CONFLICT DO NOTHING`); err != nil {
				return err
			}
			res, err := cov.RefreshCoverageWait(ctx, n)
			if err != nil {
				return err
			}
			took[i] = append(took[i], res.Took)
			fmt.Fprintf(stdout, "full recompute, %d worker(s): %s (nearest %s, counts %s)\n", n, secs(res.Took), secs(res.Nearest), secs(res.Counts))
		}
	}
	median := func(ds []time.Duration) time.Duration {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return (ds[(len(ds)-1)/2] + ds[len(ds)/2]) / 2
	}
	one, many := median(took[0]), median(took[1])
	fmt.Fprintln(stdout, "\n| workers | runs | median | speed-up over one worker |")
	fmt.Fprintln(stdout, "| --- | --- | --- | --- |")
	fmt.Fprintf(stdout, "| 1 | %d | %s | 1.00x |\n", rounds, secs(one))
	fmt.Fprintf(stdout, "| %d | %d | %s | %.2fx |\n\n", workers, rounds, secs(many), one.Seconds()/many.Seconds())
	return nil
}

// measureRequests times GET /api/coverage of département within, read
// from the stored coverage, against /healthz and the live computation;
// then, with importFile, the import of SIAE, the refresh after it and the
// first request that shows them.
func measureRequests(ctx context.Context, logger *slog.Logger, db *postgis.DB, cov *postgis.CoverageStore, slugs []string,
	within string, requests, workers int, importFile string, stdout io.Writer) error {
	// The HTTP measure: no tile cache, so every /api/coverage is computed.
	h := handlers.NewServer(logger, handlers.Deps{Actors: postgis.NewActorStore(db), Sectors: postgis.NewSectorStore(db),
		DB: db, Territories: postgis.NewTerritoryStore(db), Coverage: cov}, handlers.DefaultOptions())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	p50 := func(path string) (time.Duration, error) {
		var took []time.Duration
		for range requests {
			start := time.Now()
			resp, err := http.Get(base + path)
			if err != nil {
				return 0, err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return 0, fmt.Errorf("GET %s: %s", path, resp.Status)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		return took[len(took)/2], nil
	}
	health, err := p50("/healthz")
	if err != nil {
		return err
	}
	path := "/api/coverage?within=departement:" + within + "&sectors=" + slugs[0] + "&radius_km=10"
	q := geo.CoverageQuery{Level: geo.LevelCommune, Within: &geo.TerritoryRef{Level: geo.LevelDepartement, Code: within},
		Sectors: []string{slugs[0]}, RadiusKm: 10}
	if cc, err := cov.CoverageCommunes(ctx, q); err != nil {
		return err
	} else if cc.ComputedAt == nil {
		return errors.New("coverage: the stored coverage is not current; is a server writing?")
	}
	dep, err := p50(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "GET /healthz p50 %s; GET %s (uncached, stored) p50 %s, %.0fx /healthz (%d requests each)\n",
		ms(health), path, ms(dep), dep.Seconds()/health.Seconds(), requests)
	var liveTook []time.Duration
	for range 3 {
		start := time.Now()
		if _, err := cov.CoverageFrom(ctx, q, postgis.CoverageLive); err != nil {
			return err
		}
		liveTook = append(liveTook, time.Since(start))
	}
	slices.Sort(liveTook)
	fmt.Fprintf(stdout, "the same département computed live (CoverageSQL, 3 runs) p50 %s, %.1fx the stored request\n",
		ms(liveTook[1]), liveTook[1].Seconds()/dep.Seconds())
	if importFile == "" {
		return nil
	}

	f, err := os.Open(importFile)
	if err != nil {
		return err
	}
	defer f.Close()
	imp := &actorfile.Importer{Store: postgis.NewActorStore(db), Sectors: postgis.NewSectorStore(db), DefaultSector: "autres"}
	start := time.Now()
	res, err := imp.Import(ctx, f, importFile, actorfile.Options{Sector: "insertion", Source: "ASP",
		Attribution: "Liste des SIAE (ASP / Ministère du Travail)"}, nil)
	if err != nil {
		return err
	}
	imported := time.Since(start)
	var dirty []string
	if err := db.Pool.QueryRow(ctx, `SELECT ARRAY(SELECT sector_slug FROM coverage_dirty ORDER BY 1)`).Scan(&dirty); err != nil {
		return err
	}
	// What the background refresher of a server does after the import.
	ref, err := cov.RefreshCoverageWait(ctx, workers)
	if err != nil {
		return err
	}
	requests = 1
	insertion := "/api/coverage?within=departement:" + within + "&sectors=insertion&radius_km=10"
	first, err := p50(insertion)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "import of %s (%d created, %d updated, %d unchanged) %s; sectors made dirty %q; refresh %s (nearest %s, counts %s); then the first GET %s (stored) %s: coverage up to date %s after the import began\n",
		importFile, res.Created, res.Updated, res.Unchanged, secs(imported), dirty, secs(ref.Took), secs(ref.Nearest), secs(ref.Counts),
		insertion, ms(first), secs(imported+ref.Took+first))
	return nil
}

// nearestKNN is CoverageSQL's distance to the nearest published actor of
// a sector: a KNN scan of actors_location_geography filtered by sector.
const nearestKNN = `
	SELECT a.location::geography <-> ST_Point($1, $2, 4326)::geography FROM actors a
	WHERE a.status = 'published' AND a.location IS NOT NULL AND EXISTS (
		SELECT 1 FROM actor_sectors s WHERE s.actor_id = a.id AND s.sector_slug = $3)
	ORDER BY a.location::geography <-> ST_Point($1, $2, 4326)::geography LIMIT 1`

// oneByOne runs nearestKNN for every sample-th point, one round trip each, and
// returns the time scaled up by sample.
func oneByOne(ctx context.Context, db *postgis.DB, points [][2]float64, sample int, slug string) (time.Duration, error) {
	start := time.Now()
	for i := 0; i < len(points); i += sample {
		var d *float64
		if err := db.Pool.QueryRow(ctx, nearestKNN, points[i][0], points[i][1], slug).Scan(&d); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return 0, fmt.Errorf("one by one, %s: %w", slug, err)
		}
	}
	return time.Since(start) * time.Duration(sample), nil
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
