package postgis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"

	"github.com/jackc/pgx/v5"
)

// Setting returns the value of an installation setting, "" if unset.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := db.Pool.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetSetting sets an installation setting.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	_, err := db.Pool.Exec(ctx, `
		INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// Secret returns the installation's secret named key: 32 random bytes,
// made by the first process that asks and then shared by every server on
// the database, so that what one signs another accepts, across restarts.
func (db *DB) Secret(ctx context.Context, key string) ([]byte, error) {
	fresh := make([]byte, 32)
	rand.Read(fresh)
	var v string
	var err error
	// A second try sees the secret of a process that made it while this
	// statement's snapshot was already taken.
	for range 2 {
		err = db.Pool.QueryRow(ctx, `
			WITH made AS (
				INSERT INTO settings (key, value) VALUES ($1, $2)
				ON CONFLICT (key) DO NOTHING RETURNING value)
			SELECT value FROM made UNION ALL SELECT value FROM settings WHERE key = $1
			LIMIT 1`, key, hex.EncodeToString(fresh)).Scan(&v)
		if !errors.Is(err, pgx.ErrNoRows) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}
