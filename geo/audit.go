package geo

import (
	"context"
	"encoding/json"
	"time"
)

// Author says who makes the changes of a request and through which
// route, for the history (audit_log).
type Author struct {
	Who   string // "user:EMAIL", "token:NAME", "public", "cli", "geocoder"
	Route string // "PATCH /api/actors/:id", "import", "geocoding", ...
	Off   bool   // no history: only for measuring its cost
}

type authorKey struct{}

// WithAuthor returns ctx carrying a, which the store records with every
// change made under it.
func WithAuthor(ctx context.Context, a Author) context.Context {
	return context.WithValue(ctx, authorKey{}, a)
}

// AuthorOf returns the author ctx carries, and whether it carries one.
func AuthorOf(ctx context.Context) (Author, bool) {
	a, ok := ctx.Value(authorKey{}).(Author)
	return a, ok
}

// Change is one entry of an actor's history: who changed what, when,
// with the values before and after of the changed fields (the whole
// actor when created or deleted; "sectors" for its list of sectors).
type Change struct {
	ID     int64           `json:"id"`
	At     time.Time       `json:"at"`
	Who    string          `json:"who"`
	Route  string          `json:"route"`
	Action string          `json:"action"` // create, update, delete, sectors
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}
