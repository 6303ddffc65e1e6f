package handlers

import "strings"

// unknownField reads the field name out of encoding/json's error for a
// field that DisallowUnknownFields refused.
func unknownField(err error) (string, bool) {
	const prefix = "json: unknown field "
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		return "", false
	}
	return strings.Trim(strings.TrimPrefix(msg, prefix), `"`), true
}
