package handlers_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/postgistest"
)

// accountServer is the real router on a fresh database with one account
// and one bearer token of each role.
type accountServer struct {
	*httptest.Server
	db     *postgis.DB
	users  *postgis.UserStore
	tokens map[string]string // role -> bearer token
	ids    map[string]int64  // role -> user id

	handler *handlers.Server
}

func newAccountServer(t *testing.T, edit func(*handlers.Options)) *accountServer {
	t.Helper()
	ctx := context.Background()
	db := postgistest.New(t)
	actors, sectors, tokens := postgis.NewActorStore(db), postgis.NewSectorStore(db), postgis.NewTokenStore(db)
	s := &accountServer{db: db, users: postgis.NewUserStore(db), tokens: map[string]string{}, ids: map[string]int64{}}
	for _, role := range geo.Roles {
		tok, err := tokens.CreateRoleToken(ctx, "test-"+role, role)
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[role] = tok
		u, _, err := s.users.CreateUser(ctx, role+"@example.org", role)
		if err != nil {
			t.Fatal(err)
		}
		s.ids[role] = u.ID
	}
	opts := handlers.DefaultOptions()
	if edit != nil {
		edit(&opts)
	}
	importer := &actorfile.Importer{Store: actors, Sectors: sectors, DefaultSector: "autres"}
	ts, err := postgis.NewTileStore(ctx, db, 2)
	if err != nil {
		t.Fatal(err)
	}
	s.handler = handlers.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), handlers.Deps{
		Actors: actors, Sectors: sectors, Auth: tokens, Importer: importer, DB: db, Unavailable: postgis.Unavailable,
		Users: s.users, History: actors, Suggestions: postgis.NewSuggestionStore(db), Workshops: postgis.NewWorkshopStore(db), Geocoding: postgis.NewGeocodingStore(db),
		Territories: postgis.NewTerritoryStore(db), Coverage: postgis.NewCoverageStore(db), Nearby: actors,
		Tiles: ts, TerritoryTiles: ts, Features: postgis.NewFeatureStore(db)}, opts)
	srv := httptest.NewServer(s.handler)
	t.Cleanup(func() { srv.Close(); ts.Close() })
	s.Server = srv
	return s
}

// session opens a session for the account of role straight in the
// database (no password hashing), live or already expired, and returns
// its cookie value and CSRF token.
func (s *accountServer) session(t *testing.T, role string, expired bool) (id, csrf string) {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	id = base64.RawURLEncoding.EncodeToString(b)
	csrf = "csrf-" + id[:16]
	sum := sha256.Sum256([]byte(id))
	expires := time.Now().Add(time.Hour)
	if expired {
		expires = time.Now().Add(-time.Minute)
	}
	_, err := s.db.Pool.Exec(context.Background(), `INSERT INTO sessions (hash, user_id, csrf, expires_at) VALUES ($1, $2, $3, $4)`,
		sum[:], s.ids[role], csrf, expires)
	if err != nil {
		t.Fatal(err)
	}
	return id, csrf
}

// setPassword gives the account of role a password through a one-time link.
func (s *accountServer) setPassword(t *testing.T, role, password string) {
	t.Helper()
	_, link, err := s.users.IssuePasswordLink(context.Background(), role+"@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if code, body := s.send(t, "PUT", "/api/password", map[string]string{"link": link, "password": password}, nil); code != 204 {
		t.Fatalf("setting a password = %d %s", code, body)
	}
}

// send sends a JSON body (nil for none) with the headers, and returns the
// status and the body.
func (s *accountServer) send(t *testing.T, method, path string, body any, header http.Header) (int, string) {
	t.Helper()
	resp := s.sendResp(t, method, path, body, header)
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(data)
}

func (s *accountServer) sendResp(t *testing.T, method, path string, body any, header http.Header) *http.Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = strings.NewReader(string(data))
	}
	req, _ := http.NewRequest(method, s.URL+path, r)
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func cookieHeader(id, csrf, origin string) http.Header {
	h := http.Header{"Cookie": {"maillage_session=" + id}}
	if csrf != "" {
		h.Set("X-CSRF-Token", csrf)
	}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return h
}

func sessionCookieOf(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == "maillage_session" {
			return c
		}
	}
	return nil
}

