package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// statusOf maps domain error codes to HTTP statuses.
var statusOf = map[string]int{
	geo.EInvalid:          http.StatusBadRequest,
	geo.ENotFound:         http.StatusNotFound,
	geo.EConflict:         http.StatusConflict,
	geo.EUnauthorized:     http.StatusUnauthorized,
	geo.EForbidden:        http.StatusForbidden,
	geo.ETooLarge:         http.StatusRequestEntityTooLarge,
	geo.EUnsupportedMedia: http.StatusUnsupportedMediaType,
	geo.ENotImplemented:   http.StatusNotImplemented,
	geo.EUnavailable:      http.StatusServiceUnavailable,
	geo.EInternal:         http.StatusInternalServerError,
}

// errorBody is what every error response carries.
type errorBody struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
}

// errorHandler writes err as JSON. Errors of the user's making get their
// message and fields; anything else is logged and answered "internal error".
func (s *Server) errorHandler(c *echo.Context, err error) {
	if r, _ := echo.UnwrapResponse(c.Response()); r != nil && r.Committed {
		return
	}
	status, body := s.errorResponse(c, err)
	if status == statusClientGone {
		c.Response().WriteHeader(status) // for the log line; nobody reads it
		return
	}
	if status == http.StatusServiceUnavailable && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", retryAfter)
	}
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(status)
	} else {
		err = c.JSON(status, body)
	}
	if err != nil {
		s.logger.Error("writing error response", "err", err)
	}
}

func (s *Server) errorResponse(c *echo.Context, err error) (int, errorBody) {
	var gerr *geo.Error
	var maxErr *http.MaxBytesError
	var sc echo.HTTPStatusCoder
	switch {
	case errors.As(err, &gerr) && statusOf[gerr.Code] != 0 && statusOf[gerr.Code] < 500:
		return statusOf[gerr.Code], errorBody{Error: gerr.Message, Fields: gerr.Fields}
	case errors.As(err, &maxErr):
		return http.StatusRequestEntityTooLarge, errorBody{Error: "request body too large"}
	case errors.As(err, &sc) && sc.StatusCode() < 500:
		return sc.StatusCode(), errorBody{Error: http.StatusText(sc.StatusCode())}
	}
	switch {
	case s.clientGone(c, err):
		s.logger.LogAttrs(context.WithoutCancel(c.Request().Context()), slog.LevelInfo, "client disconnected",
			slog.String("method", c.Request().Method), slog.String("path", c.Request().URL.Path))
		return statusClientGone, errorBody{}
	case gerr != nil && gerr.Code == geo.EUnavailable:
		return http.StatusServiceUnavailable, errorBody{Error: gerr.Message}
	case s.dbUnavailable(err):
		s.logger.LogAttrs(context.WithoutCancel(c.Request().Context()), slog.LevelWarn, "database unavailable",
			slog.String("method", c.Request().Method), slog.String("path", c.Request().URL.Path),
			slog.String("err", err.Error()))
		return http.StatusServiceUnavailable, errorBody{Error: "the database is unavailable or too slow to answer; try again in a moment"}
	}
	s.logger.LogAttrs(c.Request().Context(), slog.LevelError, "internal error",
		slog.String("method", c.Request().Method), slog.String("path", c.Request().URL.Path),
		slog.String("err", err.Error()))
	return http.StatusInternalServerError, errorBody{Error: "internal error"}
}

// statusClientGone is logged for requests whose client left before the
// answer (nginx's 499); it is never sent.
const statusClientGone = 499

// retryAfter is the Retry-After, in seconds, of 503 answers.
const retryAfter = "5"

// clientGone reports whether err comes from the client closing the
// connection, rather than from us or the database.
func (s *Server) clientGone(c *echo.Context, err error) bool {
	ctx := c.Request().Context()
	return errors.Is(ctx.Err(), context.Canceled) && context.Cause(ctx) != errDeadline &&
		(errors.Is(err, context.Canceled) || s.dbUnavailable(err))
}

// dbUnavailable reports whether err says that the database could not
// answer in time, or at all, rather than a mistake in a query.
func (s *Server) dbUnavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errDeadline) {
		return true
	}
	return s.Unavailable != nil && s.Unavailable(err)
}

// logRequestError logs an error met after the answer started: at info
// level when the client left, as an error otherwise.
func (s *Server) logRequestError(c *echo.Context, msg string, err error) {
	level := slog.LevelError
	if s.clientGone(c, err) {
		level, msg = slog.LevelInfo, msg+": client disconnected"
	} else if s.dbUnavailable(err) {
		level = slog.LevelWarn
	}
	s.logger.LogAttrs(context.WithoutCancel(c.Request().Context()), level, msg,
		slog.String("path", c.Request().URL.Path), slog.String("err", err.Error()))
}

// errDeadline is the cause of a request context past its deadline.
var errDeadline = errors.New("request deadline exceeded")
