package postgis

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// TokenStore keeps the API tokens of directory keepers. Only a SHA-256 of
// each token is stored, so a lost token cannot be shown again.
type TokenStore struct {
	db *DB
}

// NewTokenStore returns a store of tokens on db.
func NewTokenStore(db *DB) *TokenStore {
	return &TokenStore{db: db}
}

const tokenPrefix = "mlg_"

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// CreateToken makes a new token called name and returns it; this is the
// only time it can be read. Returns EInvalid for an empty name, EConflict
// if the name is taken.
func (s *TokenStore) CreateToken(ctx context.Context, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", &geo.Error{Code: geo.EInvalid, Message: "invalid token name",
			Fields: map[string]string{"name": "required, at most 100 characters"}}
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(randomBytes(32))
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO tokens (name, hash) VALUES ($1, $2)`, name, hashToken(token))
	if err != nil {
		return "", mapError(err, "token")
	}
	return token, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails on Linux; crypto/rand panics otherwise
	return b
}

// RevokeToken deletes the token called name. Returns ENotFound.
func (s *TokenStore) RevokeToken(ctx context.Context, name string) error {
	tag, err := s.db.Pool.Exec(ctx, `DELETE FROM tokens WHERE name = $1`, name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return geo.Errorf(geo.ENotFound, "token %q not found", name)
	}
	return nil
}

// TokenInfo describes a token without revealing it.
type TokenInfo struct {
	Name       string
	Role       string
	CreatedAt  time.Time  `db:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at"`
}

// FindTokens lists the tokens by name.
func (s *TokenStore) FindTokens(ctx context.Context) ([]TokenInfo, error) {
	rows, _ := s.db.Pool.Query(ctx, `SELECT name, role, created_at, last_used_at FROM tokens ORDER BY name`)
	return pgx.CollectRows(rows, pgx.RowToStructByName[TokenInfo])
}

// Authenticate returns the keeper that token belongs to, or EUnauthorized.
func (s *TokenStore) Authenticate(ctx context.Context, token string) (*geo.Keeper, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return nil, geo.Errorf(geo.EUnauthorized, "invalid token")
	}
	var k geo.Keeper
	err := s.db.Pool.QueryRow(ctx, `
		UPDATE tokens SET last_used_at = now()
		WHERE hash = $1
		RETURNING name, role`, hashToken(token)).Scan(&k.Name, &k.Role)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, geo.Errorf(geo.EUnauthorized, "invalid token")
	}
	if err != nil {
		return nil, err
	}
	return &k, nil
}
