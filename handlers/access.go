package handlers

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// access says who may call a route: everyone (roles nil), or callers
// signed in or holding a token of one of roles.
type access struct {
	name  string   // as written in the README's table
	roles []string // nil: everyone
}

var (
	// public routes answer everyone; some check more themselves (the
	// workshop routes read workshop codes and secrets, reads hide drafts
	// from non-keepers).
	public = access{name: "public"}
	// signedIn routes answer any account or token.
	signedIn = access{name: "signed in", roles: geo.Roles}
	// directory routes change the directory: keepers and admins.
	directory = access{name: "keeper", roles: []string{geo.AccountAdmin, geo.AccountKeeper}}
	// moderation routes handle suggestions: moderators, keepers, admins.
	moderation = access{name: "moderator", roles: []string{geo.AccountAdmin, geo.AccountKeeper, geo.AccountModerator}}
	// workshops routes create and list workshops: animators, keepers, admins.
	workshops = access{name: "animator", roles: []string{geo.AccountAdmin, geo.AccountKeeper, geo.AccountAnimator}}
	// admins routes manage people and roles.
	admins = access{name: "admin", roles: []string{geo.AccountAdmin}}
)

// allows reports whether a caller of role may call the route.
func (a access) allows(role string) bool { return a.roles == nil || slices.Contains(a.roles, role) }

// routeAccess is who may call each route, by "METHOD path" as the router
// names it. The README's table of roles is written from it, and
// TestRouteRoles walks it with every kind of caller. A route missing
// here answers GET to everyone and other methods to keepers only.
var routeAccess = map[string]access{
	"GET /healthz": public,
	"GET /readyz":  public,

	"GET /api/session":         public, // {"user": null} when not signed in
	"POST /api/session":        public,
	"DELETE /api/session":      signedIn,
	"POST /api/password-links": public,
	"PUT /api/password":        public, // with a one-time link
	"GET /api/users":           admins,
	"POST /api/users":          admins,
	"PATCH /api/users/:id":     admins,
	"DELETE /api/users/:id":    admins,

	"GET /api/sectors":                 public,
	"GET /api/sectors/:slug":           public,
	"POST /api/sectors":                directory,
	"PATCH /api/sectors/:slug":         directory,
	"DELETE /api/sectors/:slug":        directory,
	"GET /api/sector-proposals":        directory,
	"POST /api/sector-proposals/apply": directory,

	"GET /api/actors":                  public,
	"GET /api/actors.geojson":          public,
	"GET /api/actors.csv":              public,
	"GET /api/actors.json":             public,
	"GET /api/actors/facets":           public,
	"GET /api/actors/nearby":           public,
	"GET /api/actors/:id":              public,
	"POST /api/actors":                 directory,
	"PATCH /api/actors/:id":            directory,
	"DELETE /api/actors/:id":           directory,
	"GET /api/actors/:id/history":      directory,
	"GET /api/suggestions/form":        public,
	"POST /api/suggestions":            public,
	"GET /api/suggestions":             moderation,
	"GET /api/suggestions/count":       moderation,
	"POST /api/suggestions/:id/accept": moderation,
	"POST /api/suggestions/:id/reject": moderation,
	"POST /api/suggestions/:id/merge":  moderation,
	"POST /api/actors/:id/restore":     directory,
	"POST /api/imports":                directory,
	"GET /api/imports/:id":             directory,
	"DELETE /api/imports/:id":          directory,
	"GET /api/geocoding/review":        directory,
	"PUT /api/actors/:id/location":     directory,

	"GET /api/territories":          public,
	"GET /api/territories/:code":    public,
	"POST /api/territories/imports": directory,
	"GET /api/coverage":             public,
	"GET /api/coverage.geojson":     public,
	"GET /api/coverage.csv":         public,
	"GET /api/geocode":              public,

	"POST /api/workshops":                             workshops,
	"GET /api/workshops":                              workshops,
	"POST /api/workshops/join":                        public,
	"GET /api/workshops/:id":                          public,
	"PATCH /api/workshops/:id":                        public,
	"DELETE /api/workshops/:id":                       workshops,
	"PUT /api/workshops/:id/view":                     public,
	"GET /api/workshops/:id/events":                   public,
	"GET /api/workshops/:id/annotations":              public,
	"POST /api/workshops/:id/annotations":             public,
	"GET /api/workshops/:id/annotations/:aid":         public,
	"PATCH /api/workshops/:id/annotations/:aid":       public,
	"DELETE /api/workshops/:id/annotations/:aid":      public,
	"PUT /api/workshops/:id/annotations/:aid/vote":    public,
	"DELETE /api/workshops/:id/annotations/:aid/vote": public,
	"GET /api/workshops/:id/export.geojson":           public,
	"GET /api/workshops/:id/export.csv":               public,
	"GET /api/workshop-annotations.geojson":           public,

	"GET /ogc":                                 public,
	"GET /ogc/":                                public,
	"GET /ogc/conformance":                     public,
	"GET /ogc/api":                             public,
	"GET /ogc/collections":                     public,
	"GET /ogc/collections/:collectionId":       public,
	"GET /ogc/collections/:collectionId/items": public,
	"GET /ogc/collections/:collectionId/items/:featureId": public,
	"GET /ogc/collections/:collectionId/queryables":       public,

	"GET /tiles/actors.json":          public,
	"GET /tiles/actors/:z/:x/:y":      public,
	"GET /tiles/territories.json":     public,
	"GET /tiles/territories/:z/:x/:y": public,
	"GET /":                           public,
	"GET /gestion":                    public, // the page asks to sign in
	"GET /connexion":                  public,
	"GET /moderation":                 public, // the page asks to sign in
	"GET /acteurs/:id":                public,
	"GET /ateliers":                   public,
	"GET /ateliers/:code":             public,
	"GET /ateliers/:code/projection":  public,
	"GET /ateliers/:code/synthese":    public,
	"GET /couverture":                 public,
	"GET /assets/*":                   public,
}

