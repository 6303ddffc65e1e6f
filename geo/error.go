// Package geo holds maillage's domain: actors, sectors and the rules that
// keep them valid. It knows nothing of PostgreSQL or HTTP.
package geo

import (
	"errors"
	"fmt"
)

// Error codes, mapped to HTTP statuses by the handlers.
const (
	EInvalid          = "invalid"
	ENotFound         = "not_found"
	EConflict         = "conflict"
	EUnauthorized     = "unauthorized"
	EForbidden        = "forbidden"
	ETooLarge         = "too_large"
	EUnsupportedMedia = "unsupported_media"
	EInternal         = "internal"
	ENotImplemented   = "not_implemented"
	EUnavailable      = "unavailable"
)

// Error is an error the user can act on. Fields names the input fields at
// fault, with a reason for each.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("maillage: %s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("maillage: %s: %s %v", e.Code, e.Message, e.Fields)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrors collects per-field validation problems. Its Err method returns
// nil when nothing was added.
type FieldErrors map[string]string

// Add records reason for field, keeping the first reason given.
func (f FieldErrors) Add(field, reason string) {
	if _, ok := f[field]; !ok {
		f[field] = reason
	}
}

// AddFrom records the fields of err when it is or wraps an *Error, and
// reports whether it did.
func (f FieldErrors) AddFrom(err error) bool {
	e, ok := errors.AsType[*Error](err)
	if !ok {
		return false
	}
	for field, reason := range e.Fields {
		f.Add(field, reason)
	}
	return true
}

// Err returns an EInvalid *Error naming every field, or nil.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Message: "invalid input", Fields: f}
}

// ErrorCode returns the code of err if it is or wraps an *Error, and
// EInternal otherwise.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-facing message of err if it is or wraps an
// *Error, and "internal error" otherwise.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
