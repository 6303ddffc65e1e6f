package geo

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twpayne/go-geom"
)

// AnnotationKind is what an annotation says about the territory. Four
// kinds are seeded (atout, faiblesse, besoin, idee: the method's own
// words); a workshop may rename them or add its own.
type AnnotationKind struct {
	Slug     string `json:"slug"`
	Label    string `json:"label"` // in French
	Color    string `json:"color"` // #rrggbb
	Icon     string `json:"icon"`
	Position int    `json:"position"` // order in legends and buttons
}

// Validate returns an EInvalid *Error naming each field at fault, under
// prefix (such as "kinds[2].").
func (k *AnnotationKind) Validate(prefix string) error {
	f := FieldErrors{}
	if !slugRe.MatchString(k.Slug) || len(k.Slug) > 40 {
		f.Add(prefix+"slug", "lower-case letters, digits and dashes, at most 40")
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(k.Label)); n == 0 || n > 80 {
		f.Add(prefix+"label", "required, at most 80 characters")
	}
	if !colorRe.MatchString(k.Color) {
		f.Add(prefix+"color", "a colour such as #2e7d32")
	}
	if utf8.RuneCountInString(k.Icon) > 16 {
		f.Add(prefix+"icon", "at most 16 characters")
	}
	return f.Err()
}

// AnnotationState is the animator's moderation of an annotation.
type AnnotationState string

const (
	AnnotationVisible AnnotationState = "visible"
	AnnotationHidden  AnnotationState = "hidden"
)

// Annotation is a point, a line or a zone placed on a workshop's map with
// a kind and a text.
type Annotation struct {
	ID         int64
	WorkshopID int64
	Kind       string // slug of one of the workshop's kinds
	Geometry   geom.T // a Point, LineString or Polygon in WGS 84
	Text       string
	AuthorName string // a name or pseudonym; "" for anonymous
	Sector     string // a sector slug, or ""
	ActorID    *int64 // an actor of the directory it refers to
	ActorName  string // that actor's name, when published
	Votes      int
	State      AnnotationState
	Pinned     bool
	// ParticipantID is the author, or 0 when an animator or a keeper
	// wrote it.
	ParticipantID int64
	CreatedAt     time.Time
	UpdatedAt     time.Time

	// What the reader sees differently from others.
	Voted bool // the reader voted for it
	Mine  bool // the reader wrote it
}

// Length limits on annotation fields.
const (
	MaxAnnotationTextLen = 1000
	MaxAuthorNameLen     = 80
)

// AnnotationGeometryTypes are the GeoJSON types an annotation may have.
var AnnotationGeometryTypes = []string{GeomPoint, GeomLineString, GeomPolygon}

// Validate returns an EInvalid *Error naming each field at fault. Whether
// the kind, sector and actor exist is the store's to check.
func (a *Annotation) Validate() error {
	f := FieldErrors{}
	if a.Kind == "" {
		f.Add("kind", "required: one of the workshop's kinds, such as atout, faiblesse, besoin or idee")
	} else if !slugRe.MatchString(a.Kind) {
		f.Add("kind", "unknown kind")
	}
	if reason := ValidateGeometry(a.Geometry); reason != "" {
		f.Add("geometry", reason)
	}
	switch n := utf8.RuneCountInString(a.Text); {
	case strings.TrimSpace(a.Text) == "":
		f.Add("text", "required: say what you see here")
	case n > MaxAnnotationTextLen:
		f.Add("text", fmt.Sprintf("too long: %d characters, at most %d", n, MaxAnnotationTextLen))
	}
	if utf8.RuneCountInString(a.AuthorName) > MaxAuthorNameLen {
		f.Add("author_name", fmt.Sprintf("at most %d characters", MaxAuthorNameLen))
	}
	if a.Sector != "" && !slugRe.MatchString(a.Sector) {
		f.Add("sector", "unknown sector")
	}
	if a.ActorID != nil && *a.ActorID <= 0 {
		f.Add("actor_id", "a positive integer or null")
	}
	if a.State != AnnotationVisible && a.State != AnnotationHidden {
		f.Add("state", "visible or hidden")
	}
	return f.Err()
}

// AnnotationUpdate is a partial change to an annotation: nil fields stay.
// State and Pinned are the animator's.
type AnnotationUpdate struct {
	Kind       *string
	Geometry   geom.T
	Text       *string
	AuthorName *string
	Sector     *string // "" removes the sector
	ActorID    *int64  // 0 removes the link
	State      *AnnotationState
	Pinned     *bool
}

// Apply writes the set fields of u into a.
func (u AnnotationUpdate) Apply(a *Annotation) {
	for _, f := range []struct{ dst, src *string }{
		{&a.Kind, u.Kind}, {&a.Text, u.Text}, {&a.AuthorName, u.AuthorName}, {&a.Sector, u.Sector},
	} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if u.Geometry != nil {
		a.Geometry = u.Geometry
	}
	if u.ActorID != nil {
		a.ActorID = nil
		if *u.ActorID != 0 {
			id := *u.ActorID
			a.ActorID = &id
		}
	}
	if u.State != nil {
		a.State = *u.State
	}
	if u.Pinned != nil {
		a.Pinned = *u.Pinned
	}
}

