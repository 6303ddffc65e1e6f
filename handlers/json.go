package handlers

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/maillage/maillage/geo"
)

// optional is a member of a JSON object that may be absent, null or a
// value. Decoding it never fails: a value that is not a T is kept in Err,
// so that every bad member of a body can be named at once.
type optional[T any] struct {
	Set   bool // the member is present
	Null  bool // as null
	Value T
	Err   error // the value is not a T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	*o = optional[T]{Set: true, Null: string(b) == "null"}
	if !o.Null {
		o.Err = json.Unmarshal(b, &o.Value)
	}
	return nil
}

// get returns nil when o is absent, the zero T when o is null, and its
// value otherwise. A value that is not a T adds reason on field to errs
// and gives nil.
func (o optional[T]) get(errs geo.FieldErrors, field, reason string) *T {
	switch {
	case !o.Set:
		return nil
	case o.Err != nil:
		errs.Add(field, reason)
		return nil
	}
	v := o.Value
	return &v
}

// memberNames returns the JSON names of the fields of struct type T.
func memberNames[T any]() map[string]bool {
	names := make(map[string]bool)
	for f := range reflect.TypeFor[T]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names[name] = true
	}
	return names
}

// objectMembers returns the member names of the JSON object body, or
// false when body is not one.
func objectMembers(body []byte) ([]string, bool) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil || members == nil {
		return nil, false
	}
	return slices.Collect(maps.Keys(members)), true
}

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