func TestSignIn(t *testing.T) {
	s := newAccountServer(t, nil)
	s.setPassword(t, "keeper", "un mot de passe sûr")

	// A session id planted before sign-in (fixation) is not the one after.
	planted, _ := s.session(t, "moderator", false)
	resp := s.sendResp(t, "POST", "/api/session", map[string]string{"email": "Keeper@Example.org", "password": "un mot de passe sûr"},
		http.Header{"Cookie": {"maillage_session=" + planted}, "Origin": {s.URL}})
	var got struct {
		User      geo.User `json:"user"`
		CSRFToken string   `json:"csrf_token"`
	}
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	ck := sessionCookieOf(resp)
	if resp.StatusCode != 200 || ck == nil || got.User.Role != "keeper" || got.CSRFToken == "" {
		t.Fatalf("sign-in = %d, cookie %v, %+v", resp.StatusCode, ck, got)
	}
	if ck.Value == planted {
		t.Error("the session id did not change at sign-in")
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, not Secure over http", ck)
	}
	if code, body := s.send(t, "GET", "/api/session", nil, cookieHeader(planted, "", "")); code != 200 || !strings.Contains(body, `"user":null`) {
		t.Errorf("the planted session still works after sign-in: %d %s", code, body)
	}
	if code, body := s.send(t, "GET", "/api/session", nil, cookieHeader(ck.Value, "", "")); code != 200 || !strings.Contains(body, got.CSRFToken) {
		t.Errorf("GET /api/session = %d %s", code, body)
	}

	// Writes through the session: same origin and the CSRF token.
	actor := map[string]any{"name": "Recyclerie du Marais", "sectors": []string{"reemploi"},
		"address": map[string]string{"city": "Niort", "postcode": "79000"}}
	if code, body := s.send(t, "POST", "/api/actors", actor, cookieHeader(ck.Value, got.CSRFToken, "https://evil.example")); code != 403 {
		t.Errorf("cross-origin write with the session and its token = %d %s, want 403", code, body)
	}
	if code, body := s.send(t, "POST", "/api/actors", actor, cookieHeader(ck.Value, "", s.URL)); code != 403 {
		t.Errorf("write without the CSRF token = %d %s, want 403", code, body)
	}
	if code, body := s.send(t, "POST", "/api/actors", actor, cookieHeader(ck.Value, "wrong", s.URL)); code != 403 {
		t.Errorf("write with a wrong CSRF token = %d %s, want 403", code, body)
	}
	if code, body := s.send(t, "POST", "/api/actors", actor, cookieHeader(ck.Value, got.CSRFToken, s.URL)); code != 201 {
		t.Errorf("same-origin write with the token = %d %s, want 201", code, body)
	}

	// Signing out ends the session.
	if code, body := s.send(t, "DELETE", "/api/session", nil, cookieHeader(ck.Value, got.CSRFToken, s.URL)); code != 204 {
		t.Errorf("sign-out = %d %s", code, body)
	}
	if code, body := s.send(t, "GET", "/api/session", nil, cookieHeader(ck.Value, "", "")); code != 200 || !strings.Contains(body, `"user":null`) {
		t.Errorf("session after sign-out = %d %s, want no user", code, body)
	}
}