// Wrote reports whether the caller wrote a: a participant their own, an
// animator or keeper those written by the animation.
func (acc WorkshopAccess) Wrote(a *Annotation) bool {
	if acc.Role == RoleParticipant {
		return a.ParticipantID != 0 && a.ParticipantID == acc.ParticipantID
	}
	return acc.Moderates() && a.ParticipantID == 0
}

// CanSee reports whether the caller sees a: moderators see everything,
// others the visible annotations and their own.
func (acc WorkshopAccess) CanSee(a *Annotation) bool {
	return a.State == AnnotationVisible || acc.Moderates() || acc.Wrote(a)
}

// CanChange returns EForbidden unless the caller may make change u to a:
// moderators may change anything, authors their own annotation's content
// but not its moderation.
func (acc WorkshopAccess) CanChange(a *Annotation, u *AnnotationUpdate) error {
	if acc.Moderates() {
		return nil
	}
	if !acc.Wrote(a) {
		return Errorf(EForbidden, "this annotation is someone else's: only its author or the animator can change it")
	}
	if u != nil && (u.State != nil || u.Pinned != nil) {
		return &Error{Code: EForbidden, Message: "only the animator can hide or pin an annotation",
			Fields: map[string]string{"state": "set by the animator", "pinned": "set by the animator"}}
	}
	return nil
}

// annotationJSON is the API's shape of an annotation.
type annotationJSON struct {
	ID         int64           `json:"id"`
	WorkshopID int64           `json:"workshop_id"`
	Kind       string          `json:"kind"`
	Geometry   json.RawMessage `json:"geometry"`
	Text       string          `json:"text"`
	AuthorName string          `json:"author_name"`
	Sector     *string         `json:"sector"`
	ActorID    *int64          `json:"actor_id"`
	ActorName  *string         `json:"actor_name"`
	Votes      int             `json:"votes"`
	Voted      bool            `json:"voted"`
	State      AnnotationState `json:"state"`
	Pinned     bool            `json:"pinned"`
	Mine       bool            `json:"mine"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

// MarshalJSON writes a in the API's shape, its geometry as GeoJSON.
func (a *Annotation) MarshalJSON() ([]byte, error) {
	g, err := MarshalGeometry(a.Geometry)
	if err != nil {
		return nil, err
	}
	j := annotationJSON{ID: a.ID, WorkshopID: a.WorkshopID, Kind: a.Kind, Geometry: g, Text: a.Text,
		AuthorName: a.AuthorName, ActorID: a.ActorID, Votes: a.Votes, Voted: a.Voted, State: a.State,
		Pinned: a.Pinned, Mine: a.Mine, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if a.Sector != "" {
		j.Sector = &a.Sector
	}
	if a.ActorName != "" {
		j.ActorName = &a.ActorName
	}
	return json.Marshal(j)
}

// AnnotationFilter selects the annotations of a workshop that a reader
// sees, in id order.
type AnnotationFilter struct {
	WorkshopID int64
	Reader     WorkshopAccess
	Kind       string // "": every kind
	Sector     string // "": every sector
	After      int64  // ids above this one
	Limit      int    // 0: no limit
}

// OverlayAnnotation is a visible annotation of a published workshop, for
// the main map's overlay.
type OverlayAnnotation struct {
	Annotation    *Annotation
	WorkshopTitle string
	Kind          AnnotationKind
}

// Names of workshop events, as sent on the event stream.
const (
	EventAnnotationAdded   = "annotation.added"
	EventAnnotationChanged = "annotation.changed"
	EventAnnotationHidden  = "annotation.hidden"
	EventAnnotationRemoved = "annotation.removed"
	EventVote              = "vote"
	EventStatus            = "status"
	EventView              = "view"
	EventWorkshopChanged   = "workshop.changed"
)

// WorkshopEvent is one change of a workshop, as kept in the order of its
// persisted id.
type WorkshopEvent struct {
	ID           int64
	WorkshopID   int64
	Name         string
	Data         json.RawMessage
	AnnotationID int64 // the annotation it is about, or 0
	// Hidden: the annotation is hidden, so that participants and the
	// public receive annotation.hidden instead of its content.
	Hidden    bool
	CreatedAt time.Time
}

// For returns the event's name and data as the reader receives them.
// Participants and the public never receive a hidden annotation's
// content, only {"id": n} under annotation.hidden.
func (e *WorkshopEvent) For(acc WorkshopAccess) (string, json.RawMessage) {
	if !e.Hidden || acc.Moderates() {
		return e.Name, e.Data
	}
	return EventAnnotationHidden, json.RawMessage(fmt.Sprintf(`{"id":%d}`, e.AnnotationID))
}
