package postgis

import (
	"context"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
)

// OpenSibling opens the database name on db's server, creating it when
// missing (which needs the CREATEDB privilege), with the current schema.
// Measures use it to keep their data sets apart from the application's.
// Close it before db.
func (db *DB) OpenSibling(ctx context.Context, name string) (*DB, error) {
	var exists bool
	err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists)
	if err != nil {
		return nil, err
	}
	if !exists {
		if _, err := db.Pool.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
			return nil, err
		}
	}
	return Open(ctx, Config{URL: db.siblingURL(name), Logger: db.logger})
}

// DropSibling drops the database name on db's server, if it exists.
func (db *DB) DropSibling(ctx context.Context, name string) error {
	_, err := db.Pool.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`)
	return err
}

func (db *DB) siblingURL(name string) string {
	cs := db.Pool.Config().ConnString()
	if strings.HasPrefix(cs, "postgres://") || strings.HasPrefix(cs, "postgresql://") {
		if u, err := url.Parse(cs); err == nil {
			u.Path, u.RawPath = "/"+name, ""
			return u.String()
		}
	}
	// In keyword/value strings the last occurrence of a keyword wins.
	return cs + " dbname=" + quoteConnValue(name)
}

// quoteConnValue quotes v for a keyword/value connection string.
func quoteConnValue(v string) string {
	if v != "" && !strings.ContainsAny(v, ` '\`) {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
