package geo

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// A suggestion is a proposal from the public: a new structure, or a
// correction of an actor (ActorID set, only the changed fields given),
// waiting for a moderator.
type Suggestion struct {
	ID        int64           `json:"id"`
	ActorID   *int64          `json:"actor_id"`
	Fields    SuggestedFields `json:"fields"`
	Email     string          `json:"email,omitempty"` // the proposer's, kept 30 days after the decision
	State     string          `json:"state"`           // pending, accepted, rejected, merged
	Reason    string          `json:"reason,omitempty"`
	Duplicate *Duplicate      `json:"duplicate,omitempty"`
	DecidedBy string          `json:"decided_by,omitempty"`
	DecidedAt *time.Time      `json:"decided_at,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

// Duplicate is an actor a suggestion or an imported row may repeat.
type Duplicate struct {
	ActorID int64  `json:"actor_id"`
	Name    string `json:"name"`
	Reason  string `json:"reason"` // "siret" or "name" (similar name within 300 m)
}

// Suggestion states.
const (
	SuggestionPending  = "pending"
	SuggestionAccepted = "accepted"
	SuggestionRejected = "rejected"
	SuggestionMerged   = "merged"
)

// SuggestedFields are the fields a suggestion proposes; nil is "not
// given". Location is where the proposer's address was found, for
// duplicates and the moderator's map; the accepted actor is geocoded
// like any other.
type SuggestedFields struct {
	Name        *string     `json:"name,omitempty"`
	Sectors     *[]string   `json:"sectors,omitempty"`
	Street      *string     `json:"street,omitempty"`
	Postcode    *string     `json:"postcode,omitempty"`
	City        *string     `json:"city,omitempty"`
	SIRET       *string     `json:"siret,omitempty"`
	Website     *string     `json:"website,omitempty"`
	Description *string     `json:"description,omitempty"`
	Location    *[2]float64 `json:"location,omitempty"` // [lon, lat]
}

// Caps on what the public may send.
const (
	SuggestionTextMax        = 200  // characters of name, street, city, website
	SuggestionDescriptionMax = 3000 // characters of the description
	SuggestionLinksMax       = 3    // links in all the text
)

var linkPattern = regexp.MustCompile(`(?i)https?://|www\.`)

// Validate checks the caps, returning EInvalid naming every field at
// fault. A new structure (correction false) needs a name.
func (f SuggestedFields) Validate(correction bool) error {
	errs := FieldErrors{}
	links := 0
	for name, v := range map[string]*string{"name": f.Name, "street": f.Street, "postcode": f.Postcode, "city": f.City,
		"siret": f.SIRET, "website": f.Website, "description": f.Description} {
		if v == nil {
			continue
		}
		max := SuggestionTextMax
		if name == "description" {
			max = SuggestionDescriptionMax
		}
		if n := utf8.RuneCountInString(*v); n > max {
			errs.Add(name, fmt.Sprintf("at most %d characters", max))
		}
		if strings.ContainsRune(*v, 0) {
			errs.Add(name, "no NUL character")
		}
		if name != "website" {
			links += len(linkPattern.FindAllStringIndex(*v, -1))
		}
	}
	if links > SuggestionLinksMax {
		errs.Add("description", fmt.Sprintf("at most %d links", SuggestionLinksMax))
	}
	if !correction && (f.Name == nil || strings.TrimSpace(*f.Name) == "") {
		errs.Add("name", "required")
	}
	if f.Sectors != nil && len(*f.Sectors) > 10 {
		errs.Add("sectors", "at most 10")
	}
	if l := f.Location; l != nil && (l[0] < -180 || l[0] > 180 || l[1] < -90 || l[1] > 90) {
		errs.Add("location", "a point in WGS 84")
	}
	if correction && f == (SuggestedFields{}) {
		errs.Add("fields", "nothing to change")
	}
	if err := errs.Err(); err != nil {
		return err
	}
	return nil
}

// Update returns the ActorUpdate of the fields given (not the location:
// the actor is geocoded from its address).
func (f SuggestedFields) Update() ActorUpdate {
	return ActorUpdate{Name: f.Name, Sectors: f.Sectors, Street: f.Street, Postcode: f.Postcode, City: f.City,
		SIRET: f.SIRET, Website: f.Website, Description: f.Description}
}

// Decision is a moderator's answer to a suggestion.
type Decision struct {
	State  string           // accepted, rejected or merged
	Edits  *SuggestedFields // accepted: the fields as edited by the moderator; nil: as proposed
	Reason string           // rejected: why
	Into   int64            // merged: the actor the suggestion completes
	By     string           // who decides
}
