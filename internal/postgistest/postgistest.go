// Package postgistest gives each test its own migrated PostGIS database.
//
// The server is MAILLAGE_TEST_DATABASE_URL if set (it must allow CREATE
// DATABASE), else a private cluster started by pgcluster.Start in
// MAILLAGE_TEST_DATA_DIR, by default $TMPDIR/maillage-test-<uid>. That
// cluster is left running for the next test run; `make test` stops it with
// `maillage db stop --test`. Tests never skip: without PostgreSQL they fail with
// the setup error.
package postgistest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/pgcluster"
	"github.com/maillage/maillage/migrations"
)

// templateLock is the advisory lock key held while building a template.
const templateLock = 0x6d6c2d74706c // "ml-tpl"

var server struct {
	once     sync.Once
	err      error
	base     string // connection string of the server, any database
	admin    *pgxpool.Pool
	template string
	strategy string // how CREATE DATABASE copies the template
}

// New returns a fresh database holding the current schema and nothing else,
// dropped when the test ends.
func New(tb testing.TB) *postgis.DB {
	tb.Helper()
	db, err := postgis.Open(context.Background(), postgis.Config{URL: NewURL(tb), NoMigrate: true})
	if err != nil {
		tb.Fatalf("postgistest: %v", err)
	}
	tb.Cleanup(db.Close)
	return db
}

// NewURL creates a fresh database as New does and returns its connection
// string, for tests that connect on their own (a server under test).
func NewURL(tb testing.TB) string {
	tb.Helper()
	if err := setup(); err != nil {
		tb.Fatalf("postgistest: %v", err)
	}
	name := fmt.Sprintf("maillage_test_%d_%s", os.Getpid(), randomHex(6))
	_, err := server.admin.Exec(context.Background(), `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()+
		` TEMPLATE `+pgx.Identifier{server.template}.Sanitize()+server.strategy)
	if err != nil {
		tb.Fatalf("postgistest: creating database: %v", err)
	}
	tb.Cleanup(func() { dropDatabase(tb, name) })
	connString, err := WithDatabase(server.base, name)
	if err != nil {
		tb.Fatalf("postgistest: %v", err)
	}
	return connString
}

// ConnString returns the connection string of the test server's database
// dbname. It fails the test if the server cannot be set up.
func ConnString(tb testing.TB, dbname string) string {
	tb.Helper()
	if err := setup(); err != nil {
		tb.Fatalf("postgistest: %v", err)
	}
	s, err := WithDatabase(server.base, dbname)
	if err != nil {
		tb.Fatalf("postgistest: %v", err)
	}
	return s
}

// Admin returns a pool on the test server's "postgres" database, shared by
// the tests of the binary: do not close it.
func Admin(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	if err := setup(); err != nil {
		tb.Fatalf("postgistest: %v", err)
	}
	return server.admin
}

// DataDir returns the directory of the test cluster used when
// MAILLAGE_TEST_DATABASE_URL is not set.
func DataDir() string {
	return pgcluster.TestDataDir(os.Getenv)
}

// WithDatabase returns connString with its database replaced by dbname. It
// accepts URLs and keyword/value strings.
func WithDatabase(connString, dbname string) (string, error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			return "", fmt.Errorf("invalid database URL")
		}
		u.Path = "/" + dbname
		u.RawPath = ""
		return u.String(), nil
	}
	// In keyword/value strings the last occurrence of a keyword wins.
	return connString + " dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(dbname) + "'", nil
}

func setup() error {
	server.once.Do(func() { server.err = connectServer() })
	return server.err
}

func connectServer() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	server.base = os.Getenv("MAILLAGE_TEST_DATABASE_URL")
	local := server.base == ""
	if local {
		c, err := pgcluster.Start(ctx, pgcluster.Config{
			Dir:    DataDir(),
			BinDir: os.Getenv("MAILLAGE_PG_BINDIR"),
			Unsafe: true,
		})
		if err != nil {
			return err
		}
		server.base = c.ConnString("postgres")
	}
	adminURL, err := WithDatabase(server.base, "postgres")
	if err != nil {
		return err
	}
	// The first connection checks PostGIS and reports a readable error.
	check, err := postgis.Open(ctx, postgis.Config{URL: adminURL, NoMigrate: true})
	if err != nil {
		return err
	}
	check.Close()
	server.admin, err = pgxpool.New(context.Background(), adminURL)
	if err != nil {
		return err
	}
	// Copying files is faster than WAL-logging each page of PostGIS's
	// spatial_ref_sys; PostgreSQL 15 made the latter the default.
	var version int
	err = server.admin.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version)
	if err != nil {
		return err
	}
	if version >= 150000 {
		server.strategy = " STRATEGY FILE_COPY"
	}
	if local {
		if err := dropOrphans(ctx); err != nil {
			return err
		}
	}
	server.template, err = buildTemplate(ctx)
	return err
}

// dropOrphans drops the test databases of test binaries that died before
// their cleanup, which the PID in their name tells. Only for the local
// cluster: the PIDs of another machine mean nothing here.
func dropOrphans(ctx context.Context) error {
	rows, err := server.admin.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'maillage\_test\_%'`)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, name := range names {
		var pid int
		if _, err := fmt.Sscanf(name, "maillage_test_%d_", &pid); err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			continue
		}
		_, err := server.admin.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`)
		if err != nil {
			return err
		}
	}
	return nil
}

// buildTemplate returns the name of a migrated template database, building
// it unless another test binary already did. Its name carries a hash of the
// migrations, so a changed schema gets a new template.
func buildTemplate(ctx context.Context) (string, error) {
	sum, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "maillage_template_" + sum
	building := name + "_building"

	conn, err := server.admin.Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(templateLock)); err != nil {
		return "", err
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(templateLock))

	var exists bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists)
	if err != nil || exists {
		return name, err
	}
	// A run killed while building leaves a half-built database behind.
	if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{building}.Sanitize()+` WITH (FORCE)`); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{building}.Sanitize()); err != nil {
		return "", err
	}
	connString, err := WithDatabase(server.base, building)
	if err != nil {
		return "", err
	}
	db, err := postgis.Open(ctx, postgis.Config{URL: connString})
	if err != nil {
		return "", fmt.Errorf("building template database: %w", err)
	}
	db.Close()
	_, err = conn.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{building}.Sanitize()+
		` RENAME TO `+pgx.Identifier{name}.Sanitize())
	if err != nil {
		return "", err
	}
	_, err = conn.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{name}.Sanitize()+` IS_TEMPLATE true`)
	return name, err
}

// migrationsHash identifies the content of the migration files.
func migrationsHash() (string, error) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return "", err
	}
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func dropDatabase(tb testing.TB, name string) {
	_, err := server.admin.Exec(context.Background(), `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`)
	if err != nil {
		tb.Errorf("postgistest: dropping %s: %v", name, err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
