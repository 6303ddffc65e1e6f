package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
)

// formToken asks the server for a suggestion form token.
func (s *accountServer) formToken(t *testing.T) string {
	t.Helper()
	var out struct {
		FormToken string `json:"form_token"`
	}
	_, body := s.send(t, "GET", "/api/suggestions/form", nil, nil)
	json.Unmarshal([]byte(body), &out)
	if out.FormToken == "" {
		t.Fatalf("no form token: %s", body)
	}
	return out.FormToken
}

func (s *accountServer) count(t *testing.T, query string) int {
	t.Helper()
	var n int
	if err := s.db.Pool.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func noMinFill(o *handlers.Options) { o.SuggestionMinFill = 0; o.SuggestionsPerMinute = 0 }

func TestSuggestionSpam(t *testing.T) {
	s := newAccountServer(t, func(o *handlers.Options) { o.SuggestionsPerMinute = 0 })
	fields := map[string]any{"name": "Ressourcerie des Deux-Sèvres"}
	// Sent at once after the form was loaded: too fast, dropped.
	code, body := s.send(t, "POST", "/api/suggestions", map[string]any{"fields": fields, "form_token": s.formToken(t)}, nil)
	if code != 202 || !strings.Contains(body, `"id"`) {
		t.Errorf("too fast = %d %s, want 202 with an id", code, body)
	}
	if n := s.count(t, `SELECT count(*) FROM suggestions`); n != 0 {
		t.Errorf("%d suggestions stored from a form filled too fast", n)
	}

	s = newAccountServer(t, noMinFill)
	tok := s.formToken(t)
	// The honeypot filled: the same answer, nothing stored.
	code, body = s.send(t, "POST", "/api/suggestions", map[string]any{"fields": fields, "form_token": tok, "homepage": "http://spam.example"}, nil)
	if code != 202 || !strings.Contains(body, `"id"`) {
		t.Errorf("honeypot = %d %s, want 202 with an id", code, body)
	}
	if n := s.count(t, `SELECT count(*) FROM suggestions`); n != 0 {
		t.Errorf("%d suggestions stored with the honeypot filled", n)
	}
	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"1 MB description", map[string]any{"fields": map[string]any{"name": "X", "description": strings.Repeat("a", 1_000_000)}, "form_token": tok}, "fields.description"},
		{"links", map[string]any{"fields": map[string]any{"name": "X", "description": "http://a.example http://b.example www.c.example https://d.example"}, "form_token": tok}, "fields.description"},
		{"no token", map[string]any{"fields": fields}, "form_token"},
		{"forged token", map[string]any{"fields": fields, "form_token": "1.00"}, "form_token"},
		{"no name", map[string]any{"fields": map[string]any{"city": "Niort"}, "form_token": tok}, "fields.name"},
		{"email without consent", map[string]any{"fields": fields, "form_token": tok, "email": "a@example.org"}, "consent"},
	} {
		code, body := s.send(t, "POST", "/api/suggestions", c.body, nil)
		var e struct{ Fields map[string]string }
		json.Unmarshal([]byte(body), &e)
		if code != 400 || e.Fields[c.field] == "" {
			t.Errorf("%s = %d %.200s, want 400 naming %s", c.name, code, body, c.field)
		}
	}
	if n := s.count(t, `SELECT count(*) FROM suggestions`); n != 0 {
		t.Errorf("%d suggestions stored from bad input", n)
	}
}

func TestSuggestionRateLimit(t *testing.T) {
	s := newAccountServer(t, func(o *handlers.Options) { o.SuggestionMinFill = 0; o.SuggestionsPerMinute = 4 })
	tok := s.formToken(t)
	codes := []int{}
	for range 3 {
		code, _ := s.send(t, "POST", "/api/suggestions", map[string]any{"fields": map[string]any{"name": "Café associatif"}, "form_token": tok}, nil)
		codes = append(codes, code)
	}
	if codes[0] != 202 || codes[2] != 429 {
		t.Errorf("three suggestions at once with 4 a minute = %v, want 202 then 429", codes)
	}
}

