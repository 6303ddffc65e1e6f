package postgis

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// AppRole is the role the server runs as: it reads and writes the rows of
// maillage's tables and owns nothing, so that it can neither change the
// schema nor rewrite the record of applied migrations.
const AppRole = "maillage_app"

// EnsureAppRole creates AppRole if missing, and grants it what the server
// needs on the current database: connect, temporary tables (imports stage
// their rows in one), and the rows of every table and sequence of the
// public schema; schema_migrations only read, audit_log only read and
// appended to. With a password the role
// may log in with it (ALTER ROLE on each call, so that changing the
// setting changes the password); without, it logs in only where the
// server trusts it, as on the private cluster's socket. It must run as
// the owner of the tables, after the migrations, which it follows: new
// tables get their grants on the next start.
func (db *DB) EnsureAppRole(ctx context.Context, password string) error {
	var exists bool
	if err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, AppRole).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		_, err := db.execFormatted(ctx, `SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', $1::text)`, AppRole)
		var pgErr *pgconn.PgError
		if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42710") { // duplicate_object: created meanwhile
			return err
		}
	}
	if password != "" {
		if _, err := db.execFormatted(ctx, `SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)`, AppRole, password); err != nil {
			return err
		}
	}
	for _, grant := range []string{
		`SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), $1::text)`,
		`SELECT format('GRANT USAGE ON SCHEMA public TO %I', $1::text)`,
		`SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', $1::text)`,
		`SELECT format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO %I', $1::text)`,
		`SELECT format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM %I', $1::text)`,
		`SELECT format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM %I', $1::text)`,
	} {
		if _, err := db.execFormatted(ctx, grant, AppRole); err != nil {
			return err
		}
	}
	return nil
}

// execFormatted runs the statement that query, a SELECT format(...) with
// %I and %L quoting its arguments, returns: DDL takes no parameters.
func (db *DB) execFormatted(ctx context.Context, query string, args ...any) (pgconn.CommandTag, error) {
	var stmt string
	if err := db.Pool.QueryRow(ctx, query, args...).Scan(&stmt); err != nil {
		return pgconn.CommandTag{}, err
	}
	return db.Pool.Exec(ctx, stmt)
}
