package postgis

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// TokenStore keeps the API tokens of directory keepers. Only a SHA-256 of
// each token is stored, so a lost token cannot be shown again.
//
// While WatchTokens runs, tokens found valid are remembered for
// tokenCacheTTL, so that a keeper's request costs no query: a revocation
// reaches every server at once by a notification, and the cache is
// emptied and unused whenever the notifications may have been missed.
// last_used_at is written at most once per lastUsedEvery.
type TokenStore struct {
	db *DB

	mu    sync.Mutex
	live  bool                    // WatchTokens listens: the cache may be used
	gen   uint64                  // counts the emptyings, so that a check racing one is not kept
	cache map[[32]byte]tokenEntry // by SHA-256 of the token
}

type tokenEntry struct {
	keeper   geo.Keeper
	checked  time.Time // when the database said it was valid
	lastUsed time.Time // last write of last_used_at
}

const (
	tokenCacheTTL = 30 * time.Second
	lastUsedEvery = time.Minute
	tokenCacheMax = 10000
	tokensChannel = "maillage_tokens"
)

// NewTokenStore returns a store of tokens on db.
func NewTokenStore(db *DB) *TokenStore {
	return &TokenStore{db: db, cache: make(map[[32]byte]tokenEntry)}
}

const tokenPrefix = "mlg_"

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// CreateToken makes a new keeper's token called name and returns it;
// this is the only time it can be read. Returns EInvalid for an empty
// name, EConflict if the name is taken.
func (s *TokenStore) CreateToken(ctx context.Context, name string) (string, error) {
	return s.CreateRoleToken(ctx, name, geo.AccountKeeper)
}

// CreateRoleToken is CreateToken for a token of role. Returns EInvalid
// for a role not in geo.Roles.
func (s *TokenStore) CreateRoleToken(ctx context.Context, name, role string) (string, error) {
	if err := geo.CheckRole(role); err != nil {
		return "", err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", &geo.Error{Code: geo.EInvalid, Message: "invalid token name",
			Fields: map[string]string{"name": "required, at most 100 characters"}}
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(randomBytes(32))
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO tokens (name, hash, role) VALUES ($1, $2, $3)`, name, hashToken(token), role)
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
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `DELETE FROM tokens WHERE name = $1`, name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return geo.Errorf(geo.ENotFound, "token %q not found", name)
	}
	// Every server's cache forgets its tokens when this commits.
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, tokensChannel, name); err != nil {
		return err
	}
	return tx.Commit(ctx)
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
	hash := sha256.Sum256([]byte(token))
	now := time.Now()
	s.mu.Lock()
	e, ok := s.cache[hash]
	fresh := ok && s.live && now.Sub(e.checked) < tokenCacheTTL
	if fresh && now.Sub(e.lastUsed) < lastUsedEvery {
		s.mu.Unlock()
		k := e.keeper
		return &k, nil
	}
	gen := s.gen
	s.mu.Unlock()

	// Not known, stale, or last_used_at is due: one statement checks the
	// token and records its use.
	var k geo.Keeper
	err := s.db.Pool.QueryRow(ctx, `
		UPDATE tokens SET last_used_at = now()
		WHERE hash = $1
		RETURNING name, role`, hash[:]).Scan(&k.Name, &k.Role)
	if errors.Is(err, pgx.ErrNoRows) {
		s.forget(hash)
		return nil, geo.Errorf(geo.EUnauthorized, "invalid token")
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.live && s.gen == gen {
		if len(s.cache) >= tokenCacheMax {
			clear(s.cache)
		}
		s.cache[hash] = tokenEntry{keeper: k, checked: now, lastUsed: now}
	}
	s.mu.Unlock()
	return &k, nil
}

func (s *TokenStore) forget(hash [32]byte) {
	s.mu.Lock()
	delete(s.cache, hash)
	s.mu.Unlock()
}

// setLive empties the cache and says whether it may be filled: only
// while the notifications of revocations are heard.
func (s *TokenStore) setLive(live bool) {
	s.mu.Lock()
	s.live = live
	s.gen++
	clear(s.cache)
	s.mu.Unlock()
}

// WatchTokens listens for revocations until ctx ends, on a connection of
// its own (see ListenTokens). It reconnects with a delay doubling up to
// retryMax.
func (s *TokenStore) WatchTokens(ctx context.Context, retryMax time.Duration) {
	l := NewListener(s.db)
	s.ListenTokens(l)
	l.Run(ctx, retryMax)
}

// ListenTokens has l empty the cache on each revocation; while l is not
// listening (at first, after a lost connection) every request checks its
// token in the database.
func (s *TokenStore) ListenTokens(l *Listener) {
	l.Listen(tokensChannel, Channel{
		Listening: func(context.Context, *pgx.Conn) error { s.setLive(true); return nil },
		Notified:  func(context.Context, *pgx.Conn, string) error { s.setLive(true); return nil }, // empties the cache
		Lost:      func() { s.setLive(false) },
	})
}
