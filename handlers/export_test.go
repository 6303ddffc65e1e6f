package handlers

import "github.com/labstack/echo/v5"

// RouteRule is a registered route with who may call it.
type RouteRule struct {
	Method, Path string
	Roles        []string // nil: everyone
	Listed       bool     // named in routeAccess
}

// RouteRules lists the routes of s in the order the router registered
// them (the RouteNotFound ones left out), with their access.
func (s *Server) RouteRules() []RouteRule {
	var out []RouteRule
	for _, r := range s.echo.Router().Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		_, listed := routeAccess[routeKey(r.Method, r.Path)]
		out = append(out, RouteRule{Method: r.Method, Path: r.Path, Roles: accessOf(r.Method, r.Path).roles, Listed: listed})
	}
	return out
}

// AccessKeys lists the routes named in routeAccess.
func AccessKeys() []string {
	var keys []string
	for k := range routeAccess {
		keys = append(keys, k)
	}
	return keys
}
