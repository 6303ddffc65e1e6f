package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// strictJSON checks every request body before a handler reads it, so that
// no route has to remember: a body must say it is JSON (415 otherwise)
// and be exactly one JSON value, with no member given twice, no NUL
// character in a string and no integer past PostgreSQL's int4 (400 naming
// the field). Imports, which are files, are left to their reader.
func (s *Server) strictJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		r := c.Request()
		if r.Body == nil || r.Body == http.NoBody || uploadRoutes[r.URL.Path] {
			return next(c)
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if len(bytes.TrimSpace(body)) == 0 {
			return next(c)
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil ||
			(mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &geo.Error{Code: geo.EUnsupportedMedia, Message: "the body must be JSON (Content-Type: application/json)",
				Fields: map[string]string{"Content-Type": "must be application/json"}}
		}
		if field, reason := checkJSON(body); reason != "" {
			return &geo.Error{Code: geo.EInvalid, Message: "invalid JSON body", Fields: map[string]string{field: reason}}
		}
		return next(c)
	}
}

// checkJSON returns the path of the first fault of body and what it is,
// or an empty reason. Paths read like address.street or networks[2];
// faults of the body as a whole are on "body".
func checkJSON(body []byte) (field, reason string) {
	if !utf8.Valid(body) {
		return "body", "not valid UTF-8"
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	field, reason = checkValue(dec, "")
	if reason != "" {
		return field, reason
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "body", "trailing data after the JSON value"
	}
	return "", ""
}

// checkValue reads one JSON value from dec, at path.
func checkValue(dec *json.Decoder, path string) (string, string) {
	at := path
	if at == "" {
		at = "body"
	}
	tok, err := dec.Token()
	if err != nil {
		return at, "not valid JSON"
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			seen := make(map[string]bool)
			for dec.More() {
				key, err := dec.Token()
				if err != nil {
					return at, "not valid JSON"
				}
				name, _ := key.(string)
				member := name
				if path != "" {
					member = path + "." + name
				}
				if strings.ContainsRune(name, 0) {
					return at, "a member name contains a NUL character"
				}
				if seen[name] {
					return member, "given more than once"
				}
				seen[name] = true
				if f, r := checkValue(dec, member); r != "" {
					return f, r
				}
			}
		case '[':
			for i := 0; dec.More(); i++ {
				if f, r := checkValue(dec, path+"["+strconv.Itoa(i)+"]"); r != "" {
					return f, r
				}
			}
		default:
			return at, "not valid JSON"
		}
		if _, err := dec.Token(); err != nil {
			return at, "not valid JSON"
		}
	case string:
		if strings.ContainsRune(v, 0) {
			return at, "must not contain a NUL character"
		}
	case json.Number:
		if !strings.ContainsAny(string(v), ".eE") {
			if n, err := strconv.ParseInt(string(v), 10, 64); err != nil || n > math.MaxInt32 || n < math.MinInt32 {
				return at, "integer out of range (at most 2147483647)"
			}
		}
	}
	return "", ""
}