func TestSuggestionModeration(t *testing.T) {
	s := newAccountServer(t, noMinFill)
	keeper := http.Header{"Authorization": {"Bearer " + s.tokens["keeper"]}}
	moderator := http.Header{"Authorization": {"Bearer " + s.tokens["moderator"]}}
	// An actor already in the directory.
	_, body := s.send(t, "POST", "/api/actors", map[string]any{"name": "La Recyclerie du Marais", "sectors": []string{"reemploi"},
		"siret": "80746931700018", "location": map[string]any{"type": "Point", "coordinates": []float64{-0.4588, 46.3239}}}, keeper)
	var existing struct{ ID int64 }
	json.Unmarshal([]byte(body), &existing)

	post := func(fields map[string]any, extra map[string]any) int64 {
		b := map[string]any{"fields": fields, "form_token": s.formToken(t)}
		for k, v := range extra {
			b[k] = v
		}
		code, body := s.send(t, "POST", "/api/suggestions", b, nil)
		var out struct{ ID int64 }
		json.Unmarshal([]byte(body), &out)
		if code != 202 || out.ID == 0 {
			t.Fatalf("suggestion = %d %s", code, body)
		}
		return out.ID
	}
	// A similar name 100 m away; the same SIRET; a new one far away.
	near := post(map[string]any{"name": "Recyclerie du Marais", "description": "Dépôt <script>alert(1)</script>",
		"location": map[string]any{"type": "Point", "coordinates": []float64{-0.4575, 46.3240}}},
		map[string]any{"email": "habitante@example.org", "consent": true})
	bySiret := post(map[string]any{"name": "Autre nom", "siret": "80746931700018"}, nil)
	fresh := post(map[string]any{"name": "Épicerie solidaire du Clou Bouchet", "city": "Niort", "sectors": []string{"alimentation"},
		"location": map[string]any{"type": "Point", "coordinates": []float64{-0.4700, 46.3100}}}, nil)

	var queue struct {
		Items []struct {
			ID        int64
			Duplicate *struct {
				ActorID int64  `json:"actor_id"`
				Reason  string `json:"reason"`
			}
			DuplicateActor *struct{ Name string } `json:"duplicate_actor"`
		}
		Pending int
	}
	code, body := s.send(t, "GET", "/api/suggestions", nil, moderator)
	json.Unmarshal([]byte(body), &queue)
	if code != 200 || queue.Pending != 3 || len(queue.Items) != 3 || queue.Items[0].ID != near {
		t.Fatalf("queue = %d %s", code, body)
	}
	if d := queue.Items[0].Duplicate; d == nil || d.ActorID != existing.ID || d.Reason != "name" || queue.Items[0].DuplicateActor == nil {
		t.Errorf("near suggestion's duplicate = %+v", d)
	}
	if d := queue.Items[1].Duplicate; d == nil || d.ActorID != existing.ID || d.Reason != "siret" {
		t.Errorf("same SIRET's duplicate = %+v", d)
	}
	if queue.Items[2].Duplicate != nil {
		t.Errorf("the new structure has a duplicate: %+v", queue.Items[2].Duplicate)
	}
	if code, body := s.send(t, "GET", "/api/suggestions/count", nil, moderator); code != 200 || body != `{"pending":3}`+"\n" {
		t.Errorf("count = %d %s", code, body)
	}
	if code, _ := s.send(t, "GET", "/api/suggestions", nil, http.Header{"Authorization": {"Bearer " + s.tokens["animator"]}}); code != 403 {
		t.Errorf("queue as an animator = %d, want 403", code)
	}

	// Merge the near one into the existing actor: the history says so.
	code, body = s.send(t, "POST", "/api/suggestions/"+itoa(near)+"/merge", map[string]any{"actor_id": existing.ID}, moderator)
	if code != 200 || !strings.Contains(body, `"state":"merged"`) || !strings.Contains(body, `Dépôt \u003cscript\u003e`) {
		t.Fatalf("merge = %d %s", code, body)
	}
	_, body = s.send(t, "GET", "/api/actors/"+itoa(existing.ID)+"/history", nil, keeper)
	if !strings.Contains(body, `"route":"POST /api/suggestions/:id/merge"`) || !strings.Contains(body, `"who":"token:test-moderator"`) {
		t.Errorf("history after the merge: %s", body)
	}
	// Reject with a reason; accept the new one as edited.
	if code, body := s.send(t, "POST", "/api/suggestions/"+itoa(bySiret)+"/reject", map[string]any{}, moderator); code != 400 || !strings.Contains(body, `"reason"`) {
		t.Errorf("reject without reason = %d %s", code, body)
	}
	if code, body := s.send(t, "POST", "/api/suggestions/"+itoa(bySiret)+"/reject", map[string]any{"reason": "doublon"}, moderator); code != 200 {
		t.Errorf("reject = %d %s", code, body)
	}
	code, body = s.send(t, "POST", "/api/suggestions/"+itoa(fresh)+"/accept", map[string]any{"fields": map[string]any{
		"name": "Épicerie solidaire du Clou-Bouchet", "city": "Niort", "sectors": []string{"alimentation"}}}, moderator)
	if code != 200 || !strings.Contains(body, `"name":"Épicerie solidaire du Clou-Bouchet"`) || !strings.Contains(body, `"state":"pending"`) {
		t.Errorf("accept = %d %s, want the actor created, waiting for geocoding", code, body)
	}
	if code, _ := s.send(t, "POST", "/api/suggestions/"+itoa(fresh)+"/accept", map[string]any{}, moderator); code != 404 {
		t.Errorf("deciding twice = %d, want 404", code)
	}
	if n := s.count(t, `SELECT count(*) FROM suggestions WHERE state = 'pending'`); n != 0 {
		t.Errorf("%d pending after the decisions", n)
	}

	// The proposer's email goes 30 days after the decision.
	s.db.Pool.Exec(context.Background(), `UPDATE suggestions SET decided_at = now() - interval '31 days' WHERE id = $1`, near)
	n, err := postgisSuggestions(s).PurgeEmails(context.Background())
	if err != nil || n != 1 || s.count(t, `SELECT count(*) FROM suggestions WHERE email IS NOT NULL`) != 0 {
		t.Errorf("purge = %d %v", n, err)
	}
}

func postgisSuggestions(s *accountServer) *postgis.SuggestionStore {
	return postgis.NewSuggestionStore(s.db)
}
