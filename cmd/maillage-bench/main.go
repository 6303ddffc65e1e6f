// Command maillage-bench is maillage's load tool: it makes synthetic
// actors and measures tiles and nearby search. It is a command of its own
// so that the server binary carries neither the tool nor its data.
//
//	maillage-bench measure [flags]   measure tiles and nearby search
//	maillage-bench generate [flags]  store synthetic actors in the database
//	maillage-bench coverage [flags]  measure coverage on the database as it is
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"

	"github.com/maillage/maillage/internal/cli"
	"github.com/maillage/maillage/tiles"
)

func main() {
	cli.Main("maillage-bench", usageText, run)
}

// usagef returns a usage error: a mistake in the command line.
var usagef = cli.Usagef

const usageText = `
Usage:
  maillage-bench measure [--data DIR] [--actors N] [--seed S] [--duration D] [--clients C] [--sets siae,synthetic]
        measure tiles and nearby search on the SIAE and a synthetic set,
        each kept in a database of its own beside the application's
  maillage-bench generate [--actors N] [--seed S] [--data DIR]
        store N synthetic actors around real places (default 1,500,000)
        in the application's database
  maillage-bench coverage [--sectors a,b] [--sample N] [--within CODE] [--requests N] [--import FILE]
        on the application's database (communes imported, actors generated):
        coverage of every commune for each sector, one statement against the
        same KNN query once per commune (every N-th, scaled up); then an
        uncached GET /api/coverage of a département against GET /healthz (p50);
        --import: an import of SIAE, then the first /api/coverage that shows them

The database is the server's: DATABASE_URL, or the private PostgreSQL
cluster under MAILLAGE_DATA_DIR (default ./var), started when needed.
`

// config is what the load tool reads from the environment: the server's
// variables for the database, the demo data and the tiles.
type config struct {
	DatabaseURL   string // DATABASE_URL; empty: a private cluster in DataDir
	DataDir       string // MAILLAGE_DATA_DIR
	PGBinDir      string // MAILLAGE_PG_BINDIR
	DemoDir       string // MAILLAGE_DEMO_DIR: the default of --data
	LogLevel      slog.Level
	TileActorZoom int // MAILLAGE_TILES_ACTOR_ZOOM: first zoom of single actors; clusters below
}

func loadConfig(getenv func(string) string) (config, error) {
	env := cli.Env(getenv)
	cfg := config{
		DatabaseURL: env("DATABASE_URL", ""),
		DataDir:     env("MAILLAGE_DATA_DIR", "./var"),
		PGBinDir:    env("MAILLAGE_PG_BINDIR", ""),
		DemoDir:     env("MAILLAGE_DEMO_DIR", ""),
	}
	var err error
	if cfg.DataDir, err = filepath.Abs(cfg.DataDir); err != nil {
		return cfg, err
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(env("MAILLAGE_LOG_LEVEL", "info"))); err != nil {
		return cfg, fmt.Errorf("MAILLAGE_LOG_LEVEL: %w", err)
	}
	if cfg.TileActorZoom, err = strconv.Atoi(env("MAILLAGE_TILES_ACTOR_ZOOM", strconv.Itoa(tiles.ClusterZooms))); err != nil || cfg.TileActorZoom < 0 || cfg.TileActorZoom > tiles.ClusterZooms {
		return cfg, fmt.Errorf("MAILLAGE_TILES_ACTOR_ZOOM: a zoom from 0 to %d", tiles.ClusterZooms)
	}
	return cfg, nil
}

// run is the whole program: main only supplies the process's environment,
// so tests can call run directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		return usagef("no command given")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "measure":
		return measureCmd(ctx, cfg, logger, rest, stdout)
	case "generate":
		return generateCmd(ctx, cfg, logger, rest, stdout)
	case "coverage":
		return coverageCmd(ctx, cfg, logger, rest, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
		return nil
	}
	return usagef("unknown command %q", cmd)
}
