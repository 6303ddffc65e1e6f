package handlers_test

import (
	"maps"
	"slices"
	"testing"
)

// TestActorInputErrors checks that a bad actor body is refused with every
// bad member named in one 400, and that nothing is stored.
func TestActorInputErrors(t *testing.T) {
	s := newTestServer(t, nil)
	reasons := map[string]string{"colour": "unknown field", "Name": "unknown field", "address.zip": "unknown field",
		"id": "read-only", "geocoding": "read-only", "name": "must be a string", "sectors": "must be a list of strings"}
	for _, tc := range []struct {
		body   string
		fields []string
	}{
		{`[1]`, []string{"body"}},
		{`null`, []string{"body"}},
		{`{"name": "x"`, []string{"body"}},
		{`{"name": "Atelier", "sectors": ["culture"], "colour": "red", "Name": "x", "id": 3, "geocoding": {}}`,
			[]string{"colour", "Name", "id", "geocoding"}},
		{`{"name": 12, "sectors": "culture", "contact_public": "yes", "status": "gone", "kind": ["ACI"]}`,
			[]string{"name", "sectors", "contact_public", "status", "kind"}},
		{`{"name": "Atelier", "sectors": ["culture"], "legal_form": 12, "address": {"street": "1 rue", "zip": "79000"},
			"location": {"type": "Point", "coordinates": [1]}}`, []string{"legal_form", "address.zip", "location"}},
		{`{"name": "Atelier", "sectors": ["culture"], "address": "1 rue", "location": "here", "status": null}`,
			[]string{"address", "location", "status"}},
	} {
		var e apiError
		if code := s.do(t, "POST", "/api/actors", tc.body, true, &e); code != 400 ||
			!slices.Equal(slices.Sorted(maps.Keys(e.Fields)), slices.Sorted(slices.Values(tc.fields))) {
			t.Errorf("%s = %d %+v, want 400 naming %v", tc.body, code, e, tc.fields)
		}
		for f, why := range e.Fields {
			if want, ok := reasons[f]; ok && why != want {
				t.Errorf("%s: %s is %q, want %q", tc.body, f, why, want)
			}
		}
	}
	var list actorList
	if s.do(t, "GET", "/api/actors", nil, true, &list); list.Total != 0 {
		t.Errorf("bad bodies stored actors: %+v", list)
	}
}

// TestActorInputNull checks that null empties a field, and an absent
// member changes nothing.
func TestActorInputNull(t *testing.T) {
	s := newTestServer(t, nil)
	var a struct {
		ID       int64             `json:"id"`
		Name     string            `json:"name"`
		Kind     string            `json:"kind"`
		Networks []string          `json:"networks"`
		Address  map[string]string `json:"address"`
		Location *struct{}         `json:"location"`
	}
	input := map[string]any{"name": "Atelier", "sectors": []string{"culture"}, "kind": "ACI", "networks": []string{"CRESS"},
		"address":  map[string]string{"street": "5 rue Ricard", "postcode": "79000", "city": "Niort"},
		"location": map[string]any{"type": "Point", "coordinates": []float64{-0.4588, 46.3239}}}
	if code := s.do(t, "POST", "/api/actors", input, true, &a); code != 201 || a.Location == nil {
		t.Fatalf("POST = %d %+v", code, a)
	}
	patch := `{"kind": null, "networks": null, "location": null, "address": {"postcode": null}}`
	if code := s.do(t, "PATCH", "/api/actors/"+itoa(a.ID), patch, true, &a); code != 200 {
		t.Fatalf("PATCH = %d", code)
	}
	if a.Name != "Atelier" || a.Kind != "" || a.Networks == nil || len(a.Networks) != 0 || a.Location != nil ||
		a.Address["postcode"] != "" || a.Address["street"] != "5 rue Ricard" {
		t.Errorf("after PATCH with nulls: %+v", a)
	}
}
