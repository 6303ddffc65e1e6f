package handlers

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// statusOf maps domain error codes to HTTP statuses.
var statusOf = map[string]int{
	geo.EInvalid:        http.StatusBadRequest,
	geo.ENotFound:       http.StatusNotFound,
	geo.EConflict:       http.StatusConflict,
	geo.EUnauthorized:   http.StatusUnauthorized,
	geo.EForbidden:      http.StatusForbidden,
	geo.ETooLarge:       http.StatusRequestEntityTooLarge,
	geo.ENotImplemented: http.StatusNotImplemented,
	geo.EUnavailable:    http.StatusServiceUnavailable,
	geo.EInternal:       http.StatusInternalServerError,
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
	s.logger.LogAttrs(c.Request().Context(), slog.LevelError, "internal error",
		slog.String("method", c.Request().Method), slog.String("path", c.Request().URL.Path),
		slog.String("err", err.Error()))
	if gerr != nil && gerr.Code == geo.EUnavailable {
		return http.StatusServiceUnavailable, errorBody{Error: gerr.Message}
	}
	return http.StatusInternalServerError, errorBody{Error: "internal error"}
}
