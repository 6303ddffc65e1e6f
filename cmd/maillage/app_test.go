package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/pgcluster"
)

// TestOpenDBPrivateCluster checks the wiring without DATABASE_URL: openDB
// starts the private cluster in MAILLAGE_DATA_DIR and migrates, and its
// close stops the cluster it started.
func TestOpenDBPrivateCluster(t *testing.T) {
	ctx := context.Background()
	dir := shortDir(t)
	t.Cleanup(func() {
		if err := pgcluster.Stop(dir, ""); err != nil {
			t.Errorf("pgcluster.Stop: %v", err)
		}
	})
	cfg, err := loadConfig(testEnv(map[string]string{"MAILLAGE_DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dir, "postgres", "postmaster.pid")
	db, closeDB, err := openDB(ctx, cfg, slog.New(slog.DiscardHandler), true, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pidFile); err != nil {
		t.Errorf("openDB did not start the cluster: %v", err)
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n == 0 {
		t.Errorf("schema_migrations holds %d rows, %v; want migrations applied", n, err)
	}
	closeDB()

	// The server's pool connects as the application role, which cannot
	// change the schema.
	db, closeDB, err = openDB(ctx, cfg, slog.New(slog.DiscardHandler), true, true)
	if err != nil {
		t.Fatal(err)
	}
	var user string
	if err := db.Pool.QueryRow(ctx, `SELECT current_user`).Scan(&user); err != nil || user != postgis.AppRole {
		t.Errorf("the server's pool runs as %q, %v; want %s", user, err, postgis.AppRole)
	}
	if _, err := db.Pool.Exec(ctx, `DROP TABLE actors`); err == nil {
		t.Error("the application role dropped a table")
	}
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM actors`).Scan(&n); err != nil {
		t.Errorf("the application role cannot read actors: %v", err)
	}
	closeDB()
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Fatalf("postmaster.pid still there after close: %v", err)
	}
}

// TestConfigTerritory reads MAILLAGE_TERRITORY as a list of codes and
// refuses one that is not a territory code.
func TestConfigTerritory(t *testing.T) {
	cfg, err := loadConfig(testEnv(map[string]string{"MAILLAGE_TERRITORY": "29, 17,region:53"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []geo.TerritoryRef{{Code: "29"}, {Code: "17"}, {Level: "region", Code: "53"}}
	if !slices.Equal(cfg.Territory, want) {
		t.Errorf("territory %v, want %v", cfg.Territory, want)
	}
	for _, bad := range []string{"Finistère", "29,commune:29", "canton:2901"} {
		if _, err := loadConfig(testEnv(map[string]string{"MAILLAGE_TERRITORY": bad})); err == nil || !strings.Contains(err.Error(), "MAILLAGE_TERRITORY") {
			t.Errorf("MAILLAGE_TERRITORY=%s: %v, want an error naming it", bad, err)
		}
	}
}
