package postgis

import (
	"context"
	"fmt"
	"io/fs"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/migrations"
)

// migrateLock is the advisory lock key held while migrating, so that two
// processes starting together apply each file once.
const migrateLock = 0x6d61696c6c616765 // "maillage"

// Migrate applies the migrations not yet applied, in name order, each in its
// own transaction, and returns the names of those it applied. On failure the
// failing file is rolled back and named in the error; the files before it
// stay applied.
func (db *DB) Migrate(ctx context.Context) (applied []string, err error) {
	return db.migrate(ctx, migrations.FS)
}

func (db *DB) migrate(ctx context.Context, fsys fs.FS) (applied []string, err error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)

	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return nil, connectError(err)
	}
	defer conn.Release()
	// A migration may rewrite a large table: no statement_timeout, put
	// back before the connection returns to the pool.
	if _, err := conn.Exec(ctx, `SET statement_timeout = 0`); err != nil {
		return nil, err
	}
	defer conn.Exec(context.Background(), `RESET statement_timeout`)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLock)); err != nil {
		return nil, err
	}
	defer func() {
		_, uerr := conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(migrateLock))
		if uerr != nil && err == nil {
			err = uerr
		}
	}()

	_, err = conn.Exec(ctx, `
		CREATE TABLE IF NOT EXISTS schema_migrations (
			name       text PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`)
	if err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}

	for _, name := range names {
		if slices.Contains(done, name) {
			continue
		}
		sql, err := fs.ReadFile(fsys, name)
		if err != nil {
			return applied, err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// Without arguments Exec uses the simple protocol, which runs
			// every statement of the file.
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (name) VALUES ($1)`, name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", name, err)
		}
		db.logger.Info("applied migration", "name", name)
		applied = append(applied, name)
	}
	return applied, nil
}
