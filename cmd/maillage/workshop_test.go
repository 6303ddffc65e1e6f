package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	keys "github.com/chromedp/chromedp/kb"

	"github.com/maillage/maillage/internal/postgistest"
)

// apiDo sends a JSON request with a bearer token and decodes the answer.
func apiDo(t *testing.T, method, url, token string, body, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, url, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

// TestWorkshopPages runs a workshop in two browsers: the projector at
// 1920 x 1080 (the animator) and a phone at 360 px (a participant). The
// phone adds a need by a tap, an idea as a drawn zone and a weakness by
// an address typed on the keyboard; the projector shows them live; the
// animator hides one, pushes the view, closes the workshop; the record
// lists what stays visible; the published annotations reach the main map.
// The workshop itself is made by a keeper on /ateliers.
// A text that would run code as HTML shows as text everywhere.
func TestWorkshopPages(t *testing.T) {
	dbURL := postgistest.NewURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "MAILLAGE_GEOCODER": "local"}
	keeper := runOK(t, env, "token", "create", "cress")
	runOK(t, env, "addresses", "import", filepath.Join(sharedData(t), "geocoder", "ban-format-54084-mont-bonvillers.csv"))
	env["MAILLAGE_BASEMAP_URL"] = tileServer(t).URL + "/{z}/{x}/{y}.png"
	url := startServe(t, env)

	actorID := postActor(t, url, keeper, map[string]any{
		"name": "Recyclerie du Pays-Haut", "sectors": []string{"reemploi"},
		"address":  map[string]string{"street": "2 rue Joffre", "postcode": "54111", "city": "Mont-Bonvillers"},
		"location": map[string]any{"type": "Point", "coordinates": []float64{5.8345, 49.3225}},
	})
	root := browserWithin(t, 5*time.Minute)
	if err := chromedp.Do(root, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	projector := newTab(t, "projector", root)
	phoneCtx, cancelPhone := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelPhone)
	if err := chromedp.Do(phoneCtx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	phone := newTab(t, "phone", phoneCtx)

	// An animator signs in on /ateliers (not signed in, the page offers
	// the sign-in page) and creates the workshop, on the map's view of
	// Mont-Bonvillers, through the session.
	newAccount(t, env, url, "anim@cress.example", "animator", "un mot de passe solide")
	var ws struct {
		ID          int64
		Code        string
		AnimatorURL string
	}
	t.Run("an animator creates the workshop", func(t *testing.T) {
		projector.do(t, chromedp.Navigate(url+"/ateliers"), chromedp.WaitVisible("#access-token"))
		checkAccessibility(t, projector.ctx, "/ateliers, not signed in")
		projector.do(t, chromedp.Click(".keeper-signin a"),
			chromedp.WaitVisible("#signin-email"),
			chromedp.SendKeys("#signin-email", "anim@cress.example"),
			chromedp.SendKeys("#signin-password", "un mot de passe solide"),
			chromedp.Click(`#signin-form button[type="submit"]`),
			chromedp.WaitVisible("#keeper-title"))
		if who := projector.eval(t, `document.querySelector("#keeper-account").textContent`); !strings.Contains(who, "anim@cress.example") {
			t.Errorf("/ateliers signed in says %q", who)
		}
		projector.do(t,
			chromedp.SendKeys("#keeper-title", "Diagnostic du Pays-Haut"),
			chromedp.SendKeys("#keeper-description", "Atouts, manques, besoins et pistes du territoire."),
			chromedp.SetValue("#keeper-date", "2026-12-10"),
			chromedp.SendKeys("#search-input", "rue joffre mont-bonvillers"),
			chromedp.WaitVisible(`.search__option[data-kind="place"]`),
			chromedp.KeyEvent(keys.ArrowDown), chromedp.KeyEvent(keys.Enter),
			chromedp.Click(`.keeper-sectors input[value="reemploi"]`),
			chromedp.Click("#keeper-submit"))
		projector.poll(t, "the new workshop's links", `!!document.querySelector("#keeper-animator-url")?.value`)
		ws.AnimatorURL = strings.TrimPrefix(projector.eval(t, `document.querySelector("#keeper-animator-url").value`), url)
		participantURL := projector.eval(t, `document.querySelector("#keeper-participant-url").value`)
		ws.Code = strings.TrimPrefix(participantURL, url+"/ateliers/")
		if !strings.HasPrefix(ws.AnimatorURL, "/ateliers/"+ws.Code+"/projection#secret=wsa_") {
			t.Fatalf("animator link %q, participants' link %q", ws.AnimatorURL, participantURL)
		}
		projector.poll(t, "the workshop listed", `!!document.querySelector('.keeper-table tr[data-code="`+ws.Code+`"]')`)
		checkAccessibility(t, projector.ctx, "/ateliers")

		// Without an account, a keeper's token still opens the list.
		scriptCtx, cancelScript := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		t.Cleanup(cancelScript)
		if err := chromedp.Do(scriptCtx, chromedp.Navigate("about:blank")); err != nil {
			t.Fatal(err)
		}
		script := newTab(t, "script", scriptCtx)
		script.do(t, chromedp.Navigate(url+"/ateliers"), chromedp.WaitVisible("#access-token"),
			chromedp.SendKeys("#access-token", keeper+"\r"),
			chromedp.WaitVisible(`.keeper-table tr[data-code="`+ws.Code+`"]`))
		var list struct {
			Items []struct {
				ID      int64     `json:"id"`
				Code    string    `json:"code"`
				Date    string    `json:"date"`
				BBox    []float64 `json:"bbox"`
				Sectors []string  `json:"sectors"`
			} `json:"items"`
		}
		apiDo(t, "GET", url+"/api/workshops", keeper, nil, &list)
		if len(list.Items) != 1 || list.Items[0].Code != ws.Code || list.Items[0].Date != "2026-12-10" ||
			len(list.Items[0].Sectors) != 1 || list.Items[0].Sectors[0] != "reemploi" {
			t.Fatalf("workshops = %+v", list.Items)
		}
		ws.ID = list.Items[0].ID
		if b := list.Items[0].BBox; len(b) != 4 || b[0] > 5.8336 || b[2] < 5.8336 || b[1] > 49.322 || b[3] < 49.322 {
			t.Errorf("the workshop's territory %v is not around Mont-Bonvillers", b)
		}
	})
	if t.Failed() {
		return
	}

	// An unknown code is a 404 page; a known one carries its id and page.
	resp, err := http.Get(url + "/ateliers/ZZZZZZ")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !bytes.Contains(body, []byte(`"notFound":true`)) {
		t.Errorf("GET /ateliers/ZZZZZZ = %d\n%s", resp.StatusCode, body)
	}
	for path, want := range map[string]string{
		"/ateliers/" + strings.ToLower(ws.Code): fmt.Sprintf(`"workshop":{"id":%d,"code":%q,"page":"participant"}`, ws.ID, ws.Code),
		"/ateliers/" + ws.Code + "/projection":  fmt.Sprintf(`"workshop":{"id":%d,"code":%q,"page":"projection"}`, ws.ID, ws.Code),
		"/ateliers/" + ws.Code + "/synthese":    fmt.Sprintf(`"workshop":{"id":%d,"code":%q,"page":"record"}`, ws.ID, ws.Code),
	} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte(want)) || !bytes.Contains(body, []byte("<title>Diagnostic du Pays-Haut")) {
			t.Errorf("GET %s = %d, want the config %s and the title\n%s", path, resp.StatusCode, want, body)
		}
	}

	projector.do(t, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(url+ws.AnimatorURL))
	projector.poll(t, "the projection", `document.body.dataset.ready === "true"`)
	if got := projector.eval(t, `location.hash`); got != "" {
		t.Errorf("the secret stays in the address bar: %q", got)
	}
	projector.poll(t, "the QR code", `document.querySelector(".pj-join__qr").dataset.drawn === "true"`)
	if got := projector.eval(t, `document.querySelector("#join-code").textContent`); got != ws.Code {
		t.Errorf("projected code %q, want %q", got, ws.Code)
	}
	if got := projector.eval(t, `document.querySelector(".pj-join__qr").dataset.url`); got != url+"/ateliers/"+ws.Code {
		t.Errorf("the QR code leads to %q", got)
	}
	projector.poll(t, "the live stream", `document.querySelector("#ws-live").dataset.state === "live"`)
	projector.do(t, chromedp.Click("#control-open"))
	projector.poll(t, "an open workshop", `document.querySelector("#ws-status").dataset.status === "open"`)
	checkAccessibility(t, projector.ctx, "the projection")

	phone.do(t, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(url+"/ateliers/"+ws.Code), chromedp.WaitVisible("#join-name"),
		chromedp.SendKeys("#join-name", "Léa"), chromedp.Click("#join-submit"))
	phone.poll(t, "the participant's page", `document.body.dataset.ready === "true"`)
	phone.poll(t, "an open composer", `document.querySelector("#compose").dataset.enabled === "true"`)
	checkAccessibility(t, phone.ctx, "the participant's page")
	if got := phone.eval(t, `String(document.documentElement.scrollWidth)`); got != "360" {
		t.Errorf("the phone page is %s px wide", got)
	}

	send := func(t *testing.T, text string) string {
		t.Helper()
		before := phone.eval(t, `[...document.querySelectorAll(".wlist__item")].map((li) => li.dataset.id).join(" ")`)
		phone.do(t, chromedp.SendKeys("#compose-text", text), chromedp.Click("#compose-send"))
		phone.poll(t, "the annotation in the list", `[...document.querySelectorAll(".wlist__item")].some((li) =>
			!`+jsString(" "+before+" ")+`.includes(" " + li.dataset.id + " ") && li.querySelector(".wlist__text").textContent === `+jsString(text)+`)`)
		return phone.eval(t, `[...document.querySelectorAll(".wlist__item")].find((li) => li.querySelector(".wlist__text").textContent === `+jsString(text)+`).dataset.id`)
	}

	var need, idea, weakness string
	t.Run("a need placed by a tap, linked to an actor", func(t *testing.T) {
		phone.do(t, chromedp.Click(`.kind-button[data-kind="besoin"]`), chromedp.Click(`[data-shape="point"]`))
		phone.poll(t, "placing mode", `document.querySelector("#map").dataset.drawing === "point"`)
		phone.clickMap(t, 0.5, 0.5)
		phone.poll(t, "a point placed", `document.querySelector("#compose-geometry").dataset.type === "Point"`)
		phone.do(t, chromedp.SendKeys("#compose-actor", "Recyclerie"))
		phone.poll(t, "the actor found", fmt.Sprintf(`!!document.querySelector('.actor-pick__option[data-id="%d"]')`, actorID))
		phone.do(t, chromedp.Click(fmt.Sprintf(`.actor-pick__option[data-id="%d"]`, actorID)))
		need = send(t, xssName)
		if got := phone.eval(t, `document.querySelector('.wlist__item[data-id="`+need+`"] .wlist__meta').textContent`); !strings.Contains(got, "Recyclerie du Pays-Haut") || !strings.Contains(got, "Léa") {
			t.Errorf("the need's meta line %q names neither its actor nor its author", got)
		}
	})

	t.Run("an idea drawn as a zone", func(t *testing.T) {
		phone.do(t, chromedp.Click(`.kind-button[data-kind="idee"]`), chromedp.Click(`[data-shape="zone"]`))
		phone.poll(t, "the drawing plugin", `!!window.L?.PM && document.querySelector("#map").dataset.drawing === "zone" && !document.querySelector("#compose-finish").closest("[hidden]")`)
		for _, p := range [][2]float64{{0.3, 0.3}, {0.7, 0.3}, {0.7, 0.7}, {0.3, 0.7}} {
			phone.clickMap(t, p[0], p[1])
		}
		phone.do(t, chromedp.Click("#compose-finish"))
		phone.poll(t, "a zone drawn", `document.querySelector("#compose-geometry").dataset.type === "Polygon"`)
		phone.do(t, chromedp.SetValue("#compose-sector", "reemploi"))
		idea = send(t, "Une ressourcerie partagée entre les communes")
		if got := phone.eval(t, `document.querySelector('.wlist__item[data-id="`+idea+`"] .wlist__meta').textContent`); !strings.Contains(got, "Réemploi") {
			t.Errorf("the idea's meta line %q does not name its sector", got)
		}
	})

	t.Run("a weakness placed by an address, with the keyboard", func(t *testing.T) {
		phone.do(t, chromedp.Click(`.kind-button[data-kind="faiblesse"]`),
			chromedp.SendKeys("#compose-address", "rue joffre mont-bonvillers\r"))
		phone.poll(t, "a point placed by address", `document.querySelector("#compose-geometry").dataset.type === "Point"`)
		weakness = send(t, "Pas de bus le dimanche")
		// Its author corrects it; the projector gets the new text.
		phone.do(t, chromedp.Click(`.wlist__item[data-id="`+weakness+`"] .wlist__edit-button`))
		phone.poll(t, "the editor", `!!document.querySelector("#wlist-edit-`+weakness+`")`)
		phone.do(t, chromedp.SendKeys("#wlist-edit-"+weakness, " ni le soir"),
			chromedp.Click(`.wlist__item[data-id="`+weakness+`"] .wlist__edit button[type="submit"]`))
		phone.poll(t, "the corrected text", `document.querySelector('.wlist__item[data-id="`+weakness+`"] .wlist__text')?.textContent === "Pas de bus le dimanche ni le soir"`)
	})

	t.Run("the projector shows them live", func(t *testing.T) {
		for _, id := range []string{need, idea, weakness} {
			projector.poll(t, "annotation "+id+" in the feed and on the map", `!!document.querySelector('.pj-feed__item[data-id="`+id+`"]') &&
				(document.querySelector("#map").dataset.annotations ?? "").split(" ").includes("`+id+`")`)
		}
		if got := projector.eval(t, `document.querySelector('.pj-feed__item[data-id="`+need+`"] .pj-feed__text').textContent`); got != xssName {
			t.Errorf("the need shows as %q on the projector", got)
		}
		projector.poll(t, "the corrected weakness", `document.querySelector('.pj-feed__item[data-id="`+weakness+`"] .pj-feed__text').textContent === "Pas de bus le dimanche ni le soir"`)
		for kind, n := range map[string]string{"besoin": "1", "idee": "1", "faiblesse": "1", "atout": "0"} {
			if got := projector.eval(t, `document.querySelector('.pj-counter[data-kind="`+kind+`"]').dataset.count`); got != n {
				t.Errorf("counter of %s = %s, want %s", kind, got, n)
			}
		}
	})

	t.Run("a vote reaches the projector", func(t *testing.T) {
		phone.do(t, chromedp.Click(`.wlist__item[data-id="`+idea+`"] .button--vote`))
		phone.poll(t, "the vote counted", `document.querySelector('.wlist__item[data-id="`+idea+`"] .button--vote').getAttribute("aria-pressed") === "true" &&
			document.querySelector('.wlist__item[data-id="`+idea+`"] .button--vote__count').textContent === "1"`)
		projector.poll(t, "the vote on the projector", `document.querySelector('.pj-feed__item[data-id="`+idea+`"] .pj-feed__votes')?.textContent === "1 vote"`)
	})

	t.Run("the animator hides one: the phone loses it", func(t *testing.T) {
		projector.do(t, chromedp.Click(`.pj-feed__item[data-id="`+weakness+`"] .pj-feed__button`))
		projector.poll(t, "the selection", `document.querySelector("#selection").dataset.id === "`+weakness+`" && !document.querySelector("#selection").hidden`)
		projector.do(t, chromedp.Click("#sel-hide"))
		phone.poll(t, "the hidden annotation gone", `!document.querySelector('.wlist__item[data-id="`+weakness+`"]') &&
			!(document.querySelector("#map").dataset.annotations ?? "").split(" ").includes("`+weakness+`")`)
		projector.poll(t, "the animator still sees it, hidden", `document.querySelector('.pj-feed__item[data-id="`+weakness+`"]')?.dataset.state === "hidden"`)
		if got := projector.eval(t, `document.querySelector('.pj-counter[data-kind="faiblesse"]').dataset.count`); got != "0" {
			t.Errorf("counter of faiblesse = %s after hiding, want 0", got)
		}
	})

	t.Run("the animator shows the idea to every phone", func(t *testing.T) {
		projector.do(t, chromedp.Click(`.pj-feed__item[data-id="`+idea+`"] .pj-feed__button`))
		projector.poll(t, "the idea selected", `document.querySelector("#selection").dataset.id === "`+idea+`"`)
		projector.do(t, chromedp.Click("#sel-showall"))
		phone.poll(t, "the phone following", `document.querySelector("#map").dataset.followed === "`+idea+`"`)
	})

	t.Run("screenshots", func(t *testing.T) {
		projector.do(t, chromedp.Click("#sel-close"))
		projector.poll(t, "no selection", `document.querySelector("#selection").hidden`)
		shoot(t, projector.ctx, "workshop-projection-1920.png")
		phone.do(t, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
		shoot(t, phone.ctx, "workshop-phone-360.png")
	})

	t.Run("closing: the phone says so and cannot add", func(t *testing.T) {
		projector.do(t, chromedp.Click("#control-close"))
		projector.poll(t, "the confirmation", `document.querySelector("#control-close").dataset.confirm === "true"`)
		projector.do(t, chromedp.Click("#control-close"))
		projector.poll(t, "a closed workshop", `document.querySelector("#ws-status").dataset.status === "closed"`)
		phone.poll(t, "the phone told", `document.querySelector("#compose").dataset.enabled === "false" &&
			document.querySelector("#compose-state").textContent.includes("clos")`)
		if got := phone.eval(t, `String([...document.querySelectorAll(".kind-button")].every((b) => b.disabled))`); got != "true" {
			t.Error("kind buttons still enabled on a closed workshop")
		}
		phone.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector('.kind-button[data-kind="atout"]').click()`))
		if got := phone.eval(t, `String(document.querySelector("#compose-form").hidden)`); got != "true" {
			t.Error("the composer opens on a closed workshop")
		}
		if got := phone.eval(t, `String(document.querySelectorAll('.wlist__item[data-id="`+need+`"] .button--danger').length)`); got != "0" {
			t.Error("one's own annotation can still be deleted on a closed workshop")
		}
	})

	t.Run("the record lists what stays visible", func(t *testing.T) {
		projector.do(t, chromedp.Click("#control-publish"))
		projector.poll(t, "published", `document.querySelector("#control-publish").textContent === "Retirer la publication"`)
		projector.do(t, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(url+"/ateliers/"+ws.Code+"/synthese"))
		projector.poll(t, "the record", `document.body.dataset.ready === "true"`)
		checkAccessibility(t, projector.ctx, "the record")
		for _, id := range []string{need, idea} {
			if got := projector.eval(t, `String(document.querySelectorAll('.rec-item[data-id="`+id+`"]').length)`); got != "1" {
				t.Errorf("annotation %s listed %s times in the record", id, got)
			}
		}
		if got := projector.eval(t, `String(document.querySelectorAll('.rec-item[data-id="`+weakness+`"]').length)`); got != "0" {
			t.Error("the hidden annotation is in the record")
		}
		text := projector.eval(t, `document.querySelector("#rec-body").innerText`)
		for _, want := range []string{xssName, "Une ressourcerie partagée entre les communes", "par Léa", "1 vote", "Réemploi", "Sans secteur", "Structure : Recyclerie du Pays-Haut"} {
			if !strings.Contains(text, want) {
				t.Errorf("the record does not say %q:\n%s", want, text)
			}
		}
		if got := projector.eval(t, `document.querySelector(".rec-table tfoot td:last-child").textContent`); got != "2" {
			t.Errorf("the record's total is %s, want 2", got)
		}
		if got := projector.eval(t, `document.querySelector("#export-csv").getAttribute("href")`); got != fmt.Sprintf("%s/api/workshops/%d/export.csv", url, ws.ID) {
			t.Errorf("CSV export link %q", got)
		}
		shoot(t, projector.ctx, "workshop-record.png")

		// Printed: A4 landscape (841.89 x 595.28 points) from the print stylesheet.
		yes := true
		pdf, err := chromedp.Run(projector.ctx, chromedp.PrintToPDF(func(p *page.PrintToPDFParams) {
			p.PreferCSSPageSize, p.PrintBackground = &yes, &yes
		}))
		if err != nil {
			t.Fatal(err)
		}
		writeOut(t, "workshop-record.pdf", pdf)
		boxes := regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]`).FindAllSubmatch(pdf, -1)
		if len(boxes) == 0 {
			t.Fatal("the printed record has no page")
		}
		for _, b := range boxes {
			w, _ := strconv.ParseFloat(string(b[1]), 64)
			h, _ := strconv.ParseFloat(string(b[2]), 64)
			if math.Abs(w-841.89) > 1 || math.Abs(h-595.28) > 1 {
				t.Errorf("a printed page is %.2f x %.2f points, want A4 landscape (841.89 x 595.28)", w, h)
			}
		}
	})

	t.Run("hostile text shows as text on all three pages", func(t *testing.T) {
		for _, tb := range []*tab{projector, phone} {
			if n := tb.eval(t, `String(document.querySelectorAll('img[src="x"]').length)`); n != "0" {
				t.Errorf("%s: %s img elements made from an annotation", tb.name, n)
			}
		}
		if got := phone.eval(t, `document.querySelector('.wlist__item[data-id="`+need+`"] .wlist__text').textContent`); got != xssName {
			t.Errorf("the phone shows the need as %q", got)
		}
	})

	t.Run("the main map overlays published workshops", func(t *testing.T) {
		projector.do(t, chromedp.Navigate(url+"/?lat=49.322&lon=5.8336&z=13"), chromedp.WaitVisible("#actor-count[data-count]"))
		if got := projector.eval(t, `String(document.querySelector("#workshop-layer-toggle").checked)`); got != "false" {
			t.Error("the workshops' layer is on by default")
		}
		projector.do(t, chromedp.Click("#workshop-layer-toggle"))
		projector.poll(t, "the two visible annotations", `document.querySelector("#map").dataset.workshopAnnotations === "2"`)
		if n := projector.eval(t, `String(document.querySelectorAll(".workshops-layer .legend__item").length)`); n != "2" {
			t.Errorf("the workshops' legend lists %s kinds, want 2", n)
		}
	})

}
