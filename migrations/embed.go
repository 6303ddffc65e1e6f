// Package migrations holds the database schema as numbered, forward-only SQL
// files. Never edit a file once it has been applied somewhere: add a new one.
package migrations

import "embed"

// FS holds the migration files, applied in name order.
//
//go:embed *.sql
var FS embed.FS
