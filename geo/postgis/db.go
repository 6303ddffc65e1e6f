// Package postgis stores maillage's data in PostgreSQL with PostGIS. Without
// a DATABASE_URL it runs a private PostgreSQL cluster of its own (local.go).
package postgis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config says which database to use.
type Config struct {
	// URL is a PostgreSQL connection string (DATABASE_URL). Empty means the
	// private cluster in DataDir.
	URL string
	// DataDir holds the private cluster; unused when URL is set.
	DataDir string
	// PGBinDir holds the PostgreSQL programs (MAILLAGE_PG_BINDIR); empty
	// means search for them.
	PGBinDir string
	// NoMigrate leaves the schema as it is; call Migrate yourself.
	NoMigrate bool
	Logger    *slog.Logger
}

// DB is an open database with a current schema.
type DB struct {
	Pool    *pgxpool.Pool
	cluster *Cluster
	logger  *slog.Logger
}

// requiredExtensions must be available on the server for the migrations.
var requiredExtensions = []string{"postgis", "pg_trgm", "unaccent"}

// Open connects to the database of cfg, starting the private cluster when
// cfg.URL is empty, checks the server has the extensions maillage needs and
// applies the migrations.
//
// Returns a *SetupError if PostgreSQL or PostGIS is not installed, and a
// one-line error if the server cannot be reached.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	db := &DB{logger: cfg.Logger}
	if db.logger == nil {
		db.logger = slog.New(slog.DiscardHandler)
	}
	url := cfg.URL
	if url == "" {
		c, err := StartCluster(ctx, ClusterConfig{Dir: cfg.DataDir, BinDir: cfg.PGBinDir, Logger: db.logger})
		if err != nil {
			return nil, err
		}
		db.cluster = c
		url = c.ConnString(appDatabase)
	}
	if err := db.connect(ctx, url); err != nil {
		db.Close()
		return nil, err
	}
	if err := checkExtensions(ctx, db.Pool, requiredExtensions); err != nil {
		db.Close()
		return nil, err
	}
	if !cfg.NoMigrate {
		if _, err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

func (db *DB) connect(ctx context.Context, url string) error {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL and its password.
		return errors.New("invalid database URL: it must look like postgres://user:password@host:5432/dbname")
	}
	if pcfg.ConnConfig.ConnectTimeout == 0 {
		pcfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	db.Pool, err = pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return connectError(err)
	}
	if err := db.Pool.Ping(ctx); err != nil {
		return connectError(err)
	}
	return nil
}

// Close closes the pool and stops the private cluster if Open started it.
func (db *DB) Close() {
	if db.Pool != nil {
		db.Pool.Close()
	}
	if db.cluster != nil {
		if err := db.cluster.Stop(); err != nil {
			db.logger.Error("stopping PostgreSQL", "err", err)
		}
	}
}

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.Pool.Ping(ctx)
}

// Cluster returns the private cluster the database lives in, or nil when
// Config.URL was set.
func (db *DB) Cluster() *Cluster { return db.cluster }

// connectError turns a connection failure into one line naming the server,
// without the password.
func connectError(err error) error {
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) {
		return err
	}
	target := ce.Config.Host
	if !strings.HasPrefix(target, "/") {
		target = fmt.Sprintf("%s:%d", ce.Config.Host, ce.Config.Port)
	}
	cause := err.Error()
	if inner := errors.Unwrap(ce); inner != nil {
		cause = inner.Error()
	}
	cause = strings.Join(strings.Fields(cause), " ")
	return fmt.Errorf("cannot connect to PostgreSQL at %s as %s, database %s: %s",
		target, ce.Config.User, ce.Config.Database, cause)
}

// checkExtensions checks that the server can create each extension of names.
// Returns a *SetupError naming the package to install for the first missing
// one.
func checkExtensions(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
	QueryRow(context.Context, string, ...any) pgx.Row
}, names []string) error {
	rows, err := q.Query(ctx, `SELECT name FROM pg_available_extensions WHERE name = ANY($1)`, names)
	if err != nil {
		return err
	}
	available, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	var missing []string
	for _, n := range names {
		if !slices.Contains(available, n) {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var version int
	if err := q.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		return err
	}
	major := version / 10000
	if slices.Contains(missing, "postgis") {
		return setupErrorf("PostGIS is not installed: install it with \"apt-get install postgresql-%d-postgis-3\"", major)
	}
	return setupErrorf("PostgreSQL extension %s is not installed: install the contrib modules with \"apt-get install postgresql-%d\"", strings.Join(missing, ", "), major)
}
