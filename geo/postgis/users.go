package postgis

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// UserStore keeps the accounts, their sessions and their one-time
// password links. Session ids and links are random and only their
// SHA-256 is stored.
type UserStore struct {
	db *DB
}

// NewUserStore returns a store of accounts on db.
func NewUserStore(db *DB) *UserStore { return &UserStore{db: db} }

// PasswordLinkTTL is how long a one-time password link stays valid.
const PasswordLinkTTL = 48 * time.Hour

func newSecret() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

func secretHash(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

const userColumns = `id, email, role, password_hash IS NOT NULL AS has_password, created_at`

// CreateUser adds an account for email with role, without a password,
// and returns it with a one-time link token to set the password.
// Returns EInvalid for a bad email or role, EConflict for a taken email.
func (s *UserStore) CreateUser(ctx context.Context, email, role string) (*geo.User, string, error) {
	email, err := geo.NormalizeEmail(email)
	if err != nil {
		return nil, "", err
	}
	if err := geo.CheckRole(role); err != nil {
		return nil, "", err
	}
	return s.userWithLink(ctx, `INSERT INTO users (email, role) VALUES ($1, $2) RETURNING `+userColumns, email, role)
}

func issueLink(ctx context.Context, tx pgx.Tx, userID int64) (string, error) {
	link := newSecret()
	_, err := tx.Exec(ctx, `
		INSERT INTO password_links (hash, user_id, expires_at)
		VALUES ($1, $2, now() + make_interval(secs => $3))`,
		secretHash(link), userID, PasswordLinkTTL.Seconds())
	return link, err
}

// IssuePasswordLink returns a new one-time link token for the account of
// email, and the account. Returns ENotFound for an unknown email.
func (s *UserStore) IssuePasswordLink(ctx context.Context, email string) (*geo.User, string, error) {
	email, err := geo.NormalizeEmail(email)
	if err != nil {
		return nil, "", err
	}
	return s.userWithLink(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, email)
}

// userWithLink runs query, which returns the userColumns of one account,
// and issues a one-time link token for that account, in one transaction.
// Returns ENotFound if query returns no account, and the error of query
// mapped (EConflict for a taken email).
func (s *UserStore) userWithLink(ctx context.Context, query string, args ...any) (*geo.User, string, error) {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback(ctx)
	rows, _ := tx.Query(ctx, query, args...)
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[geo.User])
	if err != nil {
		return nil, "", mapError(err, "user")
	}
	link, err := issueLink(ctx, tx, u.ID)
	if err != nil {
		return nil, "", err
	}
	return &u, link, tx.Commit(ctx)
}

// SetPassword sets the password of the account of the one-time link,
// uses the link up (with every other link of the account) and ends the
// account's sessions. Returns EInvalid for a bad password and
// EUnauthorized for an unknown, used or expired link.
func (s *UserStore) SetPassword(ctx context.Context, link, password string) error {
	if err := geo.CheckPassword(password); err != nil {
		return err
	}
	hash := geo.HashPassword(password)
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var userID int64
	var fresh bool
	err = tx.QueryRow(ctx, `
		DELETE FROM password_links WHERE hash = $1 RETURNING user_id, expires_at > now()`,
		secretHash(link)).Scan(&userID, &fresh)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !fresh) {
		return geo.Errorf(geo.EUnauthorized, "this link is unknown, used or expired")
	}
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, userID, hash); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM password_links WHERE user_id = $1`, userID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// SignIn checks email and password and opens a session of ttl, ending
// the session previous (the caller's former cookie, if any), so that a
// session id planted before sign-in is worth nothing after it. Returns
// EUnauthorized for a wrong email or password, in the time a right one
// takes.
func (s *UserStore) SignIn(ctx context.Context, email, password, previous string, ttl time.Duration) (*geo.Session, error) {
	wrong := geo.Errorf(geo.EUnauthorized, "wrong email or password")
	email, err := geo.NormalizeEmail(email)
	if err != nil {
		geo.VerifyPassword("", password)
		return nil, wrong
	}
	var u geo.User
	var hash *string
	err = s.db.Pool.QueryRow(ctx, `SELECT id, email, role, created_at, password_hash FROM users WHERE email = $1`, email).
		Scan(&u.ID, &u.Email, &u.Role, &u.CreatedAt, &hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	if hash == nil {
		geo.VerifyPassword("", password)
		return nil, wrong
	}
	if !geo.VerifyPassword(*hash, password) {
		return nil, wrong
	}
	u.HasPassword = true
	sess := &geo.Session{ID: newSecret(), CSRF: newSecret(), User: u}
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	if previous != "" {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE hash = $1`, secretHash(previous)); err != nil {
			return nil, err
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND expires_at < now()`, u.ID); err != nil {
		return nil, err
	}
	err = tx.QueryRow(ctx, `
		INSERT INTO sessions (hash, user_id, csrf, expires_at)
		VALUES ($1, $2, $3, now() + make_interval(secs => $4))
		RETURNING expires_at`, secretHash(sess.ID), u.ID, sess.CSRF, ttl.Seconds()).Scan(&sess.Expires)
	if err != nil {
		return nil, err
	}
	return sess, tx.Commit(ctx)
}

// FindSession returns the live session of id. Returns EUnauthorized for
// an unknown or expired one.
func (s *UserStore) FindSession(ctx context.Context, id string) (*geo.Session, error) {
	sess := &geo.Session{ID: id}
	u := &sess.User
	err := s.db.Pool.QueryRow(ctx, `
		SELECT u.id, u.email, u.role, u.created_at, s.csrf, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.hash = $1 AND s.expires_at > now()`, secretHash(id)).
		Scan(&u.ID, &u.Email, &u.Role, &u.CreatedAt, &sess.CSRF, &sess.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, geo.Errorf(geo.EUnauthorized, "the session has expired: sign in again")
	}
	if err != nil {
		return nil, err
	}
	u.HasPassword = true
	return sess, nil
}

// SignOut ends the session of id; an unknown one is no error.
func (s *UserStore) SignOut(ctx context.Context, id string) error {
	_, err := s.db.Pool.Exec(ctx, `DELETE FROM sessions WHERE hash = $1`, secretHash(id))
	return err
}

// FindUsers lists the accounts by email.
func (s *UserStore) FindUsers(ctx context.Context) ([]geo.User, error) {
	rows, _ := s.db.Pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY email`)
	return pgx.CollectRows(rows, pgx.RowToStructByName[geo.User])
}

// SetRole gives the account id role and ends its sessions, so that the
// new role applies at once. Returns EInvalid and ENotFound.
func (s *UserStore) SetRole(ctx context.Context, id int64, role string) (*geo.User, error) {
	if err := geo.CheckRole(role); err != nil {
		return nil, err
	}
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	rows, _ := tx.Query(ctx, `
		UPDATE users SET role = $2, updated_at = now() WHERE id = $1 RETURNING `+userColumns, id, role)
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[geo.User])
	if err != nil {
		return nil, mapError(err, "user")
	}
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
		return nil, err
	}
	return &u, tx.Commit(ctx)
}

// DeleteUser deletes the account id with its sessions and links.
// Returns ENotFound.
func (s *UserStore) DeleteUser(ctx context.Context, id int64) error {
	tag, err := s.db.Pool.Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return geo.Errorf(geo.ENotFound, "user %d not found", id)
	}
	return nil
}
