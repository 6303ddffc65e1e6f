package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/geo/territoryfile"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/shareddata"
)

// BenchmarkCoverage measures, on the 34,969 communes of France (national
// table and points) and the SIAE of France, as ratios within one run:
//
//   - france/set: the coverage of every commune for insertion, one SQL
//     statement (CoverageSQL); france/one-by-one: the same KNN query issued
//     once per commune from Go;
//
//   - france/refresh: the full recompute of the stored coverage, every
//     sector (RefreshCoverage after marking everything changed);
//
//   - http/healthz, http/departement and http/departement-live: GET
//     /healthz against an uncached GET /api/coverage of Finistère read from
//     the stored coverage, and computed live (its sector marked changed);
//
//   - fresh/import+refresh: importing the 3,853 SIAE into an empty
//     directory, bringing the stored coverage up to date, then the first
//     /api/coverage of Finistère, which shows them (import-s: the import
//     alone, refresh-s: the refresh alone); fresh/import-no-triggers: the
//     same import with the coverage triggers disabled, the write cost of
//     marking sectors changed.
//
//     go test -run '^$' -bench BenchmarkCoverage -benchtime 1x ./handlers/
func BenchmarkCoverage(b *testing.B) {
	ctx := context.Background()
	db := postgistest.New(b)
	actors, sectors := postgis.NewActorStore(db), postgis.NewSectorStore(db)
	terr := postgis.NewTerritoryStore(db)
	tim := &territoryfile.Importer{Store: terr}
	for _, name := range []string{"communes-29-finistere.geojson", "communes-france-points-2018.csv", "communes-france-2026.csv"} {
		path := shareddata.Dir(b, "territories", name)
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tim.Import(ctx, f, path, territoryfile.Options{}, nil); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	im := &actorfile.Importer{Store: actors, Sectors: sectors, DefaultSector: "autres"}
	siae := shareddata.Dir(b, "actors", "siae-france.geojson")
	importSIAE := func(opt actorfile.Options) {
		f, err := os.Open(siae)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if _, err := im.Import(ctx, f, siae, opt, nil); err != nil {
			b.Fatal(err)
		}
	}
	importSIAE(actorfile.Options{Sector: "insertion", Source: "ASP"})
	cov := postgis.NewCoverageStore(db)
	france := geo.CoverageQuery{Level: geo.LevelCommune, Sectors: []string{"insertion"}, RadiusKm: 10}

	b.Run("france/set", func(b *testing.B) {
		for b.Loop() {
			cc, err := cov.CoverageFrom(ctx, france, postgis.CoverageLive)
			if err != nil || len(cc.Communes) < 34969 {
				b.Fatalf("%v", err)
			}
		}
	})
	b.Run("france/one-by-one", func(b *testing.B) {
		rs, _ := db.Pool.Query(ctx, `SELECT ST_X(ref_point), ST_Y(ref_point) FROM territories WHERE level = 'commune' AND ref_point IS NOT NULL`)
		points, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) ([2]float64, error) {
			var p [2]float64
			err := r.Scan(&p[0], &p[1])
			return p, err
		})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			for _, p := range points {
				var d *float64
				if err := db.Pool.QueryRow(ctx, `
					SELECT a.location::geography <-> ST_Point($1, $2, 4326)::geography FROM actors a
					WHERE a.status = 'published' AND a.location IS NOT NULL AND EXISTS (
						SELECT 1 FROM actor_sectors s WHERE s.actor_id = a.id AND s.sector_slug = ANY($3))
					ORDER BY a.location::geography <-> ST_Point($1, $2, 4326)::geography LIMIT 1`,
					p[0], p[1], france.Sectors).Scan(&d); err != nil {
					b.Fatal(err)
				}
			}
		}
	})

	b.Run("france/refresh", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Pool.Exec(ctx, `INSERT INTO coverage_dirty VALUES ('*') ON CONFLICT DO NOTHING`); err != nil {
				b.Fatal(err)
			}
			if res, err := cov.RefreshCoverage(ctx, 2); err != nil || !res.All {
				b.Fatalf("%+v, %v", res, err)
			}
		}
	})

	opts := handlers.DefaultOptions()
	srv := httptest.NewServer(handlers.NewServer(slog.New(slog.DiscardHandler), handlers.Deps{
		Actors: actors, Sectors: sectors, DB: db, Territories: terr, Coverage: cov,
	}, opts))
	b.Cleanup(srv.Close)
	get := func(b *testing.B, path string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
	}
	b.Run("http/healthz", func(b *testing.B) {
		for b.Loop() {
			get(b, "/healthz")
		}
	})
	b.Run("http/departement", func(b *testing.B) {
		if _, err := cov.RefreshCoverage(ctx, 2); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			get(b, "/api/coverage?within=29&sectors=insertion&radius_km=10")
		}
	})
	b.Run("http/departement-live", func(b *testing.B) {
		if _, err := db.Pool.Exec(ctx, `INSERT INTO coverage_dirty VALUES ('insertion') ON CONFLICT DO NOTHING`); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			get(b, "/api/coverage?within=29&sectors=insertion&radius_km=10")
		}
	})
	coverageTriggers := []string{"actors_coverage_insert", "actors_coverage_update", "actors_coverage_delete"}
	b.Run("fresh/import+refresh", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if _, err := db.Pool.Exec(ctx, `TRUNCATE actors CASCADE`); err != nil {
				b.Fatal(err)
			}
			if _, err := cov.RefreshCoverage(ctx, 2); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			importSIAE(actorfile.Options{Sector: "insertion", Source: "ASP"})
			imported := time.Since(start)
			if _, err := cov.RefreshCoverage(ctx, 2); err != nil {
				b.Fatal(err)
			}
			refreshed := time.Since(start) - imported
			get(b, "/api/coverage?within=29&sectors=insertion&radius_km=10")
			b.ReportMetric(imported.Seconds(), "import-s")
			b.ReportMetric(refreshed.Seconds(), "refresh-s")
		}
	})
	b.Run("fresh/import-no-triggers", func(b *testing.B) {
		setTriggers := func(state string) {
			for _, t := range append(coverageTriggers, "actor_places_coverage_insert") {
				table := "actors"
				if t == "actor_places_coverage_insert" {
					table = "actor_places"
				}
				if _, err := db.Pool.Exec(ctx, `ALTER TABLE `+table+` `+state+` TRIGGER `+t); err != nil {
					b.Fatal(err)
				}
			}
		}
		setTriggers("DISABLE")
		defer setTriggers("ENABLE")
		for b.Loop() {
			b.StopTimer()
			if _, err := db.Pool.Exec(ctx, `TRUNCATE actors CASCADE`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			importSIAE(actorfile.Options{Sector: "insertion", Source: "ASP"})
		}
	})
}
