package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo/postgis"
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

// TestOneListenerPerServe: each `maillage serve` holds one LISTEN
// connection, which hears both the tile data version and token
// revocations written through the other process (workshop events:
// TestWorkshopAcrossServes).
func TestOneListenerPerServe(t *testing.T) {
	dbURL := postgistest.NewURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "MAILLAGE_GEOCODER": "local"}
	cli := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"maillage"}, args...), testEnv(env), &out, &out); err != nil {
			t.Fatalf("%v: %v %s", args, err, out.String())
		}
		return strings.TrimSpace(out.String())
	}
	keeper := cli("token", "create", "cress")
	first := startServe(t, maps.Clone(env))
	second := startServe(t, maps.Clone(env))

	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	waitFor(t, "one listener per serve", func() bool {
		var n int
		err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = $1`, postgis.ListenerName).Scan(&n)
		return err == nil && n == 2
	})
	// No other connection listens: a listener's last statement is its
	// LISTEN, or the tile version it reads after it.
	var others int
	err = conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name <> $1
			AND (query LIKE 'LISTEN%' OR query = 'SELECT version FROM tile_data_version')`, postgis.ListenerName).Scan(&others)
	if err != nil || others != 0 {
		t.Errorf("%d other listening connections (%v)", others, err)
	}

	do := func(method, url, body string) (int, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+keeper)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	tile := second + "/tiles/actors/5/15/11.mvt" // Niort
	_, h := do("GET", tile, "")
	before := h.Get("ETag")
	if code, _ := do("POST", first+"/api/actors", `{"name": "Recyclerie", "sectors": ["reemploi"],
		"location": {"type": "Point", "coordinates": [-0.459, 46.323]}}`); code != 201 {
		t.Fatalf("POST /api/actors = %d", code)
	}
	waitFor(t, "the second server's tile to show the new actor", func() bool {
		_, h := do("GET", tile, "")
		return h.Get("ETag") != before
	})

	if code, _ := do("GET", second+"/api/sector-proposals", ""); code != 200 {
		t.Fatalf("keeper request = %d", code)
	}
	cli("token", "revoke", "cress")
	waitFor(t, "the second server to refuse the revoked token", func() bool {
		code, _ := do("GET", second+"/api/sector-proposals", "")
		return code == 401
	})
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
