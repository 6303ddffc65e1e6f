package handlers_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's table of roles from routeAccess")

// credential is one kind of caller of the role-table walk.
type credential struct {
	name    string
	role    string // "" for anonymous and expired sessions
	session bool   // a session cookie rather than a bearer token
	expired bool
}

func credentials() []credential {
	cs := []credential{{name: "anonymous"}, {name: "expired session", session: true, expired: true}}
	for _, r := range geo.Roles {
		cs = append(cs, credential{name: r + " session", role: r, session: true})
	}
	for _, r := range geo.Roles {
		cs = append(cs, credential{name: r + " token", role: r})
	}
	return cs
}

var pathParam = regexp.MustCompile(`:[a-z]+|\*`)

// concrete fills a route's parameters with values naming nothing.
func concrete(path string) string {
	return pathParam.ReplaceAllStringFunc(path, func(p string) string {
		switch p {
		case ":z", ":x":
			return "0"
		case ":y":
			return "0.mvt"
		case ":id", ":aid":
			return "999999"
		}
		return "nope"
	})
}

// TestRouteRoles walks every route with every kind of caller: a caller
// the route's access allows reaches the handler (any status but 401, 403
// and 500: the ids name nothing, so nothing changes), others get 401
// without a live session or token and 403 with the wrong role.
func TestRouteRoles(t *testing.T) {
	s := newAccountServer(t, nil)
	hs := s.handler
	rules := hs.RouteRules()
	listed := map[string]bool{}
	for _, r := range rules {
		if !r.Listed {
			t.Errorf("%s %s is missing from routeAccess (access.go)", r.Method, r.Path)
		}
		listed[r.Method+" "+r.Path] = true
	}
	for _, k := range handlers.AccessKeys() {
		if !listed[k] {
			t.Errorf("routeAccess names %s, which the router does not have", k)
		}
	}

	pairs := 0
	for _, r := range rules {
		url := concrete(r.Path)
		for _, cr := range credentials() {
			h := http.Header{}
			switch {
			case cr.session:
				id, csrf := s.session(t, orDefault(cr.role, "keeper"), cr.expired)
				h = cookieHeader(id, csrf, s.URL)
			case cr.role != "":
				h.Set("Authorization", "Bearer "+s.tokens[cr.role])
			}
			code, body := s.send(t, r.Method, url, nil, h)
			pairs++
			allowed := r.Roles == nil || (cr.role != "" && slices.Contains(r.Roles, cr.role))
			switch {
			case allowed && (code == 401 || code == 403 || code >= 500 && code != 503):
				t.Errorf("%s %s as %s = %d %s, want the handler's answer", r.Method, url, cr.name, code, body)
			case !allowed && cr.role == "" && code != 401:
				t.Errorf("%s %s as %s = %d %s, want 401", r.Method, url, cr.name, code, body)
			case !allowed && cr.role != "" && code != 403:
				t.Errorf("%s %s as %s = %d %s, want 403", r.Method, url, cr.name, code, body)
			}
		}
	}
	t.Logf("%d route-role pairs checked", pairs)
	fmt.Printf("%d route-role pairs checked\n", pairs)

	// The README's table is this one.
	table := roleTable(rules)
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- roles: written by go test ./handlers -run TestRouteRoles -update-readme -->\n", "<!-- /roles -->"
	i, j := strings.Index(string(readme), begin), strings.Index(string(readme), end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q section", begin, end)
	}
	got := string(readme[i+len(begin) : j])
	if *updateREADME {
		out := string(readme[:i+len(begin)]) + table + string(readme[j:])
		if err := os.WriteFile("../README.md", []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if got != table {
		t.Errorf("the README's table of roles differs from routeAccess; run go test ./handlers -run TestRouteRoles -update-readme. Want:\n%s", table)
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// roleTable writes the Markdown table of routes × roles.
func roleTable(rules []handlers.RouteRule) string {
	var b strings.Builder
	b.WriteString("| route | anonymous | " + strings.Join(geo.Roles, " | ") + " |\n|---|---|" + strings.Repeat("---|", len(geo.Roles)) + "\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "| `%s %s` |", r.Method, r.Path)
		if r.Roles == nil {
			b.WriteString(" ✓ |")
		} else {
			b.WriteString(" 401 |")
		}
		for _, role := range geo.Roles {
			if r.Roles == nil || slices.Contains(r.Roles, role) {
				b.WriteString(" ✓ |")
			} else {
				b.WriteString(" 403 |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestKeeperTokensMigrate: tokens made before roles (the keepers') are
// keeper tokens, and work as such.
func TestKeeperTokensMigrate(t *testing.T) {
	s := newAccountServer(t, nil)
	ctx := context.Background()
	tokens := postgis.NewTokenStore(s.db)
	tok, err := tokens.CreateToken(ctx, "ancien")
	if err != nil {
		t.Fatal(err)
	}
	k, err := tokens.Authenticate(ctx, tok)
	if err != nil || k.Role != "keeper" {
		t.Fatalf("old-style token = %+v, %v; want a keeper", k, err)
	}
	if code, body := s.send(t, "POST", "/api/sectors", map[string]any{"slug": "test", "label": "Test", "color": "#1f78b4"},
		http.Header{"Authorization": {"Bearer " + tok}}); code != 201 {
		t.Errorf("keeper route with the old token = %d %s", code, body)
	}
	if _, err := s.db.Pool.Exec(ctx, `UPDATE tokens SET role = 'chef' WHERE name = 'ancien'`); err == nil {
		t.Error("a token took an unknown role")
	}
}
