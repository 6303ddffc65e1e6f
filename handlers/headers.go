package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v5"
)

// securityHeaders sets, on every answer, the headers that keep the page
// and the API from being used against their readers: no MIME sniffing,
// the origin only as referrer to other sites (tile servers ask for one),
// a Content-Security-Policy allowing the page's own scripts and styles,
// the basemap's images and calls to this server only, and no framing but
// for the embeddable map (?embed=1 on the map and actor pages).
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	csp := contentSecurityPolicy(s.opts.Page.BasemapURL)
	return func(c *echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		if embeddable(c.Request()) {
			h.Set("Content-Security-Policy", csp+"; frame-ancestors *")
		} else {
			h.Set("Content-Security-Policy", csp+"; frame-ancestors 'none'")
			h.Set("X-Frame-Options", "DENY")
		}
		return next(c)
	}
}

// embeddable reports whether r asks for a page that other sites may frame.
func embeddable(r *http.Request) bool {
	if r.URL.Query().Get("embed") != "1" {
		return false
	}
	return r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/acteurs/")
}

// contentSecurityPolicy is the policy of the page, whose basemap tiles
// come from basemapURL, a Leaflet URL template.
func contentSecurityPolicy(basemapURL string) string {
	img := "'self' data: blob:"
	if origin := templateOrigin(basemapURL); origin != "" {
		img += " " + origin
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src " + img +
		"; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'"
}

// templateOrigin returns the origin of a URL template such as
// https://{s}.tile.example.org/{z}/{x}/{y}.png as a CSP source
// (https://*.tile.example.org), or "" when it has none.
func templateOrigin(template string) string {
	scheme, rest, ok := strings.Cut(template, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(host, "}"); i >= 0 {
		// {s}.tile.example.org: any subdomain; a template elsewhere in
		// the host is not a source CSP can name.
		if !strings.HasPrefix(host, "{") || strings.Count(host, "{") != 1 {
			return ""
		}
		host = "*" + host[i+1:]
	}
	if host == "" || strings.ContainsAny(host, " ;,'") {
		return ""
	}
	return scheme + "://" + host
}

// advertisedURL is the absolute URL, on this server, of path and query:
// on MAILLAGE_PUBLIC_URL when it is set, so that a forged Host or
// X-Forwarded-Proto cannot change the links a shared cache keeps;
// otherwise on the request's own host, and the answer varies with it.
func (s *Server) advertisedURL(c *echo.Context, path string, query url.Values) string {
	u := url.URL{Path: path, RawQuery: query.Encode()}
	if pub := s.opts.PublicURL; pub != nil {
		u.Scheme, u.Host = pub.Scheme, pub.Host
		u.Path = strings.TrimSuffix(pub.Path, "/") + path
	} else {
		u.Scheme, u.Host = c.Scheme(), c.Request().Host
		c.Response().Header().Add("Vary", "Host, X-Forwarded-Proto, X-Forwarded-Protocol, X-Forwarded-Ssl, X-Url-Scheme")
	}
	return u.String()
}
