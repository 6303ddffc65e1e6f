package handlers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
)

// newActorJSON shows a. Contacts are shown to keepers, and to the public
// only with the actor's consent.
func newActorJSON(a *geo.Actor, k *geo.Keeper) actorfile.JSON {
	return actorfile.NewJSON(a, k != nil)
}

// writtenActorJSON is an actor as a write answers it: with warnings on
// what was kept but looks wrong, such as a point outside France.
type writtenActorJSON struct {
	actorfile.JSON
	Warnings map[string]string `json:"warnings,omitempty"`
}

// writtenActorJSON shows a as written, warned when its point lies outside
// France or the configured territory. When the territory cannot be read,
// the warning is about France only, and the failure logged.
func (s *Server) writtenActorJSON(ctx context.Context, a *geo.Actor, k *geo.Keeper) writtenActorJSON {
	out := writtenActorJSON{JSON: newActorJSON(a, k)}
	if a.Location == nil {
		return out
	}
	var territory []geo.Area
	if s.Territory != nil {
		var err error
		if territory, err = s.Territory.Areas(ctx); err != nil {
			s.logger.Warn("configured territory unreadable", "err", err)
		}
	}
	if w := geo.OutsideWarning(*a.Location, territory); w != "" {
		out.Warnings = map[string]string{"location": w}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// actorInput is the JSON body of POST and PATCH on actors. A member left
// out changes nothing; null empties the field ("location": null removes
// the point).
type actorInput struct {
	Name          optional[string]             `json:"name"`
	Sectors       optional[[]string]           `json:"sectors"`
	LegalForm     optional[legalFormInput]     `json:"legal_form"`
	Kind          optional[string]             `json:"kind"`
	NAF           optional[string]             `json:"naf"`
	SIRET         optional[string]             `json:"siret"`
	Address       optional[map[string]*string] `json:"address"`
	Location      optional[pointInput]         `json:"location"`
	Description   optional[string]             `json:"description"`
	Website       optional[string]             `json:"website"`
	Email         optional[string]             `json:"email"`
	Phone         optional[string]             `json:"phone"`
	ContactPublic optional[bool]               `json:"contact_public"`
	Networks      optional[[]string]           `json:"networks"`
	Projects      optional[[]string]           `json:"projects"`
	Expertise     optional[[]string]           `json:"expertise"`
	Status        optional[geo.Status]         `json:"status"`
	Source        optional[string]             `json:"source"`
	ExternalID    optional[string]             `json:"external_id"`
}

// actorInputMembers are the names actorInput reads; readOnlyMembers are
// those of actorfile.JSON that a client cannot set.
var (
	actorInputMembers = memberNames[actorInput]()
	readOnlyMembers   = map[string]bool{"id": true, "created_at": true, "updated_at": true, "geocoding": true}
)

// decodeActorInput reads a JSON object of actor fields into an update.
// Each unknown or read-only member and each value of the wrong type is
// named in one EInvalid error.
func decodeActorInput(body []byte, legalForms *geo.LegalForms) (geo.ActorUpdate, error) {
	var in actorInput
	names, ok := objectMembers(body)
	if !ok || json.Unmarshal(body, &in) != nil {
		return geo.ActorUpdate{}, &geo.Error{Code: geo.EInvalid, Message: "the body must be a JSON object",
			Fields: map[string]string{"body": "not a JSON object"}}
	}
	errs := geo.FieldErrors{}
	for _, name := range names {
		switch {
		case readOnlyMembers[name]:
			errs.Add(name, "read-only")
		case !actorInputMembers[name]:
			errs.Add(name, "unknown field")
		}
	}
	str := func(field string, o optional[string]) *string { return o.get(errs, field, "must be a string") }
	list := func(field string, o optional[[]string]) *[]string {
		v := o.get(errs, field, "must be a list of strings")
		if v != nil && *v == nil {
			*v = []string{}
		}
		return v
	}
	u := geo.ActorUpdate{
		Name: str("name", in.Name), Kind: str("kind", in.Kind), NAF: str("naf", in.NAF), SIRET: str("siret", in.SIRET),
		Description: str("description", in.Description), Website: str("website", in.Website),
		Email: str("email", in.Email), Phone: str("phone", in.Phone), Source: str("source", in.Source),
		ExternalID: str("external_id", in.ExternalID),
		Sectors:    list("sectors", in.Sectors), Networks: list("networks", in.Networks),
		Projects: list("projects", in.Projects), Expertise: list("expertise", in.Expertise),
		ContactPublic: in.ContactPublic.get(errs, "contact_public", "must be true or false"),
	}
	const statusHelp = "must be draft, published or archived"
	if st := in.Status.get(errs, "status", statusHelp); st != nil && !st.Valid() {
		errs.Add("status", statusHelp)
	} else {
		u.Status = st
	}
	if lf := in.LegalForm.get(errs, "legal_form", `an INSEE code, a label, or {"code", "label", "family"}`); lf != nil {
		form := lf.resolve(legalForms)
		u.LegalForm = &form
	}
	if addr := in.Address.get(errs, "address", "an object with street, postcode, city, citycode"); addr != nil {
		for k, v := range *addr {
			dst := map[string]**string{"street": &u.Street, "postcode": &u.Postcode, "city": &u.City, "citycode": &u.Citycode}[k]
			switch {
			case dst == nil:
				errs.Add("address."+k, "unknown field")
			case v == nil:
				*dst = new(string)
			default:
				*dst = v
			}
		}
	}
	const pointHelp = `a GeoJSON Point {"type": "Point", "coordinates": [lon, lat]} or null`
	switch p := in.Location.get(errs, "location", pointHelp); {
	case in.Location.Null:
		u.ClearLocation = true
	case p == nil: // absent, or named by get
	case p.Type != "Point" || len(p.Coordinates) != 2:
		errs.Add("location", pointHelp)
	default:
		u.Location = &geo.Point{Lon: p.Coordinates[0], Lat: p.Coordinates[1]}
	}
	return u, errs.Err()
}

// pointInput is a GeoJSON Point as a client sends it.
type pointInput struct {
	Type        string    `json:"type"`
	Coordinates []float64 `json:"coordinates"`
}

// legalFormInput is a legal form given as text, an INSEE code or a label,
// or as an object {"code", "label", "family"}.
type legalFormInput struct {
	text   *string
	object geo.LegalForm
}

func (l *legalFormInput) UnmarshalJSON(b []byte) error {
	var text string
	if json.Unmarshal(b, &text) == nil {
		l.text = &text
		return nil
	}
	return json.Unmarshal(b, &l.object)
}

// resolve returns the legal form l names in forms. An object keeps what it
// gives and takes its missing label and family from its code, or else
// from its label.
func (l legalFormInput) resolve(forms *geo.LegalForms) geo.LegalForm {
	if l.text != nil {
		return forms.Resolve(*l.text)
	}
	lf := l.object
	if lf.Code == "" && lf.Label == "" {
		return lf
	}
	text := lf.Code
	if text == "" {
		text = lf.Label
	}
	resolved := forms.Resolve(text)
	if lf.Family == "" {
		lf.Family = resolved.Family
	}
	if lf.Label == "" {
		lf.Label = resolved.Label
	}
	return lf
}

func idParam(s string) (int64, error) {
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil || id <= 0 || fmt.Sprint(id) != s {
		return 0, &geo.Error{Code: geo.EInvalid, Message: "invalid actor id", Fields: map[string]string{"id": "a positive integer"}}
	}
	return id, nil
}
