package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/postgistest"
)

// tokenServer is a server whose token store caches while watching, if
// watch, on db.
func tokenServer(t *testing.T, db *postgis.DB, watch bool) (*httptest.Server, *postgis.TokenStore) {
	t.Helper()
	tokens := postgis.NewTokenStore(db)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	if watch {
		go func() { defer close(done); tokens.WatchTokens(ctx, time.Second) }()
	} else {
		close(done)
	}
	srv := httptest.NewServer(handlers.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), handlers.Deps{
		Actors: postgis.NewActorStore(db), Sectors: postgis.NewSectorStore(db), Auth: tokens, DB: db}, handlers.DefaultOptions()))
	t.Cleanup(func() { srv.Close(); cancel(); <-done })
	return srv, tokens
}

func statusOf(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestTokenCacheRevocation checks that a token cached by one server is
// refused there within seconds of its revocation through another store,
// and that last_used_at is not written on every request.
func TestTokenCacheRevocation(t *testing.T) {
	db := postgistest.New(t)
	a, _ := tokenServer(t, db, true)
	_, other := tokenServer(t, db, true)
	token, err := other.CreateToken(context.Background(), "cress")
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() time.Time {
		var at time.Time
		if err := db.Pool.QueryRow(context.Background(), `SELECT last_used_at FROM tokens WHERE name = 'cress'`).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	// Wait for the listener, then fill the cache.
	deadline := time.Now().Add(10 * time.Second)
	for statusOf(t, a.URL+"/api/sectors", token) != 200 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	// The first requests may come before the listener: they are
	// checked in the database. Once it listens, one request fills the
	// cache and the next ones leave last_used_at alone.
	time.Sleep(time.Second)
	statusOf(t, a.URL+"/api/sectors", token)
	first := lastUsed()
	for range 20 {
		if code := statusOf(t, a.URL+"/api/sectors", token); code != 200 {
			t.Fatalf("keeper request = %d", code)
		}
	}
	if at := lastUsed(); !at.Equal(first) {
		t.Errorf("last_used_at written again within a minute: %v then %v", first, at)
	}
	if err := other.RevokeToken(context.Background(), "cress"); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	for statusOf(t, a.URL+"/api/sectors", token) != 401 {
		if time.Since(revoked) > 5*time.Second {
			t.Fatalf("the revoked token still works after %v", time.Since(revoked))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("revoked token refused after %v", time.Since(revoked).Round(100*time.Microsecond))
}

// TestTokenCacheThroughput measures, in one run, requests/s of keepers
// and of anonymous callers, with the token checked in the database on
// every request (no watcher: as before the cache) and with the cache.
// The figures are logged; they are not asserted.
func TestTokenCacheThroughput(t *testing.T) {
	db := postgistest.New(t)
	measure := func(url, token string, d time.Duration) float64 {
		const workers = 8
		var n atomic.Int64
		var wg sync.WaitGroup
		stop := time.Now().Add(d)
		for range workers {
			wg.Go(func() {
				for time.Now().Before(stop) {
					if statusOf(t, url, token) == 200 {
						n.Add(1)
					}
				}
			})
		}
		wg.Wait()
		return float64(n.Load()) / d.Seconds()
	}
	for _, watch := range []bool{false, true} {
		srv, tokens := tokenServer(t, db, watch)
		token, err := tokens.CreateToken(context.Background(), "bench-"+map[bool]string{false: "db", true: "cache"}[watch])
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)                           // the listener starts
		measure(srv.URL+"/api/sectors", token, 500*time.Millisecond) // warm up
		var anon, keeper float64
		for range 2 { // alternated, so that a burst of the machine weighs on both
			anon += measure(srv.URL+"/api/sectors", "", 1500*time.Millisecond) / 2
			keeper += measure(srv.URL+"/api/sectors", token, 1500*time.Millisecond) / 2
		}
		t.Logf("cache %-5v: anonymous %.0f req/s, keeper %.0f req/s, keeper/anonymous %.2f", watch, anon, keeper, keeper/anon)
	}
}
