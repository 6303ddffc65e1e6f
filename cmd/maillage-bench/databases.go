package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/pgcluster"
)

// benchStatementTimeout bounds the load tool's statements, longer than the
// server's: loading 1.5 M actors or the coverage of France takes minutes.
const benchStatementTimeout = 2 * time.Hour

// openDB opens the application's database of cfg, starting the private
// cluster if need be. The returned function closes the database, then stops
// a cluster it started.
func openDB(ctx context.Context, cfg config, logger *slog.Logger) (*postgis.DB, func(), error) {
	url, stop, err := pgcluster.URL(ctx, cfg.DatabaseURL, pgcluster.Config{Dir: cfg.DataDir, BinDir: cfg.PGBinDir, Logger: logger})
	if err != nil {
		return nil, nil, err
	}
	db, err := postgis.Open(ctx, postgis.Config{URL: url, Logger: logger, StatementTimeout: benchStatementTimeout})
	if err != nil {
		stop()
		return nil, nil, err
	}
	return db, func() { db.Close(); stop() }, nil
}

// benchDatabase opens the database name on the server of app, loading it
// with load unless a previous run finished doing so. Close it before app.
func benchDatabase(ctx context.Context, app *postgis.DB, name string, load func(context.Context, *postgis.DB) error, logger *slog.Logger, stdout io.Writer) (*postgis.DB, error) {
	db, err := openSibling(ctx, app, name, logger)
	if err != nil {
		return nil, err
	}
	if done, err := db.Setting(ctx, "bench_loaded"); err != nil || done != "" {
		return db, err
	}
	db.Close()
	if _, err := app.Pool.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err != nil {
		return nil, err
	}
	if db, err = openSibling(ctx, app, name, logger); err != nil {
		return nil, err
	}
	start := time.Now()
	fmt.Fprintf(stdout, "loading %s...\n", name)
	err = load(ctx, db)
	if err == nil {
		_, err = db.Pool.Exec(ctx, `VACUUM ANALYZE`)
	}
	if err == nil {
		err = db.SetSetting(ctx, "bench_loaded", time.Now().UTC().Format(time.RFC3339))
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	fmt.Fprintf(stdout, "loaded %s in %s\n", name, time.Since(start).Round(time.Second))
	return db, nil
}

// openSibling opens the database name on the server of app, creating it
// when missing (which needs the CREATEDB privilege), with the current
// schema.
func openSibling(ctx context.Context, app *postgis.DB, name string, logger *slog.Logger) (*postgis.DB, error) {
	var exists bool
	err := app.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists)
	if err != nil {
		return nil, err
	}
	if !exists {
		if _, err := app.Pool.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
			return nil, err
		}
	}
	// Loading 1.5 M actors is one COPY, which takes more than the
	// server's default statement timeout on a busy machine. Warm, as the
	// server's pool: nearby searches are measured on it.
	return postgis.Open(ctx, postgis.Config{URL: withDatabase(app.Pool.Config().ConnString(), name), Logger: logger,
		StatementTimeout: benchStatementTimeout, Warm: true})
}

// withDatabase returns the connection string cs naming the database name
// instead of its own.
func withDatabase(cs, name string) string {
	if strings.HasPrefix(cs, "postgres://") || strings.HasPrefix(cs, "postgresql://") {
		if u, err := url.Parse(cs); err == nil {
			u.Path, u.RawPath = "/"+name, ""
			return u.String()
		}
	}
	// In keyword/value strings the last occurrence of a keyword wins.
	quoted := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(name)
	return cs + " dbname='" + quoted + "'"
}
