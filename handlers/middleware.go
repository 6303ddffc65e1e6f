package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

const keeperKey = "keeper"

// caller returns the authenticated caller of the request (a session or
// a bearer token, of any role), or nil for an anonymous one.
func caller(c *echo.Context) *geo.Keeper {
	k, _ := c.Get(keeperKey).(*geo.Keeper)
	return k
}

// keeper returns the caller when it may edit the directory (an admin or
// a keeper), else nil: what decides who sees drafts and unneutralised
// figures.
func keeper(c *echo.Context) *geo.Keeper {
	if k := caller(c); k != nil && (k.Role == geo.AccountAdmin || k.Role == geo.AccountKeeper) {
		return k
	}
	return nil
}

// workshopManager returns the caller when it may create and run every
// workshop (an admin, a keeper or an animator), else nil.
func workshopManager(c *echo.Context) *geo.Keeper {
	if k := caller(c); k != nil && k.Role != geo.AccountModerator {
		return k
	}
	return nil
}

// authenticate reads an "Authorization: Bearer" token. A request without
// one is anonymous; a wrong token is refused with 401 rather than served
// as anonymous, so that a keeper notices a revoked token.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		h := c.Request().Header.Get("Authorization")
		if h == "" {
			if err := s.authenticateSession(c); err != nil {
				return err
			}
			return next(c)
		}
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return geo.Errorf(geo.EUnauthorized, "the Authorization header must be \"Bearer <token>\"")
		}
		if token = strings.TrimSpace(token); geo.IsWorkshopToken(token) {
			c.Set(workshopTokenKey, token) // checked by the workshop routes
			return next(c)
		}
		k, err := s.Auth.Authenticate(c.Request().Context(), token)
		if err != nil {
			return err
		}
		c.Set(keeperKey, k)
		return next(c)
	}
}

// limitBody bounds every request body: imports get MaxImportBytes, the
// rest MaxBodyBytes. Reading past the bound fails with 413.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		r := c.Request()
		if r.Body != nil && r.Body != http.NoBody {
			limit := s.opts.MaxBodyBytes
			if uploadRoutes[r.URL.Path] {
				limit = s.opts.MaxImportBytes
			}
			if r.ContentLength > limit {
				return geo.Errorf(geo.ETooLarge, "request body too large (at most %d bytes)", limit)
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		}
		return next(c)
	}
}

// logRequests logs one line per request, with the client's address. Below
// the logger's level it costs a level check, not the line's attributes.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			s.errorHandler(c, err)
		}
		status := 0
		if r, _ := echo.UnwrapResponse(c.Response()); r != nil {
			status = r.Status
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelWarn
		}
		ctx := c.Request().Context()
		if !s.logger.Enabled(ctx, level) {
			return nil
		}
		s.logger.LogAttrs(ctx, level, "request",
			slog.String("method", c.Request().Method),
			slog.String("path", c.Request().URL.Path),
			slog.Int("status", status),
			slog.Duration("took", time.Since(start)),
			slog.String("ip", c.RealIP()))
		return nil
	}
}

// recoverPanic turns a panic in a handler into a logged internal error.
func (s *Server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) (err error) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.logger.Error("panic", "value", v, "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", v)
			}
		}()
		return next(c)
	}
}

// limitHeavy bounds the heavy exports running at once to HeavyExports;
// past it the request is refused with 503 and Retry-After at once, rather
// than queued behind the others.
func (s *Server) limitHeavy(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		if s.heavy == nil {
			return next(c)
		}
		select {
		case s.heavy <- struct{}{}:
			defer func() { <-s.heavy }()
			return next(c)
		default:
			c.Response().Header().Set("Retry-After", retryAfter)
			return geo.Errorf(geo.EUnavailable, "too many exports are running; try again in a few seconds")
		}
	}
}

// uploadRoutes take files, not JSON: their bodies may be as large as
// MaxImportBytes and are left to their readers.
var uploadRoutes = map[string]bool{"/api/imports": true, "/api/territories/imports": true}

// longRoutes are the routes whose deadline is LongRequestTimeout: imports
// and exports, which read or write whole files.
var longRoutes = map[string]bool{
	"/api/imports": true, "/api/imports/:id": true, "/api/territories/imports": true,
	"/api/coverage.csv": true, "/api/coverage.geojson": true,
	"/api/actors.csv": true, "/api/actors.geojson": true, "/api/actors.json": true,
	"/api/workshops/:id/export.geojson": true, "/api/workshops/:id/export.csv": true,
	"/ogc/collections/:collectionId/items": true,
}

// noDeadlineRoutes stay open as long as their client: the live event
// streams of workshops.
var noDeadlineRoutes = map[string]bool{"/api/workshops/:id/events": true}

// deadline gives each request a deadline, RequestTimeout or, for imports
// and exports, LongRequestTimeout: past it the database calls of the
// request are cancelled and it is answered 503 with Retry-After, rather
// than hanging while the database does.
func (s *Server) deadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		d := s.opts.RequestTimeout
		switch route := c.Path(); {
		case noDeadlineRoutes[route]:
			return next(c)
		case longRoutes[route]:
			d = s.opts.LongRequestTimeout
		}
		if d <= 0 {
			return next(c)
		}
		r := c.Request()
		ctx, cancel := context.WithTimeoutCause(r.Context(), d, errDeadline)
		defer cancel()
		c.SetRequest(r.WithContext(ctx))
		if err := next(c); err != nil {
			// Answered here, while ctx tells a client gone from a
			// deadline passed; cancel would blur the two.
			s.errorHandler(c, err)
		}
		return nil
	}
}