// TestCrossOriginFormPost: a form on another site posting to the API
// with the victim's cookie is refused, whatever the route.
func TestCrossOriginFormPost(t *testing.T) {
	s := newAccountServer(t, nil)
	id, _ := s.session(t, "admin", false)
	for _, path := range []string{"/api/actors", "/api/users", "/api/sectors"} {
		req, _ := http.NewRequest("POST", s.URL+path, strings.NewReader("name=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Cookie", "maillage_session="+id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 && resp.StatusCode != 415 {
			t.Errorf("cross-origin form post to %s = %d, want refused", path, resp.StatusCode)
		}
	}
	var n int
	s.db.Pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM actors) + (SELECT count(*) FROM users WHERE email = 'x')`).Scan(&n)
	if n != 0 {
		t.Errorf("%d rows written by cross-origin posts", n)
	}
}

func TestSignInRateLimit(t *testing.T) {
	s := newAccountServer(t, nil)
	s.setPassword(t, "moderator", "le bon mot de passe")
	try := func(password string) int {
		code, _ := s.send(t, "POST", "/api/session", map[string]string{"email": "moderator@example.org", "password": password}, nil)
		return code
	}
	for i := 1; i <= 10; i++ {
		if code := try("mauvais mot de passe"); code != 401 {
			t.Fatalf("wrong password %d = %d, want 401", i, code)
		}
	}
	resp := s.sendResp(t, "POST", "/api/session", map[string]string{"email": "moderator@example.org", "password": "mauvais mot de passe"}, nil)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("11th wrong password = %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if code := try("le bon mot de passe"); code != 429 {
		t.Errorf("right password while locked = %d, want 429", code)
	}
	// Another account from the same address is not locked by this one.
	s.setPassword(t, "animator", "un autre mot de passe")
	if code, _ := s.send(t, "POST", "/api/session", map[string]string{"email": "animator@example.org", "password": "un autre mot de passe"}, nil); code != 200 {
		t.Errorf("another account = %d, want 200", code)
	}
}

func TestSignInRateLimitPerIP(t *testing.T) {
	s := newAccountServer(t, func(o *handlers.Options) { o.SignInFailuresPerIP = 3 })
	for i, email := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		if code, _ := s.send(t, "POST", "/api/session", map[string]string{"email": email, "password": "x"}, nil); code != 401 {
			t.Fatalf("try %d = %d, want 401", i, code)
		}
	}
	if code, _ := s.send(t, "POST", "/api/session", map[string]string{"email": "d@example.org", "password": "x"}, nil); code != 429 {
		t.Errorf("4th wrong password from one address = %d, want 429", code)
	}
}

func TestPasswordLink(t *testing.T) {
	s := newAccountServer(t, nil)
	_, link, err := s.users.IssuePasswordLink(context.Background(), "keeper@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if code, body := s.send(t, "PUT", "/api/password", map[string]string{"link": link, "password": "court"}, nil); code != 400 || !strings.Contains(body, `"password"`) {
		t.Errorf("short password = %d %s, want 400 naming password", code, body)
	}
	if code, _ := s.send(t, "PUT", "/api/password", map[string]string{"link": link, "password": "assez long maintenant"}, nil); code != 204 {
		t.Errorf("set password = %d", code)
	}
	if code, _ := s.send(t, "PUT", "/api/password", map[string]string{"link": link, "password": "encore une fois"}, nil); code != 401 {
		t.Errorf("the link used twice = %d, want 401", code)
	}
	// Asking for a link says the same whether or not the account exists.
	for _, email := range []string{"keeper@example.org", "nobody@example.org"} {
		if code, _ := s.send(t, "POST", "/api/password-links", map[string]string{"email": email}, nil); code != 202 {
			t.Errorf("link for %s = %d, want 202", email, code)
		}
	}
}

func TestUsersAdmin(t *testing.T) {
	s := newAccountServer(t, nil)
	admin := http.Header{"Authorization": {"Bearer " + s.tokens["admin"]}}
	var created struct {
		ID           int64  `json:"id"`
		Role         string `json:"role"`
		PasswordLink string `json:"password_link"`
	}
	code, body := s.send(t, "POST", "/api/users", map[string]string{"email": "nouvelle@example.org", "role": "animator"}, admin)
	json.Unmarshal([]byte(body), &created)
	if code != 201 || created.Role != "animator" || !strings.Contains(created.PasswordLink, "/connexion#lien=") {
		t.Fatalf("create = %d %s", code, body)
	}
	if code, body := s.send(t, "POST", "/api/users", map[string]string{"email": "pas une adresse", "role": "chef"}, admin); code != 400 ||
		!strings.Contains(body, `"email"`) {
		t.Errorf("bad user = %d %s, want 400 naming email", code, body)
	}
	if code, _ := s.send(t, "POST", "/api/users", map[string]string{"email": "nouvelle@example.org", "role": "keeper"}, admin); code != 409 {
		t.Errorf("same email = %d, want 409", code)
	}
	// A new role ends the account's sessions.
	id, _ := s.session(t, "moderator", false)
	if code, body := s.send(t, "PATCH", "/api/users/"+itoa(s.ids["moderator"]), map[string]string{"role": "keeper"}, admin); code != 200 {
		t.Errorf("role change = %d %s", code, body)
	}
	if code, body := s.send(t, "GET", "/api/session", nil, cookieHeader(id, "", "")); code != 200 || !strings.Contains(body, `"user":null`) {
		t.Errorf("session after a role change = %d %s, want no user", code, body)
	}
	if code, _ := s.send(t, "DELETE", "/api/users/"+itoa(created.ID), nil, admin); code != 204 {
		t.Errorf("delete = %d", code)
	}
}
