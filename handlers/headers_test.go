package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/maillage/maillage/handlers"
)

func getWithHost(t *testing.T, u, host string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if host != "" {
		req.Host = host
		req.Header.Set("X-Forwarded-Proto", "https")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestSecurityHeaders checks the headers of the page, the API and the
// embeddable map: framing only with ?embed=1 on the map and actor pages.
func TestSecurityHeaders(t *testing.T) {
	s := newTestServer(t, nil)
	for _, c := range []struct {
		path  string
		frame bool
	}{
		{"/", false}, {"/?embed=1", true}, {"/acteurs/1?embed=1", true}, {"/api/actors", false},
		{"/api/actors?embed=1", false}, {"/ateliers?embed=1", false}, {"/?embed=0", false},
		{"/?embed=1&legend=0&search=0&full=0&sectors=insertion,reemploi&lock=1", true},
	} {
		resp := getWithHost(t, s.URL+c.path, "")
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && !strings.HasPrefix(c.path, "/acteurs/") && !strings.HasPrefix(c.path, "/api/") &&
			!strings.HasPrefix(c.path, "/ateliers") {
			t.Errorf("%s = %d, want 200", c.path, resp.StatusCode)
		}
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" ||
			!strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") ||
			!strings.Contains(csp, "https://tile.openstreetmap.org") {
			t.Errorf("%s: headers %v", c.path, h)
		}
		framable := strings.Contains(csp, "frame-ancestors *") && h.Get("X-Frame-Options") == ""
		denied := strings.Contains(csp, "frame-ancestors 'none'") && h.Get("X-Frame-Options") == "DENY"
		if framable != c.frame || denied == c.frame {
			t.Errorf("%s: framing %v, want %v (CSP %q, X-Frame-Options %q)", c.path, framable, c.frame, csp, h.Get("X-Frame-Options"))
		}
	}
}

// TestPublicURL checks that a forged Host changes neither the next links
// nor the TileJSON tiles when MAILLAGE_PUBLIC_URL is set, and that without
// it the answers say they vary with the host.
func TestPublicURL(t *testing.T) {
	pub, _ := url.Parse("https://carte.example.org/ess")
	pinned := newTestServer(t, func(o *handlers.Options) { o.PublicURL = pub; o.PageMax = 1 })
	plain := newTestServer(t, func(o *handlers.Options) { o.PageMax = 1 })
	for _, s := range []*testServer{pinned, plain} {
		for _, n := range []string{"A", "B"} {
			s.do(t, "POST", "/api/actors", map[string]any{"name": n, "sectors": []string{"culture"}}, true, nil)
		}
	}
	next := func(s *testServer, host string) (string, http.Header) {
		resp := getWithHost(t, s.URL+"/api/actors?limit=1", host)
		defer resp.Body.Close()
		var l actorList
		json.NewDecoder(resp.Body).Decode(&l)
		if l.Next == nil {
			t.Fatalf("no next link")
		}
		return *l.Next, resp.Header
	}
	tiles := func(s *testServer, host string) (string, http.Header) {
		resp := getWithHost(t, s.URL+"/tiles/actors.json?sectors=culture", host)
		defer resp.Body.Close()
		var doc struct{ Tiles []string }
		json.NewDecoder(resp.Body).Decode(&doc)
		if len(doc.Tiles) != 1 {
			t.Fatalf("tilejson %+v", doc)
		}
		return doc.Tiles[0], resp.Header
	}
	for name, get := range map[string]func(*testServer, string) (string, http.Header){"next": next, "tiles": tiles} {
		a, _ := get(pinned, "")
		b, h := get(pinned, "evil.example")
		if a != b || !strings.HasPrefix(a, "https://carte.example.org/ess/") {
			t.Errorf("%s with MAILLAGE_PUBLIC_URL: %q, forged host %q", name, a, b)
		}
		if h.Get("Vary") != "" {
			t.Errorf("%s with MAILLAGE_PUBLIC_URL varies: %q", name, h.Values("Vary"))
		}
		c, h := get(plain, "evil.example")
		if !strings.HasPrefix(c, "https://evil.example/") || !strings.Contains(strings.Join(h.Values("Vary"), ","), "Host") {
			t.Errorf("%s without MAILLAGE_PUBLIC_URL: %q, Vary %q", name, c, h.Values("Vary"))
		}
	}
}
