package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	keys "github.com/chromedp/chromedp/kb"

	"github.com/maillage/maillage/internal/postgistest"
)

// xssName is the name of an actor that would run code if a page inserted
// it as HTML.
const xssName = `<img src=x onerror=alert(1)>`

// TestMapPage is the residents' map on the demo data, in one browser:
// actors render, sector filters, address search, "Autour de moi",
// keyboard-only use, a hostile actor name, and screenshots in out/.
func TestMapPage(t *testing.T) {
	dbURL := postgistest.NewURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "MAILLAGE_DEMO_DIR": sharedData(t), "MAILLAGE_GEOCODER": "local"}
	token := runOK(t, env, "token", "create", "cress")
	runOK(t, env, "addresses", "import", filepath.Join(sharedData(t), "geocoder", "ban-format-54084-mont-bonvillers.csv"))
	env["MAILLAGE_BASEMAP_URL"] = tileServer(t).URL + "/{z}/{x}/{y}.png"
	url := startServe(t, env)

	// The hostile actor, in Niort among the Transiscope actors.
	xssID := postActor(t, url, token, map[string]any{
		"name": xssName, "sectors": []string{"culture"}, "description": xssName,
		"address":  map[string]string{"street": xssName, "postcode": "79000", "city": "Niort"},
		"location": map[string]any{"type": "Point", "coordinates": []float64{-0.4601, 46.3252}},
	})

	ctx := browserWithin(t, 5*time.Minute) // axe-core reads the whole page three times
	tb := newTab(t, "map", ctx)
	eval, poll := tb.eval, tb.poll

	var located struct {
		Total int `json:"total"`
	}
	getJSON(t, url+"/api/actors?limit=1&bbox=-180,-90,180,90", &located)

	t.Run("actors render", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
			t.Fatal(err)
		}
		if got := eval(t, `document.querySelector("#actor-count").dataset.count`); got != fmt.Sprint(located.Total) {
			t.Errorf("header counts %s actors, want %d", got, located.Total)
		}
		poll(t, "insertion actors drawn", `(document.querySelector("#map").dataset.sectors ?? "").split(" ").includes("insertion")`)
		poll(t, "the list", `document.querySelectorAll(".list .actor-list__item").length > 0`)
		// Every sector in the legend, with a count of the actors in view.
		poll(t, "legend counts", `[...document.querySelectorAll(".legend__count")].some((c) => Number(c.dataset.count) > 1000)`)
		if n := eval(t, `String(document.querySelectorAll(".legend input[type=checkbox]").length)`); n != "15" {
			t.Errorf("legend has %s sectors, want 15", n)
		}
		// The clusters were really drawn: some disc has a share in the insertion colour.
		poll(t, "insertion discs", `document.querySelectorAll("#map .cluster-marker [fill='#8855ff']").length > 0`)
	})

	t.Run("accessibility of the main page and the embed", func(t *testing.T) {
		poll(t, "the list", `document.querySelectorAll(".list .actor-list__item").length > 0`)
		checkAccessibility(t, ctx, "the main page")
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/?embed=1&lat=46.3239&lon=-0.4588&z=13")); err != nil {
			t.Fatal(err)
		}
		poll(t, "the embedded map's actors", `(document.querySelector("#map").dataset.sectors ?? "") !== ""`)
		checkAccessibility(t, ctx, "the embedded map")
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("unticking a sector removes its features", func(t *testing.T) {
		// After the navigation above, the list may not have loaded yet.
		poll(t, "the list's total", `document.querySelector("#list").dataset.total !== undefined`)
		before := eval(t, `document.querySelector("#list").dataset.total`)
		if err := chromedp.Do(ctx, chromedp.Click(`.legend input[value="insertion"]`)); err != nil {
			t.Fatal(err)
		}
		poll(t, "no insertion drawn", `!(document.querySelector("#map").dataset.sectors ?? "").split(" ").includes("insertion")`)
		poll(t, "no insertion discs", `document.querySelector("#map .cluster-marker") !== null && document.querySelectorAll("#map .cluster-marker [fill='#8855ff']").length === 0`)
		// The tiles are fetched again, of the ticked sectors.
		poll(t, "tiles of the ticked sectors", `performance.getEntriesByType("resource").some((e) => {
			const u = new URL(e.name);
			const s = u.searchParams.get("sectors");
			return u.pathname.includes("/tiles/actors/") && s !== null && s.includes("culture") && !s.split(",").includes("insertion");
		})`)
		poll(t, "a shorter list", `Number(document.querySelector("#list").dataset.total) < `+before)
		if !strings.Contains(eval(t, `location.search`), "secteurs=") {
			t.Errorf("the URL does not keep the sectors: %s", eval(t, `location.href`))
		}
		if err := chromedp.Do(ctx, chromedp.Click(`.legend input[value="insertion"]`)); err != nil {
			t.Fatal(err)
		}
		poll(t, "insertion drawn again", `(document.querySelector("#map").dataset.sectors ?? "").split(" ").includes("insertion")`)
	})

	t.Run("an address search recentres", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.SendKeys("#search-input", "rue joffre mont-bonvillers"),
			chromedp.WaitVisible(`.search__option[data-kind="place"]`),
			chromedp.KeyEvent(keys.ArrowDown), chromedp.KeyEvent(keys.Enter)); err != nil {
			t.Fatal(err)
		}
		poll(t, "the map on Mont-Bonvillers", `(() => {
			const q = new URLSearchParams(location.search);
			return Math.abs(q.get("lat") - 49.322) < 0.01 && Math.abs(q.get("lon") - 5.8336) < 0.01 && Number(q.get("z")) >= 15;
		})()`)
	})

	t.Run("autour de moi lists the nearest actors", func(t *testing.T) {
		lat, lon, acc := 46.3239, -0.4588, 20.0
		if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: url}); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
			Latitude: &lat, Longitude: &lon, Accuracy: &acc}); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Click("#nearby-button")); err != nil {
			t.Fatal(err)
		}
		poll(t, "ten nearest", `document.querySelectorAll(".nearby__list .actor-list__row").length === 10`)
		var want struct {
			Items []struct {
				ID        int64   `json:"id"`
				DistanceM float64 `json:"distance_m"`
			} `json:"items"`
		}
		getJSON(t, fmt.Sprintf("%s/api/actors/nearby?lat=%f&lon=%f&limit=10", url, lat, lon), &want)
		var wantIDs []string
		for _, a := range want.Items {
			wantIDs = append(wantIDs, fmt.Sprint(a.ID))
		}
		got := strings.Fields(eval(t, `[...document.querySelectorAll(".nearby__list .actor-list__row")].map((li) => li.dataset.id).join(" ")`))
		if !slices.Equal(got, wantIDs) {
			t.Errorf("nearest actors %v, want %v", got, wantIDs)
		}
		if !slices.Contains(got, fmt.Sprint(xssID)) {
			t.Errorf("the actor %d placed at 170 m is not among the nearest %v", xssID, got)
		}
		if d := eval(t, `document.querySelector(".nearby__list .actor-list__extra").textContent`); !strings.HasSuffix(d, " m") && !strings.HasSuffix(d, " km") {
			t.Errorf("first distance %q", d)
		}
	})

	t.Run("keyboard reaches an actor's details", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/?lat=46.3239&lon=-0.4588&z=14"),
			chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
			t.Fatal(err)
		}
		poll(t, "the list", `document.querySelectorAll(".list .actor-list__item").length > 0`)
		if err := chromedp.Do(ctx, chromedp.KeyEvent(keys.Tab)); err != nil {
			t.Fatal(err)
		}
		if got := eval(t, `document.activeElement.getAttribute("href") ?? ""`); got != "#list-title" {
			t.Fatalf("first Tab reaches %q, want the skip link to the list", got)
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent(keys.Enter), chromedp.KeyEvent(keys.Tab)); err != nil {
			t.Fatal(err)
		}
		// The list's filters come first, folded: one Tab more.
		if eval(t, `String(document.activeElement.matches(".list-filters__summary"))`) == "true" {
			if err := chromedp.Do(ctx, chromedp.KeyEvent(keys.Tab)); err != nil {
				t.Fatal(err)
			}
		}
		name := eval(t, `document.activeElement.matches(".list .actor-list__item") ? document.activeElement.querySelector(".actor-list__name").textContent : ""`)
		if name == "" {
			t.Fatalf("Tab after the skip link reaches %s", eval(t, `document.activeElement.outerHTML.slice(0, 200)`))
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent(keys.Enter)); err != nil {
			t.Fatal(err)
		}
		poll(t, "the details, focused", `document.activeElement.id === "details-title"`)
		if got := eval(t, `document.querySelector("#details-title").textContent`); got != name {
			t.Errorf("details of %q, want %q", got, name)
		}
		if !strings.Contains(eval(t, `location.pathname`), "/acteurs/") {
			t.Errorf("the URL does not name the actor: %s", eval(t, `location.href`))
		}
		// Escape closes the panel and gives the focus back to the list.
		if err := chromedp.Do(ctx, chromedp.KeyEvent(keys.Escape)); err != nil {
			t.Fatal(err)
		}
		poll(t, "the focus back on the list", `document.activeElement.matches(".list .actor-list__item") && document.querySelector("#details").hidden`)
	})

	t.Run("a hostile name shows as text", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/acteurs/%d", url, xssID)),
			chromedp.WaitVisible("#details-title")); err != nil {
			t.Fatal(err)
		}
		poll(t, "the actor's details", `document.querySelector("#details-title").textContent === `+jsString(xssName))
		checkAccessibility(t, ctx, "the actor page")
		if got := eval(t, `document.title`); !strings.HasPrefix(got, xssName) {
			t.Errorf("title = %q", got)
		}
		text := eval(t, `document.querySelector("#details").innerText`)
		if strings.Count(text, xssName) < 3 {
			t.Errorf("name, street and description should show as text:\n%s", text)
		}
		if n := eval(t, `String(document.querySelectorAll('img[src="x"]').length)`); n != "0" {
			t.Errorf("%s img elements made from the actor's data", n)
		}
		resp, err := http.Get(fmt.Sprintf("%s/acteurs/%d", url, xssID))
		if err != nil {
			t.Fatal(err)
		}
		html, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(html, []byte(xssName)) || !bytes.Contains(html, []byte(`<meta property="og:title" content="&lt;img src=x onerror=alert(1)&gt;">`)) {
			t.Errorf("the server-rendered head does not escape the name:\n%s", html[:min(len(html), 1500)])
		}
	})

	t.Run("four actors at one address are all reachable", func(t *testing.T) {
		var here struct {
			Items []struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			} `json:"items"`
		}
		getJSON(t, url+"/api/actors?bbox=-4.5126,48.4042,-4.5125,48.4043&limit=50", &here)
		if len(here.Items) != 4 {
			t.Fatalf("%d actors at 7 rue de Vendée, Brest, want 4", len(here.Items))
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/?lat=48.40424&lon=-4.512545&z=16"),
			chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
			t.Fatal(err)
		}
		// Four markers on one point, near the centre.
		poll(t, "four markers drawn at one point", `(() => {
			const m = document.querySelector("#map");
			const ps = m.layerState().filter((p) => !p.cluster && Math.hypot(p.x - m.clientWidth / 2, p.y - m.clientHeight / 2) < 20);
			return ps.length === 4 && ps.every((p) => p.x === ps[0].x && p.y === ps[0].y);
		})()`)
		xy, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
			const m = document.querySelector("#map"), r = m.getBoundingClientRect();
			const p = m.layerState().find((p) => !p.cluster && Math.hypot(p.x - m.clientWidth / 2, p.y - m.clientHeight / 2) < 20);
			return [r.left + p.x, r.top + p.y];
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(xy[0], xy[1])); err != nil {
			t.Fatal(err)
		}
		poll(t, "the list of the address", `document.querySelectorAll("#details .place-list__item").length === 4`)
		if got := eval(t, `document.querySelector("#details-title").textContent`); got != "4 structures à cette adresse" {
			t.Errorf("title %q", got)
		}
		var want []string
		for _, a := range here.Items {
			want = append(want, fmt.Sprint(a.ID))
		}
		got := strings.Fields(eval(t, `[...document.querySelectorAll("#details .place-list__item")].map((b) => b.dataset.id).join(" ")`))
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("listed %v, want %v", got, want)
		}
		last := here.Items[3]
		if err := chromedp.Do(ctx, chromedp.Click(fmt.Sprintf(`#details .place-list__item[data-id="%d"]`, last.ID))); err != nil {
			t.Fatal(err)
		}
		poll(t, "the fourth actor's card", fmt.Sprintf(`location.pathname.endsWith("/acteurs/%d") && document.querySelector(".actor-card") !== null`, last.ID))
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/?lat=48.40424&lon=-4.512545&z=13"),
			chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
			t.Fatal(err)
		}
		poll(t, "Brest drawn", `document.querySelector("#map").layerState().length > 10`)
		shoot(t, ctx, "brest-z13.png")
	})

	t.Run("an actor with two sectors is one marker", func(t *testing.T) {
		var found struct {
			Items []struct {
				ID      int64    `json:"id"`
				Name    string   `json:"name"`
				Sectors []string `json:"sectors"`
			} `json:"items"`
		}
		getJSON(t, url+"/api/actors?bbox=-0.379,46.267,-0.378,46.268&limit=5", &found)
		if len(found.Items) == 0 || len(found.Items[0].Sectors) < 2 {
			t.Fatalf("Emmaüs Niort: %+v, want one actor with two sectors", found.Items)
		}
		a := found.Items[0]
		var sectors struct {
			Items []struct {
				Slug  string `json:"slug"`
				Color string `json:"color"`
			} `json:"items"`
		}
		getJSON(t, url+"/api/sectors", &sectors)
		colour := map[string]string{}
		for _, s := range sectors.Items {
			colour[s.Slug] = s.Color
		}
		primary, second := a.Sectors[0], a.Sectors[1]
		for _, q := range []string{"", "&secteurs=" + second} {
			if err := chromedp.Do(ctx, chromedp.Navigate(url+"/?lat=46.26748&lon=-0.37832&z=16"+q),
				chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
				t.Fatal(err)
			}
			poll(t, "Emmaüs drawn"+q, fmt.Sprintf(`document.querySelector("#map").layerState().some((p) => p.id === %d)`, a.ID))
			state := eval(t, fmt.Sprintf(`JSON.stringify(document.querySelector("#map").layerState().filter((p) => p.id === %d).map((p) => [p.layer, p.color]))`, a.ID))
			if want := fmt.Sprintf(`[[%q,%q]]`, primary, colour[primary]); state != want {
				t.Errorf("with %q, Emmaüs drawn as %s, want one marker %s", q, state, want)
			}
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/?lat=46.3239&lon=-0.4588&z=13"),
			chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
			t.Fatal(err)
		}
		poll(t, "Niort drawn", `document.querySelector("#map").layerState().length > 10`)
		shoot(t, ctx, "niort-z13.png")
	})

	// panelCheck checks, on the page as it is, that the panel is on
	// screen, that the selected actor's marker is on the map and not under
	// it, and that the attribution shows.
	panelCheck := `(() => {
		const d = document.querySelector("#details").getBoundingClientRect();
		const m = document.querySelector("#map").getBoundingClientRect();
		const sel = document.querySelector(".selected-marker");
		const a = document.querySelector(".leaflet-control-attribution");
		if (document.querySelector("#details").hidden || !sel || !a || d.height < 100) return false;
		if (d.top < 0 || d.bottom > innerHeight + 1 || d.left < 0 || d.right > innerWidth + 1) return false;
		const s = sel.getBoundingClientRect();
		const sx = s.left + s.width / 2, sy = s.top + s.height / 2;
		if (sx < m.left || sx > m.right || sy < m.top || sy > m.bottom) return false;
		if (sx > d.left && sx < d.right && sy > d.top && sy < d.bottom) return false;
		const r = a.getBoundingClientRect();
		if (r.width < 20 || !a.textContent.includes("ODbL")) return false;
		const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		return hit !== null && a.contains(hit);
	})()`

	t.Run("the panel shows the actor and the attribution", func(t *testing.T) {
		for _, width := range []int64{1280, 360} {
			if width == 360 {
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulatePortrait)); err != nil {
					t.Fatal(err)
				}
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(url+"/?lat=46.3239&lon=-0.4588&z=14"),
				chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
				t.Fatal(err)
			}
			if width == 360 {
				if err := chromedp.Do(ctx, chromedp.Click("#tab-list")); err != nil {
					t.Fatal(err)
				}
			}
			poll(t, "the list", `document.querySelectorAll(".list .actor-list__item").length > 5`)
			// The last actor of the list, so that the map has to move.
			id := eval(t, `[...document.querySelectorAll(".list .actor-list__item")].at(-1).dataset.id`)
			if err := chromedp.Do(ctx, chromedp.Click(`.list .actor-list__item[data-id="`+id+`"]`)); err != nil {
				t.Fatal(err)
			}
			poll(t, fmt.Sprintf("at %d px, the panel, the actor and the attribution on screen", width),
				`location.pathname.endsWith("/acteurs/`+id+`") && document.querySelector(".actor-card") !== null && `+panelCheck)
			name := eval(t, `document.querySelector("#details-title").textContent`)
			if width == 360 {
				shoot(t, ctx, "panel-360.png")
			}
			// The URL reopens the same view.
			href := eval(t, `location.href`)
			if err := chromedp.Do(ctx, chromedp.Navigate(href), chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
				t.Fatal(err)
			}
			reopened := `document.querySelector("#details-title")?.textContent === ` + jsString(name) + ` && ` + panelCheck
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](reopened, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
				t.Fatalf("at %d px, the same actor, on screen, from its URL %s: %v; the page shows %s", width, href, err, eval(t, `JSON.stringify({
					title: document.querySelector("#details-title")?.textContent, hidden: document.querySelector("#details").hidden,
					details: document.querySelector("#details").getBoundingClientRect(), map: document.querySelector("#map").getBoundingClientRect(),
					selected: document.querySelector(".selected-marker")?.getBoundingClientRect() ?? null,
					attribution: document.querySelector(".leaflet-control-attribution")?.getBoundingClientRect() ?? null,
					attributionText: document.querySelector(".leaflet-control-attribution")?.textContent,
					size: [innerWidth, innerHeight]})`))
			}
		}

		// "Autour de moi" on a phone opens the panel too.
		lat, lon, acc := 46.3239, -0.4588, 20.0
		if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: url}); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
			Latitude: &lat, Longitude: &lon, Accuracy: &acc}); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/?lat=46.3239&lon=-0.4588&z=14"),
			chromedp.WaitVisible("#actor-count[data-count]"), chromedp.Click("#nearby-button")); err != nil {
			t.Fatal(err)
		}
		poll(t, "ten nearest", `document.querySelectorAll(".nearby__list .actor-list__row").length === 10`)
		id := eval(t, `document.querySelectorAll(".nearby__list .actor-list__item")[3].dataset.id`)
		if err := chromedp.Do(ctx, chromedp.Click(`.nearby__list .actor-list__item[data-id="`+id+`"]`)); err != nil {
			t.Fatal(err)
		}
		poll(t, "the nearby actor's panel on screen", `location.pathname.endsWith("/acteurs/`+id+`") && document.querySelector(".actor-card") !== null && `+panelCheck)
		// The sheet's three heights.
		for _, size := range []string{"full", "peek", "half"} {
			if err := chromedp.Do(ctx, chromedp.Click(".details__handle")); err != nil {
				t.Fatal(err)
			}
			poll(t, "the sheet at "+size, `document.querySelector("#details").dataset.size === "`+size+`"`)
		}
		poll(t, "at half height, the panel, the actor and the attribution on screen", panelCheck)
		if err := chromedp.Do(ctx, chromedp.EmulateReset()); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("recyclerie filters the list and proposes réemploi", func(t *testing.T) {
		// The address service does not answer: its requests hang.
		if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/api/geocode*"}}}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if _, err := chromedp.Call(ctx, fetch.Disable, cdp.Empty{}); err != nil {
				t.Error(err)
			}
		}()
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/?lat=46.3239&lon=-0.4588&z=10"),
			chromedp.WaitVisible("#actor-count[data-count]"),
			chromedp.SendKeys("#search-input", "recyclerie")); err != nil {
			t.Fatal(err)
		}
		poll(t, "actor suggestions without the address service", `document.querySelectorAll('.search__option[data-kind="actor"]').length > 0`)
		poll(t, "the réemploi sector proposed", `[...document.querySelectorAll('.search__option[data-kind="sector"]')].some((o) => o.textContent.includes("Réemploi"))`)
		if err := chromedp.Do(ctx, chromedp.KeyEvent(keys.Escape), chromedp.KeyEvent(keys.Enter)); err != nil {
			t.Fatal(err)
		}
		poll(t, "the list filtered", `document.querySelector("#list").dataset.q === "recyclerie" && document.querySelectorAll(".list .actor-list__item").length > 0`)
		var want struct {
			Total int `json:"total"`
			Items []struct {
				ID       int64 `json:"id"`
				Location *struct {
					Coordinates []float64 `json:"coordinates"`
				} `json:"location"`
			} `json:"items"`
		}
		centre := eval(t, `new URLSearchParams(location.search).get("lon") + "," + new URLSearchParams(location.search).get("lat")`)
		getJSON(t, url+"/api/actors?q=recyclerie&limit=50&near="+centre, &want)
		if want.Total < 5 || want.Total > 1000 {
			t.Fatalf("%d actors match recyclerie", want.Total)
		}
		var wantIDs []string
		last := -1.0
		var lon, lat float64
		fmt.Sscanf(strings.Replace(centre, ",", " ", 1), "%g %g", &lon, &lat)
		for _, a := range want.Items {
			wantIDs = append(wantIDs, fmt.Sprint(a.ID))
			if a.Location == nil {
				continue
			}
			d := math.Hypot((a.Location.Coordinates[0]-lon)*math.Cos(lat*math.Pi/180), a.Location.Coordinates[1]-lat)
			if d < last-1e-3 {
				t.Errorf("actor %d is nearer than the one before it", a.ID)
			}
			last = d
		}
		poll(t, "the list of the matching actors, nearest first", `[...document.querySelectorAll(".list .actor-list__item")].map((b) => b.dataset.id).join(" ") === `+jsString(strings.Join(wantIDs, " ")))
		poll(t, "the map shows the matching actors only", `Number(document.querySelector("#map").dataset.matches) > 0 && document.querySelector("#map").layerState().length === 0`)
		if got := eval(t, `document.querySelector("#list").dataset.total`); got != fmt.Sprint(want.Total) {
			t.Errorf("the list counts %s actors, want %d", got, want.Total)
		}
		poll(t, "the réemploi sector still proposed", `[...document.querySelectorAll('.search__option[data-kind="sector"]')].some((o) => o.textContent.includes("Réemploi"))`)
		if err := chromedp.Do(ctx, chromedp.Click(`.search__option[data-kind="sector"]`)); err != nil {
			t.Fatal(err)
		}
		poll(t, "only réemploi ticked", `[...document.querySelectorAll(".legend input:checked")].map((b) => b.value).join() === "reemploi"`)
	})

	t.Run("first view on mainland France, overseas a click away", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
			t.Fatal(err)
		}
		poll(t, "the first view in the URL", `document.querySelector("#map").layerState().length > 0 && new URLSearchParams(location.search).has("lat")`)
		if !eval2bool(eval(t, `(() => {
			const q = new URLSearchParams(location.search);
			const lat = Number(q.get("lat")), lon = Number(q.get("lon")), z = Number(q.get("z"));
			return String(lat > 42 && lat < 51 && lon > -5 && lon < 9.5 && z >= 4);
		})()`)) {
			t.Errorf("the first view %s (map %s px) is not on mainland France", eval(t, `location.search`),
				eval(t, `document.querySelector("#map").clientWidth + "x" + document.querySelector("#map").clientHeight`))
		}
		if err := chromedp.Do(ctx, chromedp.Click(".territories summary")); err != nil {
			t.Fatal(err)
		}
		poll(t, "the overseas territories with actors", `document.querySelector(".territories").dataset.ready === "true"`)
		got := eval(t, `[...document.querySelectorAll(".territories__item")].map((b) => b.dataset.territory).join(" ")`)
		// The SIAE list has actors in the five overseas departments, none in
		// New Caledonia.
		if !strings.HasPrefix(got, "metropole guadeloupe martinique guyane reunion mayotte") || strings.Contains(got, "nouvelleCaledonie") {
			t.Errorf("territories %q", got)
		}
		if err := chromedp.Do(ctx, chromedp.Click(`.territories__item[data-territory="reunion"]`)); err != nil {
			t.Fatal(err)
		}
		poll(t, "the map on La Réunion", `(() => {
			const q = new URLSearchParams(location.search);
			return Number(q.get("lat")) > -21.4 && Number(q.get("lat")) < -20.85 && Number(q.get("lon")) > 55.2 && Number(q.get("lon")) < 55.85;
		})()`)

		// The list's selection as CSV: the same actors.
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/?lat=46.3239&lon=-0.4588&z=12"), chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
			t.Fatal(err)
		}
		poll(t, "the list and its export", `document.querySelectorAll(".list .actor-list__item").length > 0 && document.querySelector(".actor-list__export").href.includes("api/actors.csv?bbox=")`)
		href := eval(t, `document.querySelector(".actor-list__export").href`)
		resp, err := http.Get(href)
		if err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(resp.Body).ReadAll()
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if total := eval(t, `document.querySelector("#list").dataset.total`); fmt.Sprint(len(records)-1) != total {
			t.Errorf("the CSV export has %d actors, the list %s", len(records)-1, total)
		}

		// An embed links to the full map of its view, with the attribution.
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/?lat=46.6&lon=2.4&z=6&embed=1")); err != nil {
			t.Fatal(err)
		}
		poll(t, "the embed's link to the full map", `(() => {
			const a = document.querySelector(".full-map-link");
			const r = document.querySelector(".leaflet-control-attribution")?.getBoundingClientRect();
			return a !== null && a.href.includes("lat=46.6") && !a.href.includes("embed") && r && r.width > 20 && r.bottom <= innerHeight;
		})()`)

		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/?lat=46.6&lon=2.4&z=6"), chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
			t.Fatal(err)
		}
		poll(t, "France drawn", `document.querySelector("#map").layerState().length > 10`)
		shoot(t, ctx, "france-z6.png")
	})

	t.Run("screenshots", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/?lat=46.3239&lon=-0.4588&z=13"),
			chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
			t.Fatal(err)
		}
		poll(t, "the list", `document.querySelectorAll(".list .actor-list__item").length > 0`)
		shoot(t, ctx, "map-1280.png")
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulatePortrait),
			chromedp.Reload(), chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
			t.Fatal(err)
		}
		if got := eval(t, `String(document.documentElement.scrollWidth)`); got != "360" {
			t.Errorf("the 360 px layout is %s px wide", got)
		}
		poll(t, "the map tab", `getComputedStyle(document.querySelector("#sidebar")).display === "none" && document.querySelector("#map").offsetHeight > 300`)
		shoot(t, ctx, "map-360.png")
		if err := chromedp.Do(ctx, chromedp.Click("#tab-list")); err != nil {
			t.Fatal(err)
		}
		poll(t, "the list tab", `getComputedStyle(document.querySelector("#map-wrap")).display === "none" && document.querySelectorAll(".list .actor-list__item").length > 0`)
		shoot(t, ctx, "list-360.png")
	})

}

func eval2bool(s string) bool { return s == "true" }

// postActor creates an actor through the API with a keeper's token and
// returns its id.
func postActor(t *testing.T, url, token string, body map[string]any) int64 {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url+"/api/actors", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a struct {
		ID int64 `json:"id"`
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST /api/actors = %d %s", resp.StatusCode, msg)
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	return a.ID
}
