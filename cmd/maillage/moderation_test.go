package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/maillage/maillage/internal/postgistest"
)

// sendJSON sends body to url with the headers and decodes the answer
// into out; it returns the status.
func sendJSON(t *testing.T, method, url string, body any, header map[string]string, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		json.Unmarshal(data, out)
	}
	return resp.StatusCode
}

// newAccount creates an account of role with the CLI and sets its
// password through the one-time link it printed.
func newAccount(t *testing.T, env map[string]string, url, email, role, password string) {
	t.Helper()
	printed := runOK(t, env, "user", "create", email, "--role", role)
	_, link, ok := strings.Cut(printed, "/connexion#lien=")
	if !ok {
		t.Fatalf("no link printed: %s", printed)
	}
	if code := sendJSON(t, "PUT", url+"/api/password", map[string]string{"link": link, "password": password}, nil, nil); code != 204 {
		t.Fatalf("setting the password of %s = %d", email, code)
	}
}

// TestModerationInBrowser: a resident proposes a structure that repeats
// one of the directory (its SIRET), with markup in every field; a
// moderator signs in, sees it with its duplicate candidate, the markup as
// text, and merges it; the actor's history shows the merge, and a keeper
// restores the version before it.
func TestModerationInBrowser(t *testing.T) {
	env := map[string]string{"DATABASE_URL": postgistest.NewURL(t), "MAILLAGE_GEOCODER": "local",
		"MAILLAGE_SUGGESTION_MIN_FILL": "0s"}
	keeper := map[string]string{"Authorization": "Bearer " + runOK(t, env, "token", "create", "cress")}
	env["MAILLAGE_BASEMAP_URL"] = tileServer(t).URL + "/{z}/{x}/{y}.png"
	url := startServe(t, env)
	newAccount(t, env, url, "modo@cress.example", "moderator", "un mot de passe solide")
	id := postActor(t, url, keeper["Authorization"][len("Bearer "):], map[string]any{"name": "La Recyclerie du Marais",
		"sectors": []string{"reemploi"}, "siret": "80746931700018", "status": "published",
		"location": map[string]any{"type": "Point", "coordinates": []float64{-0.4588, 46.3239}}})

	const xss = `<img src=x onerror="alert('xss')">`
	ctx := browser(t)
	watchConsole(t, ctx) // an alert() from the markup would fail the test
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/"),
		chromedp.WaitReady(`#actor-count[data-count="1"]`),
		chromedp.Click("#suggest-button"),
		chromedp.WaitVisible("#suggest-name"),
		chromedp.SendKeys("#suggest-name", "Recyclerie du Marais "+xss),
		chromedp.SendKeys("#suggest-street", "1 rue "+xss),
		chromedp.SendKeys("#suggest-city", "Niort"+xss),
		chromedp.SendKeys("#suggest-siret", "80746931700018"),
		chromedp.SendKeys("#suggest-description", "Dépôt et atelier <script>alert('xss')</script>"),
		chromedp.Click(`.suggest__form button[type="submit"]`),
	)
	if err != nil {
		t.Fatalf("proposing: %v", err)
	}
	thanks := `[...document.querySelectorAll("#notices .notice")].some((n) => n.textContent.startsWith("Merci, votre proposition"))`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](thanks, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("no thanks after proposing: %v", err)
	}

	err = chromedp.Do(ctx,
		chromedp.Navigate(url+"/moderation"), // not signed in: to /connexion and back
		chromedp.WaitVisible("#signin-email"),
		chromedp.SendKeys("#signin-email", "modo@cress.example"),
		chromedp.SendKeys("#signin-password", "un mot de passe solide"),
		chromedp.Click(`#signin-form button[type="submit"]`),
		chromedp.WaitVisible(".suggestion .duplicate"),
	)
	if err != nil {
		t.Fatalf("signing in as the moderator: %v", err)
	}
	seen, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => {
		const s = document.querySelector('.suggestion');
		return {
			title: s.querySelector('h2').textContent,
			duplicate: s.querySelector('.duplicate').textContent,
			values: [...s.querySelectorAll('input[name]')].map((i) => i.value).join('|'),
			markup: s.querySelectorAll('img, script').length + document.querySelectorAll('body img[src="x"]').length,
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(seen["title"].(string), xss) || !strings.Contains(seen["duplicate"].(string), "La Recyclerie du Marais") ||
		!strings.Contains(seen["values"].(string), "<script>alert('xss')</script>") || seen["markup"].(float64) != 0 {
		t.Errorf("moderation page shows %v; want the markup as text and the duplicate named", seen)
	}
	checkAccessibility(t, ctx, "/moderation, a suggestion and its duplicate")
	err = chromedp.Do(ctx,
		chromedp.Click(".suggestion .merge"),
		chromedp.WaitNotPresent(".suggestion"),
	)
	if err != nil {
		t.Fatalf("merging: %v", err)
	}

	// The history shows the merge by the moderator.
	var hist struct {
		Items []struct {
			ID     int64
			Who    string
			Route  string
			Action string
		}
	}
	path := url + "/api/actors/" + strconv.FormatInt(id, 10)
	sendJSON(t, "GET", path+"/history", nil, keeper, &hist)
	last := len(hist.Items) - 1
	if last < 1 || hist.Items[last].Route != "POST /api/suggestions/:id/merge" || hist.Items[last].Who != "user:modo@cress.example" {
		t.Fatalf("history after the merge: %+v", hist.Items)
	}

	// A keeper signs in on the page, opens the actor and its history,
	// and restores the version before the merge with its button.
	newAccount(t, env, url, "garde@cress.example", "keeper", "un autre mot de passe")
	before := strconv.FormatInt(hist.Items[last-1].ID, 10)
	err = chromedp.Do(ctx,
		chromedp.Navigate(url+"/connexion?suite=/acteurs/"+strconv.FormatInt(id, 10)),
		chromedp.WaitVisible("#signin-out"), // the moderator is still signed in
		chromedp.Click("#signin-out"),
		chromedp.WaitVisible("#signin-email"),
		chromedp.SendKeys("#signin-email", "garde@cress.example"),
		chromedp.SendKeys("#signin-password", "un autre mot de passe"),
		chromedp.Click(`#signin-form button[type="submit"]`),
		chromedp.WaitVisible("#details .history__toggle"),
		chromedp.Click("#details .history__toggle"),
		chromedp.WaitVisible(`#details .history__item[data-version="`+before+`"] .history__restore`),
	)
	if err != nil {
		t.Fatalf("opening the history as the keeper: %v", err)
	}
	checkAccessibility(t, ctx, "/acteurs/{id}, the history open for a keeper")
	if err := chromedp.Do(ctx, chromedp.Click(`#details .history__item[data-version="`+before+`"] .history__restore`)); err != nil {
		t.Fatalf("restoring: %v", err)
	}
	// The panel is drawn again with its history open, the restore first.
	shown := `(() => {
		const first = document.querySelector('#details .history__item');
		const said = document.querySelector('#details .history__problem');
		return !!first && first.querySelector('.history__route').textContent === 'POST /api/actors/:id/restore' &&
			said.textContent === 'Version restaurée.' &&
			document.querySelector('#details-title').textContent.includes('Recyclerie');
	})()`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](shown, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		panel, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#details").innerText`))
		t.Fatalf("the panel after the restore shows %q: %v", panel, err)
	}
	var restored struct{ Name, Description string }
	getJSON(t, path, &restored)
	if restored.Name != "La Recyclerie du Marais" || restored.Description != "" {
		t.Errorf("actor after the restore = %+v, want the name and description before the merge", restored)
	}
	hist.Items = nil
	sendJSON(t, "GET", path+"/history", nil, keeper, &hist)
	if n := len(hist.Items); n != last+2 || hist.Items[n-1].Route != "POST /api/actors/:id/restore" || hist.Items[n-1].Who != "user:garde@cress.example" {
		t.Errorf("history after the restore: %+v", hist.Items)
	}
}
