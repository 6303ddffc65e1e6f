package postgis_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
)

// connectAsApp connects to the database of db as the application role
// (see EnsureAppRole) for the rest of the test.
func connectAsApp(t *testing.T, db *postgis.DB) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	var dbname string
	if err := db.Pool.QueryRow(ctx, `SELECT current_database()`).Scan(&dbname); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(postgistest.ConnString(t, dbname))
	if err != nil {
		t.Fatal(err)
	}
	cfg.User = postgis.AppRole
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connecting as %s: %v", postgis.AppRole, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestAppRole checks that the application role reads and writes rows, and
// can neither change the schema nor the record of migrations, and owns
// nothing.
func TestAppRole(t *testing.T) {
	ctx := context.Background()
	db := postgistest.New(t)
	if err := db.EnsureAppRole(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureAppRole(ctx, ""); err != nil {
		t.Fatalf("a second time: %v", err)
	}
	conn := connectAsApp(t, db)
	allowed := []string{
		`INSERT INTO sectors (slug, label, color, position) VALUES ('essai', 'Essai', '#123456', 99)`,
		`UPDATE sectors SET label = 'Essai 2' WHERE slug = 'essai'`,
		`SELECT count(*) FROM actors`,
		`SELECT count(*) FROM schema_migrations`,
		`CREATE TEMP TABLE staging (x int)`,
		`DELETE FROM sectors WHERE slug = 'essai'`,
	}
	for _, q := range allowed {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Errorf("as %s: %s: %v", postgis.AppRole, q, err)
		}
	}
	refused := []string{
		`CREATE TABLE intrus (x int)`,
		`DROP TABLE actors`,
		`ALTER TABLE actors ADD COLUMN x int`,
		`TRUNCATE actors`,
		`DELETE FROM schema_migrations`,
		`INSERT INTO schema_migrations (name) VALUES ('9999_x.sql')`,
		`CREATE ROLE intrus`,
	}
	for _, q := range refused {
		_, err := conn.Exec(ctx, q)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("as %s: %s = %v, want permission denied (42501)", postgis.AppRole, q, err)
		}
	}
	var owned int
	conn.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relpersistence <> 't' AND relowner = (SELECT oid FROM pg_roles WHERE rolname = $1)`, postgis.AppRole).Scan(&owned)
	if owned != 0 {
		t.Errorf("%s owns %d relations", postgis.AppRole, owned)
	}
}
