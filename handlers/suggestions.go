package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// SuggestionStore keeps the public's suggestions and their moderation.
type SuggestionStore interface {
	CreateSuggestion(ctx context.Context, sg *geo.Suggestion) error
	PendingSuggestions(ctx context.Context, limit int) ([]geo.Suggestion, int, error)
	CountPending(ctx context.Context) (int, error)
	DecideSuggestion(ctx context.Context, id int64, d geo.Decision) (*geo.Suggestion, *geo.Actor, error)
}

// formToken returns a token stamped with now, which a suggestion must
// carry: it proves the form was loaded, and when.
func (s *Server) formToken(now time.Time) string {
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	mac := hmac.New(sha256.New, s.formKey)
	mac.Write([]byte(ts))
	return ts + "." + hex.EncodeToString(mac.Sum(nil))
}

// formAge returns how long ago token was given, or false when it is not
// one of this server's.
func (s *Server) formAge(token string, now time.Time) (time.Duration, bool) {
	ts, sum, ok := strings.Cut(token, ".")
	got, err := hex.DecodeString(sum)
	if !ok || err != nil {
		return 0, false
	}
	mac := hmac.New(sha256.New, s.formKey)
	mac.Write([]byte(ts))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return 0, false
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, false
	}
	return now.Sub(time.UnixMilli(ms)), true
}

// suggestionForm answers GET /api/suggestions/form: {"form_token"}, to
// send with the suggestion, no sooner than SuggestionMinFill after.
func (s *Server) suggestionForm(c *echo.Context) error {
	if err := readParams(c).err(); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]string{"form_token": s.formToken(time.Now())})
}

// suggestionInput is the body of POST /api/suggestions.
type suggestionInput struct {
	ActorID   *int64           `json:"actor_id"`
	Fields    suggestionFields `json:"fields"`
	Email     string           `json:"email"`
	Consent   bool             `json:"consent"`
	FormToken string           `json:"form_token"`
	Homepage  string           `json:"homepage"` // the honeypot: hidden from people, filled by robots
}

type suggestionFields struct {
	Name        *string   `json:"name"`
	Sectors     *[]string `json:"sectors"`
	Street      *string   `json:"street"`
	Postcode    *string   `json:"postcode"`
	City        *string   `json:"city"`
	SIRET       *string   `json:"siret"`
	Website     *string   `json:"website"`
	Description *string   `json:"description"`
	Location    *struct {
		Type        string    `json:"type"`
		Coordinates []float64 `json:"coordinates"`
	} `json:"location"`
}

// createSuggestion answers POST /api/suggestions (everyone): 202 with
// the suggestion's id. A body whose honeypot is filled, or sent sooner
// than SuggestionMinFill after its form token, gets the same answer and
// is dropped: nothing is stored. 400 names the fields at fault (a
// description over its cap, too many links, a missing form token); 429
// past SuggestionsPerMinute for the client IP.
func (s *Server) createSuggestion(c *echo.Context) error {
	if s.Suggestions == nil {
		return geo.Errorf(geo.EUnavailable, "suggestions are not enabled")
	}
	var in suggestionInput
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	errs := geo.FieldErrors{}
	now := time.Now()
	age, ok := s.formAge(in.FormToken, now)
	if !ok || age > 24*time.Hour {
		errs.Add("form_token", "reload the form (GET /api/suggestions/form)")
	}
	f := geo.SuggestedFields{Name: in.Fields.Name, Sectors: in.Fields.Sectors, Street: in.Fields.Street,
		Postcode: in.Fields.Postcode, City: in.Fields.City, SIRET: in.Fields.SIRET, Website: in.Fields.Website,
		Description: in.Fields.Description}
	if l := in.Fields.Location; l != nil {
		if l.Type != "Point" || len(l.Coordinates) != 2 {
			errs.Add("fields.location", "a GeoJSON Point")
		} else {
			f.Location = &[2]float64{l.Coordinates[0], l.Coordinates[1]}
		}
	}
	if err := f.Validate(in.ActorID != nil); err != nil {
		if e, ok := err.(*geo.Error); ok {
			for k, v := range e.Fields {
				errs.Add("fields."+k, v)
			}
		}
	}
	email := ""
	if strings.TrimSpace(in.Email) != "" {
		e, err := geo.NormalizeEmail(in.Email)
		if err != nil {
			errs.Add("email", "an address such as nom@exemple.fr")
		}
		if !in.Consent {
			errs.Add("consent", "required with an email")
		}
		email = e
	}
	if err := errs.Err(); err != nil {
		return err
	}
	if in.Homepage != "" || age < s.opts.SuggestionMinFill {
		n, _ := rand.Int(rand.Reader, big.NewInt(1<<40))
		return c.JSON(http.StatusAccepted, map[string]any{"id": n.Int64() + 1, "state": geo.SuggestionPending})
	}
	sg := &geo.Suggestion{ActorID: in.ActorID, Fields: f, Email: email}
	if err := s.Suggestions.CreateSuggestion(c.Request().Context(), sg); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"id": sg.ID, "state": sg.State})
}

