package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/maillage/maillage/geo"
)

// pointJSON is a GeoJSON Point.
type pointJSON struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

func newPointJSON(p *geo.Point) *pointJSON {
	if p == nil {
		return nil
	}
	return &pointJSON{Type: "Point", Coordinates: [2]float64{p.Lon, p.Lat}}
}

type geocodingJSON struct {
	Source   string   `json:"source"`
	Geocoder string   `json:"geocoder,omitempty"`
	Score    *float64 `json:"score,omitempty"`
	Label    string   `json:"label,omitempty"`
	State    string   `json:"state,omitempty"`
}

// actorJSON is an actor as the API shows it.
type actorJSON struct {
	ID            int64         `json:"id"`
	Name          string        `json:"name"`
	Sectors       []string      `json:"sectors"`
	LegalForm     geo.LegalForm `json:"legal_form"`
	Kind          string        `json:"kind"`
	NAF           string        `json:"naf"`
	SIRET         string        `json:"siret"`
	SIRETValid    bool          `json:"siret_valid"`
	Address       geo.Address   `json:"address"`
	Location      *pointJSON    `json:"location"`
	Geocoding     geocodingJSON `json:"geocoding"`
	Description   string        `json:"description"`
	Website       string        `json:"website"`
	Email         string        `json:"email,omitempty"`
	Phone         string        `json:"phone,omitempty"`
	ContactPublic bool          `json:"contact_public"`
	Networks      []string      `json:"networks"`
	Projects      []string      `json:"projects"`
	Expertise     []string      `json:"expertise"`
	Status        geo.Status    `json:"status"`
	Source        string        `json:"source"`
	ExternalID    string        `json:"external_id"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`

	Territories *geo.ActorPlace `json:"territories"`
}

