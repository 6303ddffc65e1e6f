package geo

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twpayne/go-geom"
)

// WorkshopStatus is where a workshop stands: participants may add to it
// only while it is open.
type WorkshopStatus string

const (
	WorkshopDraft  WorkshopStatus = "draft"
	WorkshopOpen   WorkshopStatus = "open"
	WorkshopClosed WorkshopStatus = "closed"
)

// Valid reports whether s is a known status.
func (s WorkshopStatus) Valid() bool {
	return s == WorkshopDraft || s == WorkshopOpen || s == WorkshopClosed
}

// Workshop is a territorial diagnostic ("diagnostic territorial
// partagé"): local actors gathered around a map name the territory's
// strengths, weaknesses, needs and ideas, each placed on the map as an
// Annotation.
type Workshop struct {
	ID          int64
	Code        string // join code, see NewWorkshopCode
	Title       string
	Description string
	Date        time.Time // the day of the session (UTC midnight)
	Status      WorkshopStatus
	Published   bool          // the record is public; only when closed
	BBox        BBox          // where the map opens; the zone's bounds when there is a zone
	Zone        *geom.Polygon // the territory as drawn, or nil
	Sectors     []string      // sectors it focuses on, may be empty
	Kinds       []AnnotationKind
	Counts      map[string]int // visible annotations per kind
	View        *WorkshopView  // what the animator pushed to the phones, or nil
	LastEventID int64          // id of its latest event when read
	CreatedAt   time.Time
	UpdatedAt   time.Time

	Role WorkshopRole // the reader's role on it, shown in JSON
}

// WorkshopView is the map view the animator pushes to every phone that
// follows: a centre, a zoom and an optional highlighted annotation.
type WorkshopView struct {
	Center       Point
	Zoom         int
	AnnotationID *int64
}

// Validate returns an EInvalid *Error naming each field at fault.
func (v *WorkshopView) Validate() error {
	f := FieldErrors{}
	if !v.Center.Valid() {
		f.Add("center", "[lon, lat] with longitude from -180 to 180, latitude from -90 to 90")
	}
	if v.Zoom < 0 || v.Zoom > 22 {
		f.Add("zoom", "an integer from 0 to 22")
	}
	if v.AnnotationID != nil && *v.AnnotationID <= 0 {
		f.Add("annotation_id", "a positive integer or null")
	}
	return f.Err()
}

// MarshalJSON writes v as {"center": [lon, lat], "zoom": z, "annotation_id": id|null}.
func (v *WorkshopView) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Center       [2]float64 `json:"center"`
		Zoom         int        `json:"zoom"`
		AnnotationID *int64     `json:"annotation_id"`
	}{[2]float64{v.Center.Lon, v.Center.Lat}, v.Zoom, v.AnnotationID})
}

// Length limits on workshop fields.
const (
	MaxWorkshopTitleLen       = 200
	MaxWorkshopDescriptionLen = 5000
	MaxWorkshopSectors        = 30
	MaxWorkshopKinds          = 20
)

// Validate returns an EInvalid *Error naming each field at fault. The zone
// is checked when decoded (DecodeGeometry).
func (w *Workshop) Validate() error {
	f := FieldErrors{}
	if n := utf8.RuneCountInString(strings.TrimSpace(w.Title)); n == 0 || n > MaxWorkshopTitleLen {
		f.Add("title", fmt.Sprintf("required, at most %d characters", MaxWorkshopTitleLen))
	}
	if utf8.RuneCountInString(w.Description) > MaxWorkshopDescriptionLen {
		f.Add("description", fmt.Sprintf("at most %d characters", MaxWorkshopDescriptionLen))
	}
	if w.Date.IsZero() {
		f.Add("date", "required, as YYYY-MM-DD")
	}
	if !w.Status.Valid() {
		f.Add("status", "draft, open or closed")
	}
	f.AddFrom(w.BBox.Validate("bbox"))
	if len(w.Sectors) > MaxWorkshopSectors {
		f.Add("sectors", fmt.Sprintf("at most %d sectors", MaxWorkshopSectors))
	}
	for _, s := range w.Sectors {
		if !slugRe.MatchString(s) {
			f.Add("sectors", "sector slugs such as insertion or reemploi")
		}
	}
	return f.Err()
}

// WorkshopUpdate is a partial change to a workshop: nil fields stay.
type WorkshopUpdate struct {
	Title       *string
	Description *string
	Date        *time.Time
	BBox        *BBox         // a new box; the zone is removed unless Zone is set too
	Zone        *geom.Polygon // a new zone; the box becomes its bounds
	ClearZone   bool          // "zone": null
	Sectors     *[]string
	Status      *WorkshopStatus
	Published   *bool
	Kinds       []AnnotationKind // kinds renamed or added for this workshop
}

// Apply writes the set fields of u into w.
func (u WorkshopUpdate) Apply(w *Workshop) {
	if u.Title != nil {
		w.Title = strings.TrimSpace(*u.Title)
	}
	if u.Description != nil {
		w.Description = *u.Description
	}
	if u.Date != nil {
		w.Date = *u.Date
	}
	switch {
	case u.Zone != nil:
		w.Zone = u.Zone
		w.BBox = Bounds(u.Zone)
	case u.BBox != nil:
		w.Zone = nil
		w.BBox = *u.BBox
	case u.ClearZone:
		w.Zone = nil
	}
	if u.Sectors != nil {
		w.Sectors = *u.Sectors
	}
	if u.Status != nil {
		w.Status = *u.Status
	}
	if u.Published != nil {
		w.Published = *u.Published
	}
}

// CheckPublication returns EConflict when w would be published without
// being closed.
func (w *Workshop) CheckPublication() error {
	if w.Published && w.Status != WorkshopClosed {
		return &Error{Code: EConflict, Message: "only a closed workshop can be published: close it first, or unpublish it before reopening",
			Fields: map[string]string{"published": "the workshop is not closed"}}
	}
	return nil
}

