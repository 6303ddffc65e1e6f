package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/geo/territoryfile"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/shareddata"
)

// testEnv is a getenv over a fixed map, so tests never read the caller's
// environment by accident.
func testEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestGenerate(t *testing.T) {
	url := postgistest.NewURL(t)
	var out bytes.Buffer
	err := run(context.Background(), []string{"maillage-bench", "generate", "--actors", "500", "--seed", "3",
		"--data", shareddata.Dir(t)}, testEnv(map[string]string{"DATABASE_URL": url}), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "generated 500 actors (seed 3)") {
		t.Errorf("output %q", out.String())
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var actors, located int
	err = conn.QueryRow(context.Background(), `SELECT count(*), count(location) FROM actors WHERE source = 'synthetic'`).
		Scan(&actors, &located)
	if err != nil || actors != 500 || located != 500 {
		t.Errorf("%d synthetic actors, %d located, %v; want 500 located", actors, located, err)
	}
}

// TestMeasure runs the measures on a small synthetic set in a database
// beside the application's, twice: the second run finds the set loaded.
func TestMeasure(t *testing.T) {
	url := postgistest.NewURL(t)
	const set = "maillage_bench_synthetic_3000_1"
	t.Cleanup(func() {
		_, err := postgistest.Admin(t).Exec(context.Background(), `DROP DATABASE IF EXISTS `+set+` WITH (FORCE)`)
		if err != nil {
			t.Error(err)
		}
	})
	measure := func() string {
		t.Helper()
		var out bytes.Buffer
		err := run(context.Background(), []string{"maillage-bench", "measure", "--data", shareddata.Dir(t),
			"--sets", "synthetic", "--actors", "3000", "--duration", "20ms", "--clients", "2"},
			testEnv(map[string]string{"DATABASE_URL": url, "MAILLAGE_LOG_LEVEL": "warn"}), &out, io.Discard)
		if err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		return out.String()
	}
	first := measure()
	if !strings.Contains(first, "loading "+set) {
		t.Errorf("the first run did not load %s:\n%s", set, first)
	}
	if !strings.Contains(first, "published located actors") {
		t.Errorf("no data set heading:\n%s", first)
	}
	for _, z := range benchZooms {
		row := fmt.Sprintf("\n| %d, city | %d | ", z, len(benchTiles(z)))
		if !strings.Contains(first, row) {
			t.Errorf("no row for zoom %d (%q):\n%s", z, row, first)
		}
	}
	for _, want := range []string{"HTTP ceiling", "nearby (limit 10", "\n| 14, uniform | ", "| now / before, fresh |",
		"\n| 12, city | ", "| generic / default |"} {
		if !strings.Contains(first, want) {
			t.Errorf("no %q:\n%s", want, first)
		}
	}
	if second := measure(); strings.Contains(second, "loading") {
		t.Errorf("the second run loaded the set again:\n%s", second)
	}
}

func TestWithDatabase(t *testing.T) {
	tests := []struct{ in, db, want string }{
		{"postgres://u:p@h:5432/old?sslmode=disable", "new", "postgres://u:p@h:5432/new?sslmode=disable"},
		{"postgresql://h/old", "x", "postgresql://h/x"},
		{"host=/tmp/run user=maillage dbname=old", "new", "host=/tmp/run user=maillage dbname=old dbname='new'"},
		{"host=/tmp", "it's", `host=/tmp dbname='it\'s'`},
	}
	for _, tt := range tests {
		if got := withDatabase(tt.in, tt.db); got != tt.want {
			t.Errorf("withDatabase(%q, %q) = %q, want %q", tt.in, tt.db, got, tt.want)
		}
	}
}

// TestCoverage measures coverage on the communes of Finistère and a small
// synthetic set: the full recompute against the searches one by one, the
// HTTP figures, and the refresh after an import.
func TestCoverage(t *testing.T) {
	url := postgistest.NewURL(t)
	env := testEnv(map[string]string{"DATABASE_URL": url})
	ctx := context.Background()
	if err := run(ctx, []string{"maillage-bench", "generate", "--actors", "3000", "--seed", "2",
		"--data", shareddata.Dir(t)}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	db, err := postgis.Open(ctx, postgis.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	path := shareddata.Dir(t, "territories", "communes-29-finistere.geojson")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&territoryfile.Importer{Store: postgis.NewTerritoryStore(db)}).Import(ctx, f, path, territoryfile.Options{}, nil)
	f.Close()
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"maillage-bench", "coverage", "--sample", "20", "--requests", "3",
		"--import", shareddata.Dir(t, "actors", "siae-france.geojson")}, env, &out, io.Discard); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	t.Log(text)
	for _, want := range []string{"| full recompute, 15 sectors + actors with none, 2 workers | ",
		"| the same KNN searches one by one on actors, 15 sectors | ", "GET /healthz p50",
		"/api/coverage?within=departement:29&sectors=", "(uncached, stored)", "3853 created", `sectors made dirty ["insertion"]`,
		"coverage up to date"} {
		if !strings.Contains(text, want) {
			t.Errorf("output does not hold %q:\n%s", want, text)
		}
	}

	out.Reset()
	if err := run(ctx, []string{"maillage-bench", "coverage", "--compare-workers", "2", "--workers", "3"}, env, &out, io.Discard); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text = out.String()
	t.Log(text)
	if n := strings.Count(text, "full recompute, 1 worker(s): "); n != 2 {
		t.Errorf("%d full recomputes with one worker, want 2:\n%s", n, text)
	}
	if n := strings.Count(text, "full recompute, 3 worker(s): "); n != 2 {
		t.Errorf("%d full recomputes with 3 workers, want 2:\n%s", n, text)
	}
	for _, want := range []string{"| 1 | 2 | ", "| 3 | 2 | ", "| 1.00x |"} {
		if !strings.Contains(text, want) {
			t.Errorf("output does not hold %q:\n%s", want, text)
		}
	}
}
