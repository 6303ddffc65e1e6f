package postgis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/maillage/maillage/geo"
)

// mapError turns driver errors the user can act on into *geo.Error: no rows
// becomes ENotFound, unique and foreign-key violations EConflict or
// EInvalid. what names the thing looked for, as in "actor 12".
func mapError(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return geo.Errorf(geo.ENotFound, "%s not found", what)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case "23505": // unique_violation
		switch pgErr.ConstraintName {
		case "actors_siret_kind":
			return &geo.Error{Code: geo.EConflict, Message: "an actor with this SIRET and structure type already exists",
				Fields: map[string]string{"siret": "already used by another actor"}}
		case "actors_source_external_id":
			return &geo.Error{Code: geo.EConflict, Message: "an actor with this external_id already exists for this source",
				Fields: map[string]string{"external_id": "already used by another actor"}}
		case "sectors_pkey":
			return &geo.Error{Code: geo.EConflict, Message: "a sector with this slug already exists",
				Fields: map[string]string{"slug": "already used"}}
		case "users_email_key":
			return &geo.Error{Code: geo.EConflict, Message: "an account with this email already exists",
				Fields: map[string]string{"email": "already used"}}
		case "tokens_pkey":
			return &geo.Error{Code: geo.EConflict, Message: "a token with this name already exists",
				Fields: map[string]string{"name": "already used"}}
		}
		return geo.Errorf(geo.EConflict, "%s conflicts with an existing record", what)
	case "23503": // foreign_key_violation
		if pgErr.ConstraintName == "actor_sectors_sector_slug_fkey" {
			// Both sides report the referencing table; only a delete or
			// rename of a sector says "update or delete".
			if strings.HasPrefix(pgErr.Message, "update or delete") {
				return geo.Errorf(geo.EConflict, "%s is still used by actors", what)
			}
			return &geo.Error{Code: geo.EInvalid, Message: "unknown sector",
				Fields: map[string]string{"sectors": "unknown sector slug"}}
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Unavailable reports whether err comes from a database that cannot
// answer now rather than from the query: unreachable, shutting down,
// refusing connections, or past its deadline or statement_timeout.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return true
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") || // connection_exception
			strings.HasPrefix(pgErr.Code, "57P") || // admin_shutdown, crash_shutdown, cannot_connect_now
			pgErr.Code == "57014" || // query_canceled, as by statement_timeout
			pgErr.Code == "53300" // too_many_connections
	}
	return pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "closed pool") ||
		strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "unexpected EOF")
}
