package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestActorHistoryAPI(t *testing.T) {
	s := newAccountServer(t, nil)
	keeper := http.Header{"Authorization": {"Bearer " + s.tokens["keeper"]}}
	id, csrf := s.session(t, "admin", false)
	admin := cookieHeader(id, csrf, s.URL)

	code, body := s.send(t, "POST", "/api/actors", map[string]any{"name": "Épicerie solidaire", "sectors": []string{"alimentation"},
		"address": map[string]string{"city": "Niort", "postcode": "79000"}, "status": "published"}, keeper)
	var a struct {
		ID int64 `json:"id"`
	}
	json.Unmarshal([]byte(body), &a)
	if code != 201 {
		t.Fatalf("create = %d %s", code, body)
	}
	path := "/api/actors/" + itoa(a.ID)
	if code, body := s.send(t, "PATCH", path, map[string]any{"name": "Épicerie solidaire <script>alert(1)</script>"}, admin); code != 200 {
		t.Fatalf("patch = %d %s", code, body)
	}
	if code, body := s.send(t, "DELETE", path, nil, admin); code != 204 {
		t.Fatalf("delete = %d %s", code, body)
	}

	type change struct {
		ID     int64          `json:"id"`
		Who    string         `json:"who"`
		Route  string         `json:"route"`
		Action string         `json:"action"`
		Before map[string]any `json:"before"`
		After  map[string]any `json:"after"`
	}
	var hist struct{ Items []change }
	code, body = s.send(t, "GET", path+"/history", nil, keeper)
	json.Unmarshal([]byte(body), &hist)
	if code != 200 || len(hist.Items) != 4 {
		t.Fatalf("history = %d %s", code, body)
	}
	var lines []string
	for _, c := range hist.Items {
		lines = append(lines, c.Action+" "+c.Who+" "+c.Route)
	}
	want := "create token:test-keeper POST /api/actors\nsectors token:test-keeper POST /api/actors\n" +
		"update user:admin@example.org PATCH /api/actors/:id\ndelete user:admin@example.org DELETE /api/actors/:id"
	if got := strings.Join(lines, "\n"); got != want {
		t.Errorf("history:\n%s\nwant:\n%s", got, want)
	}
	if u := hist.Items[2]; u.Before["name"] != "Épicerie solidaire" || len(u.After) != 1 {
		t.Errorf("update entry = %+v, want the name only", u)
	}
	if code, _ := s.send(t, "GET", path+"/history", nil, http.Header{"Authorization": {"Bearer " + s.tokens["moderator"]}}); code != 403 {
		t.Errorf("history as a moderator = %d, want 403", code)
	}

	// The deleted actor comes back as it was before the rename.
	code, body = s.send(t, "POST", path+"/restore", map[string]any{"version": hist.Items[1].ID}, keeper)
	if code != 200 || !strings.Contains(body, `"name":"Épicerie solidaire"`) || !strings.Contains(body, `"alimentation"`) {
		t.Fatalf("restore = %d %s", code, body)
	}
	if code, _ := s.send(t, "GET", path, nil, nil); code != 200 {
		t.Errorf("restored actor = %d, want 200", code)
	}
	if code, body := s.send(t, "POST", path+"/restore", map[string]any{"version": 0}, keeper); code != 400 || !strings.Contains(body, `"version"`) {
		t.Errorf("restore version 0 = %d %s, want 400 naming version", code, body)
	}
	if code, _ := s.send(t, "GET", "/api/actors/999999/history", nil, keeper); code != 404 {
		t.Errorf("history of no actor = %d, want 404", code)
	}
}
