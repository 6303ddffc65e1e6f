// Package postgis stores maillage's data in PostgreSQL with PostGIS: it opens
// a pool on a connection string, applies the migrations and runs the SQL of
// each store. Which server to use is the caller's choice (DATABASE_URL, or
// the private cluster of internal/pgcluster).
package postgis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config says which database to use.
type Config struct {
	// URL is a PostgreSQL connection string, as a URL or keyword/value
	// pairs.
	URL string
	// NoMigrate leaves the schema as it is; call Migrate yourself.
	NoMigrate bool
	Logger    *slog.Logger
	// StatementTimeout is the statement_timeout of the pool's sessions,
	// unless the URL sets one; 0: DefaultStatementTimeout. Migrations
	// run without one.
	StatementTimeout time.Duration
	// Warm opens every connection of the pool at start, and has each new
	// connection run PostGIS's geography functions once before its first
	// use: the first geography statement of a session takes 100 to 300 ms
	// (loading PostGIS and its spheroid and projection caches), which the
	// first nearby search of each connection paid. For the server.
	Warm bool
}

// DefaultStatementTimeout bounds every statement of the pool: long enough
// for an export streamed to a slow client, short enough that a stuck
// query does not hold its connection for ever.
const DefaultStatementTimeout = 5 * time.Minute

// DB is an open database with a current schema.
type DB struct {
	Pool   *pgxpool.Pool
	logger *slog.Logger
}

// requiredExtensions must be available on the server for the migrations.
var requiredExtensions = []string{"postgis", "pg_trgm", "unaccent"}

// Open connects to the database of cfg.URL, checks the server has the
// extensions maillage needs and applies the migrations.
//
// Returns a *SetupError if PostGIS or another extension is not installed on
// the server, and a one-line error if the server cannot be reached.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	db := &DB{logger: cfg.Logger}
	if db.logger == nil {
		db.logger = slog.New(slog.DiscardHandler)
	}
	if err := db.connect(ctx, cfg.URL, cfg.StatementTimeout, cfg.Warm); err != nil {
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

func (db *DB) connect(ctx context.Context, url string, statementTimeout time.Duration, warm bool) error {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL and its password.
		return errors.New("invalid database URL: it must look like postgres://user:password@host:5432/dbname")
	}
	if pcfg.ConnConfig.ConnectTimeout == 0 {
		pcfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	if statementTimeout <= 0 {
		statementTimeout = DefaultStatementTimeout
	}
	if _, set := pcfg.ConnConfig.RuntimeParams["statement_timeout"]; !set {
		pcfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(statementTimeout.Milliseconds(), 10)
	}
	if warm {
		pcfg.MinConns = pcfg.MaxConns
		pcfg.AfterConnect = warmGeography
	}
	pcfg.PrepareConn = prepareAuthor
	db.Pool, err = pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return connectError(err)
	}
	if err := db.Pool.Ping(ctx); err != nil {
		return connectError(err)
	}
	if warm {
		if err := openAll(ctx, db.Pool); err != nil {
			return connectError(err)
		}
	}
	return nil
}

// warmGeography runs a geography distance and ST_DWithin once on conn,
// when PostGIS is installed (the pool may open before the migrations).
func warmGeography(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `
		DO $$ BEGIN
			IF to_regprocedure('st_point(double precision, double precision, integer)') IS NOT NULL THEN
				EXECUTE 'SELECT ST_DWithin(a, b, 1000, false), a <-> b
					FROM (SELECT ST_Point(2.35, 48.85, 4326)::geography AS a, ST_Point(2.36, 48.86, 4326)::geography AS b) p';
			END IF;
		END $$`)
	return err
}

// openAll opens every connection pool may hold, so that none is opened,
// and warmed, under load.
func openAll(ctx context.Context, pool *pgxpool.Pool) error {
	conns := make([]*pgxpool.Conn, 0, pool.Config().MaxConns)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range pool.Config().MaxConns {
		c, err := pool.Acquire(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	return nil
}

// Close closes the pool.
func (db *DB) Close() {
	if db.Pool != nil {
		db.Pool.Close()
	}
}

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.Pool.Ping(ctx)
}

// SetupError is a problem with the server's installation rather than with
// maillage: an extension that is not installed. Its message is one line
// telling what to install; the CLI prints it and exits 1.
type SetupError struct {
	Msg string
}

func (e *SetupError) Error() string { return e.Msg }

func setupErrorf(format string, args ...any) *SetupError {
	return &SetupError{Msg: fmt.Sprintf(format, args...)}
}

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
