package postgis

import (
	"context"
	"io/fs"
)

// MigrateFS applies the migrations in fsys instead of migrations.FS.
func (db *DB) MigrateFS(ctx context.Context, fsys fs.FS) ([]string, error) {
	return db.migrate(ctx, fsys)
}

var CheckExtensions = checkExtensions