// routeKey names a route in routeAccess; HEAD is GET's.
func routeKey(method, path string) string {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	return method + " " + path
}

// accessOf returns who may call the route of method and path.
func accessOf(method, path string) access {
	if a, ok := routeAccess[routeKey(method, path)]; ok {
		return a
	}
	if method == http.MethodGet || method == http.MethodHead {
		return public
	}
	return directory
}

// authorize refuses a caller the route's access does not allow: 401
// without credentials (or with an expired session), 403 with the wrong
// role or a session's write failing the CSRF check. The writes it lets
// through carry their author for the history.
func (s *Server) authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		r := c.Request()
		if !safeMethod(r.Method) {
			c.SetRequest(r.WithContext(geo.WithAuthor(r.Context(), authorOf(c))))
		}
		a := accessOf(r.Method, c.Path())
		if a.roles == nil {
			return next(c)
		}
		if reason, _ := c.Get(csrfFailedKey).(string); reason != "" {
			return geo.Errorf(geo.EForbidden, "%s", reason)
		}
		k := caller(c)
		if k == nil {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="maillage"`)
			return geo.Errorf(geo.EUnauthorized, "this requires signing in as %s, or a token of that role", strings.Join(a.roles, ", "))
		}
		if !a.allows(k.Role) {
			return geo.Errorf(geo.EForbidden, "the role %s may not do this (%s only)", k.Role, strings.Join(a.roles, ", "))
		}
		return next(c)
	}
}

// authorOf names the caller and the route of a write for the history.
func authorOf(c *echo.Context) geo.Author {
	who := "public"
	if k := caller(c); k != nil && k.UserID != 0 {
		who = "user:" + k.Name
	} else if k != nil {
		who = "token:" + k.Name
	}
	return geo.Author{Who: who, Route: c.Request().Method + " " + c.Path()}
}