// CheckOpen returns EConflict unless w accepts annotations and votes.
func (w *Workshop) CheckOpen() error {
	switch w.Status {
	case WorkshopOpen:
		return nil
	case WorkshopClosed:
		return Errorf(EConflict, "the workshop is closed: nothing can be added or changed any more")
	}
	return Errorf(EConflict, "the workshop has not started: wait for the animator to open it")
}

// The join code alphabet leaves out look-alikes: no 0 or O, no 1, I or L.
const (
	WorkshopCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	WorkshopCodeLen      = 6
)

// NewWorkshopCode returns a random join code of WorkshopCodeLen
// characters of WorkshopCodeAlphabet, each equally likely.
func NewWorkshopCode() string {
	n := len(WorkshopCodeAlphabet)
	limit := 256 / n * n // bytes below limit map evenly onto the alphabet
	code := make([]byte, 0, WorkshopCodeLen)
	buf := make([]byte, 16)
	for len(code) < WorkshopCodeLen {
		rand.Read(buf)
		for _, b := range buf {
			if int(b) < limit && len(code) < WorkshopCodeLen {
				code = append(code, WorkshopCodeAlphabet[int(b)%n])
			}
		}
	}
	return string(code)
}

// NormalizeWorkshopCode returns code as stored: upper case, without
// spaces or dashes. ok is false when it cannot be a join code.
func NormalizeWorkshopCode(code string) (string, bool) {
	code = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(code))
	if len(code) != WorkshopCodeLen {
		return code, false
	}
	for _, c := range code {
		if !strings.ContainsRune(WorkshopCodeAlphabet, c) {
			return code, false
		}
	}
	return code, true
}

// Token prefixes: an animator secret, a participant token. Both are
// stored as SHA-256 hashes, like keepers' tokens.
const (
	AnimatorTokenPrefix    = "wsa_"
	ParticipantTokenPrefix = "wsp_"
)

// IsWorkshopToken reports whether token is an animator secret or a
// participant token rather than a keeper's.
func IsWorkshopToken(token string) bool {
	return strings.HasPrefix(token, AnimatorTokenPrefix) || strings.HasPrefix(token, ParticipantTokenPrefix)
}

// WorkshopRole is what a caller may do in a workshop.
type WorkshopRole string

const (
	RoleKeeper      WorkshopRole = "keeper"      // a directory keeper: everything, on every workshop
	RoleAnimator    WorkshopRole = "animator"    // holds the workshop's animator secret
	RoleParticipant WorkshopRole = "participant" // joined with the code
	RolePublic      WorkshopRole = "public"      // no token
)

// WorkshopAccess is a caller's role on one workshop; ParticipantID is set
// for participants.
type WorkshopAccess struct {
	Role          WorkshopRole
	ParticipantID int64
}

// Moderates reports whether the caller runs the workshop: a keeper or its
// animator.
func (a WorkshopAccess) Moderates() bool {
	return a.Role == RoleKeeper || a.Role == RoleAnimator
}

// CanRead returns EUnauthorized when the caller may not see w: the public
// sees published workshops only.
func (a WorkshopAccess) CanRead(w *Workshop) error {
	if a.Role == RolePublic && !w.Published {
		return Errorf(EUnauthorized, "this workshop is not public: join it with its code, or use the animator link")
	}
	return nil
}

// CanModerate returns EForbidden unless the caller runs the workshop.
func (a WorkshopAccess) CanModerate() error {
	if !a.Moderates() {
		return Errorf(EForbidden, "only the workshop's animator or a keeper can do this")
	}
	return nil
}

// workshopJSON is the API's shape of a workshop.
type workshopJSON struct {
	ID          int64            `json:"id"`
	Code        string           `json:"code"`
	Title       string           `json:"title"`
	Description string           `json:"description"`
	Date        string           `json:"date"`
	Status      WorkshopStatus   `json:"status"`
	Published   bool             `json:"published"`
	BBox        [4]float64       `json:"bbox"`
	Zone        json.RawMessage  `json:"zone"`
	Sectors     []string         `json:"sectors"`
	Kinds       []AnnotationKind `json:"kinds"`
	Counts      map[string]int   `json:"counts"`
	View        *WorkshopView    `json:"view"`
	Role        WorkshopRole     `json:"role,omitempty"`
	LastEventID int64            `json:"last_event_id"`
	CreatedAt   time.Time        `json:"created_at"`
}

// MarshalJSON writes w in the API's shape. Role is left out when empty, as
// in events, which every role receives.
func (w *Workshop) MarshalJSON() ([]byte, error) {
	j := workshopJSON{ID: w.ID, Code: w.Code, Title: w.Title, Description: w.Description,
		Date: w.Date.Format(time.DateOnly), Status: w.Status, Published: w.Published,
		BBox:    [4]float64{w.BBox.MinLon, w.BBox.MinLat, w.BBox.MaxLon, w.BBox.MaxLat},
		Zone:    json.RawMessage("null"),
		Sectors: w.Sectors, Kinds: w.Kinds, Counts: w.Counts, View: w.View, Role: w.Role,
		LastEventID: w.LastEventID, CreatedAt: w.CreatedAt}
	if j.Sectors == nil {
		j.Sectors = []string{}
	}
	if j.Kinds == nil {
		j.Kinds = []AnnotationKind{}
	}
	if j.Counts == nil {
		j.Counts = map[string]int{}
	}
	if w.Zone != nil {
		z, err := MarshalGeometry(w.Zone)
		if err != nil {
			return nil, err
		}
		j.Zone = z
	}
	return json.Marshal(j)
}