// newActorJSON shows a. Contacts are shown to keepers, and to the public
// only with the actor's consent.
func newActorJSON(a *geo.Actor, k *geo.Keeper) actorJSON {
	j := actorJSON{
		ID: a.ID, Name: a.Name, Sectors: nonNil(a.Sectors), LegalForm: a.LegalForm, Kind: a.Kind,
		NAF: a.NAF, SIRET: a.SIRET, SIRETValid: a.SIRETValid(), Address: a.Address, Location: newPointJSON(a.Location),
		Geocoding: geocodingJSON{Source: a.Geocoding.Source, Geocoder: a.Geocoding.Geocoder,
			Score: a.Geocoding.Score, Label: a.Geocoding.Label, State: a.Geocoding.State},
		Description: a.Description, Website: a.Website, ContactPublic: a.ContactPublic,
		Networks: nonNil(a.Networks), Projects: nonNil(a.Projects), Expertise: nonNil(a.Expertise),
		Status: a.Status, Source: a.Source, ExternalID: a.ExternalID,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		Territories: a.Place,
	}
	if a.ContactPublic || k != nil {
		j.Email, j.Phone = a.Email, a.Phone
	}
	return j
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// decodeActorInput reads a JSON object of actor fields into an update.
// Absent fields stay nil; "location": null removes the point. Unknown
// fields and values of the wrong type are reported by name.
func decodeActorInput(body []byte, legalForms *geo.LegalForms) (geo.ActorUpdate, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return geo.ActorUpdate{}, &geo.Error{Code: geo.EInvalid, Message: "the body must be a JSON object",
			Fields: map[string]string{"body": "not a JSON object"}}
	}
	var u geo.ActorUpdate
	errs := geo.FieldErrors{}
	str := func(field string, dst **string) func(json.RawMessage) {
		return func(m json.RawMessage) {
			var v string
			if err := json.Unmarshal(m, &v); err != nil {
				errs.Add(field, "must be a string")
				return
			}
			*dst = &v
		}
	}
	list := func(field string, dst **[]string) func(json.RawMessage) {
		return func(m json.RawMessage) {
			var v []string
			if err := json.Unmarshal(m, &v); err != nil {
				errs.Add(field, "must be a list of strings")
				return
			}
			if v == nil {
				v = []string{}
			}
			*dst = &v
		}
	}
	fields := map[string]func(json.RawMessage){
		"name":        str("name", &u.Name),
		"kind":        str("kind", &u.Kind),
		"naf":         str("naf", &u.NAF),
		"siret":       str("siret", &u.SIRET),
		"description": str("description", &u.Description),
		"website":     str("website", &u.Website),
		"email":       str("email", &u.Email),
		"phone":       str("phone", &u.Phone),
		"source":      str("source", &u.Source),
		"external_id": str("external_id", &u.ExternalID),
		"sectors":     list("sectors", &u.Sectors),
		"networks":    list("networks", &u.Networks),
		"projects":    list("projects", &u.Projects),
		"expertise":   list("expertise", &u.Expertise),
		"contact_public": func(m json.RawMessage) {
			var v bool
			if err := json.Unmarshal(m, &v); err != nil {
				errs.Add("contact_public", "must be true or false")
				return
			}
			u.ContactPublic = &v
		},
		"status": func(m json.RawMessage) {
			var v geo.Status
			if err := json.Unmarshal(m, &v); err != nil || !v.Valid() {
				errs.Add("status", "must be draft, published or archived")
				return
			}
			u.Status = &v
		},
		"legal_form": func(m json.RawMessage) {
			var text string
			if err := json.Unmarshal(m, &text); err == nil {
				lf := legalForms.Resolve(text)
				u.LegalForm = &lf
				return
			}
			var lf geo.LegalForm
			if err := json.Unmarshal(m, &lf); err != nil {
				errs.Add("legal_form", "an INSEE code, a label, or {\"code\", \"label\", \"family\"}")
				return
			}
			if lf.Code != "" || lf.Label != "" {
				text := lf.Code
				if text == "" {
					text = lf.Label
				}
				resolved := legalForms.Resolve(text)
				if lf.Family == "" {
					lf.Family = resolved.Family
				}
				if lf.Label == "" {
					lf.Label = resolved.Label
				}
			}
			u.LegalForm = &lf
		},
		"address": func(m json.RawMessage) {
			var a map[string]*string
			if err := json.Unmarshal(m, &a); err != nil {
				errs.Add("address", "an object with street, postcode, city, citycode")
				return
			}
			for k, v := range a {
				dst := map[string]**string{"street": &u.Street, "postcode": &u.Postcode,
					"city": &u.City, "citycode": &u.Citycode}[k]
				switch {
				case dst == nil:
					errs.Add("address."+k, "unknown field")
				case v == nil:
					empty := ""
					*dst = &empty
				default:
					*dst = v
				}
			}
		},
		"location": func(m json.RawMessage) {
			if string(bytes.TrimSpace(m)) == "null" {
				u.ClearLocation = true
				return
			}
			var p struct {
				Type        string    `json:"type"`
				Coordinates []float64 `json:"coordinates"`
			}
			if err := json.Unmarshal(m, &p); err != nil || p.Type != "Point" || len(p.Coordinates) != 2 {
				errs.Add("location", `a GeoJSON Point {"type": "Point", "coordinates": [lon, lat]} or null`)
				return
			}
			u.Location = &geo.Point{Lon: p.Coordinates[0], Lat: p.Coordinates[1]}
		},
	}
	for k, m := range raw {
		set, ok := fields[k]
		if !ok {
			if readOnlyFields[k] {
				errs.Add(k, "read-only")
			} else {
				errs.Add(k, "unknown field")
			}
			continue
		}
		if string(bytes.TrimSpace(m)) == "null" && k != "location" {
			m = json.RawMessage(nullAs[k])
		}
		set(m)
	}
	return u, errs.Err()
}

var readOnlyFields = map[string]bool{"id": true, "created_at": true, "updated_at": true, "geocoding": true}

// nullAs gives the value that a JSON null stands for in each field.
var nullAs = func() map[string]string {
	m := map[string]string{"sectors": "[]", "networks": "[]", "projects": "[]", "expertise": "[]",
		"contact_public": "false", "status": `""`, "legal_form": "{}", "address": "{}"}
	for _, k := range []string{"name", "kind", "naf", "siret", "description", "website", "email",
		"phone", "source", "external_id"} {
		m[k] = `""`
	}
	return m
}()

func idParam(s string) (int64, error) {
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil || id <= 0 || fmt.Sprint(id) != s {
		return 0, &geo.Error{Code: geo.EInvalid, Message: "invalid actor id", Fields: map[string]string{"id": "a positive integer"}}
	}
	return id, nil
}
