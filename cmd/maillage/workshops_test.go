package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/maillage/maillage/internal/postgistest"
)

// TestWorkshopAcrossServes runs two `maillage serve` on one database: an
// annotation posted through the first reaches an event stream of the
// second. Both stop gracefully with the stream still open.
func TestWorkshopAcrossServes(t *testing.T) {
	dbURL := postgistest.NewURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "MAILLAGE_GEOCODER": "local"}
	keeper := runOK(t, env, "token", "create", "cress")
	// Closed after both servers stop (cleanups run last first), so that
	// they shut down with the stream open.
	var closeStream func()
	t.Cleanup(func() {
		if closeStream != nil {
			closeStream()
		}
	})
	first := startServe(t, maps.Clone(env))
	second := startServe(t, maps.Clone(env))

	send := func(base, method, path, token, body string, out any) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s = %d %s", method, path, resp.StatusCode, data)
		}
		if out != nil {
			json.Unmarshal(data, out)
		}
	}
	var w struct {
		ID             int64  `json:"id"`
		Code           string `json:"code"`
		AnimatorSecret string `json:"animator_secret"`
	}
	send(first, "POST", "/api/workshops", keeper, `{"title": "Diagnostic", "date": "2026-12-10", "bbox": [-0.52, 46.29, -0.40, 46.35]}`, &w)
	send(first, "PATCH", fmt.Sprintf("/api/workshops/%d", w.ID), w.AnimatorSecret, `{"status": "open"}`, nil)
	var joined struct {
		Token string `json:"token"`
	}
	req, _ := http.NewRequest("POST", second+"/api/workshops/join", strings.NewReader(`{"code": "`+strings.ToLower(w.Code)+`"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&joined)
	resp.Body.Close()

	req, _ = http.NewRequest("GET", fmt.Sprintf("%s/api/workshops/%d/events?token=%s", second, w.ID, joined.Token), nil)
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("events = %v %v", stream, err)
	}
	closeStream = func() { stream.Body.Close() }
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	send(first, "POST", fmt.Sprintf("/api/workshops/%d/annotations", w.ID), joined.Token,
		`{"kind": "besoin", "geometry": {"type": "Point", "coordinates": [-0.46, 46.32]}, "text": "Un garage solidaire"}`, nil)
	deadline := time.After(20 * time.Second)
	var got []string
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the stream ended: %q", got)
			}
			got = append(got, line)
			if strings.HasPrefix(line, "data: ") && strings.Contains(line, "Un garage solidaire") {
				if prev := got[len(got)-2]; prev != "event: annotation.added" {
					t.Errorf("event %q", prev)
				}
				return
			}
		case <-deadline:
			t.Fatalf("no annotation on the second server's stream within 20 s: %q", got)
		}
	}
}