// moderationPage serves the moderation page (/moderation), which signs
// in and reads the queue through the API.
func (s *Server) moderationPage(c *echo.Context) error {
	if err := readParams(c).err(); err != nil {
		return err
	}
	return s.serveShell(c, "moderation.html", http.StatusOK, pageJSON{}, nil, "")
}

// suggestionJSON is a suggestion in the moderation queue, with the actor
// it corrects and its duplicate candidate.
type suggestionJSON struct {
	geo.Suggestion
	Actor          any `json:"actor"`
	DuplicateActor any `json:"duplicate_actor"`
}

// listSuggestions answers GET /api/suggestions?limit= (moderators): the
// pending suggestions, oldest first, {"items", "pending"}.
func (s *Server) listSuggestions(c *echo.Context) error {
	if s.Suggestions == nil {
		return geo.Errorf(geo.EUnavailable, "suggestions are not enabled")
	}
	p := readParams(c, "limit")
	limit := p.intIn("limit", 50, 1, s.opts.PageMax)
	if err := p.err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	sgs, n, err := s.Suggestions.PendingSuggestions(ctx, limit)
	if err != nil {
		return err
	}
	items := make([]suggestionJSON, len(sgs))
	for i, sg := range sgs {
		items[i].Suggestion = sg
		if sg.ActorID != nil {
			if a, err := s.Actors.FindActorByID(ctx, *sg.ActorID); err == nil {
				items[i].Actor = newActorJSON(a, keeper(c))
			}
		}
		if sg.Duplicate != nil {
			if a, err := s.Actors.FindActorByID(ctx, sg.Duplicate.ActorID); err == nil {
				items[i].DuplicateActor = newActorJSON(a, keeper(c))
			}
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "pending": n})
}

// countSuggestions answers GET /api/suggestions/count (moderators):
// {"pending": n}.
func (s *Server) countSuggestions(c *echo.Context) error {
	if err := readParams(c).err(); err != nil {
		return err
	}
	if s.Suggestions == nil {
		return geo.Errorf(geo.EUnavailable, "suggestions are not enabled")
	}
	n, err := s.Suggestions.CountPending(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"pending": n})
}

// decideSuggestion answers POST /api/suggestions/{id}/accept {"fields"?}
// (as proposed, or as edited), /reject {"reason"} and /merge
// {"actor_id"} (moderators): the suggestion and the actor written.
func (s *Server) decideSuggestion(state string) echo.HandlerFunc {
	return func(c *echo.Context) error {
		if s.Suggestions == nil {
			return geo.Errorf(geo.EUnavailable, "suggestions are not enabled")
		}
		id, err := pathID(c, "id", "suggestion")
		if err != nil {
			return err
		}
		var in struct {
			Fields  *suggestionFields `json:"fields"`
			Reason  string            `json:"reason"`
			ActorID int64             `json:"actor_id"`
		}
		if err := decodeBody(c, &in); err != nil {
			return err
		}
		d := geo.Decision{State: state, Reason: strings.TrimSpace(in.Reason), Into: in.ActorID, By: authorOf(c).Who}
		switch {
		case state == geo.SuggestionRejected && d.Reason == "":
			return &geo.Error{Code: geo.EInvalid, Message: "invalid input", Fields: map[string]string{"reason": "required"}}
		case state == geo.SuggestionMerged && d.Into <= 0:
			return &geo.Error{Code: geo.EInvalid, Message: "invalid input", Fields: map[string]string{"actor_id": "the actor to merge into"}}
		case in.Fields != nil:
			d.Edits = &geo.SuggestedFields{Name: in.Fields.Name, Sectors: in.Fields.Sectors, Street: in.Fields.Street,
				Postcode: in.Fields.Postcode, City: in.Fields.City, SIRET: in.Fields.SIRET, Website: in.Fields.Website,
				Description: in.Fields.Description}
		}
		sg, a, err := s.Suggestions.DecideSuggestion(c.Request().Context(), id, d)
		if err != nil {
			return err
		}
		out := map[string]any{"suggestion": sg, "actor": nil}
		if a != nil {
			out["actor"] = newActorJSON(a, keeper(c))
		}
		return c.JSON(http.StatusOK, out)
	}
}
