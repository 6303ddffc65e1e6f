package main

import (
	"encoding/csv"
	"fmt"
	"net/http"
	neturl "net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	keys "github.com/chromedp/chromedp/kb"

	"github.com/maillage/maillage/internal/postgistest"
)

// attributionVisible is true when the map's attribution is on screen,
// inside the map, with text, and not covered by anything at its centre.
const attributionVisible = `(() => {
	const a = document.querySelector(".leaflet-control-attribution");
	if (!a || a.innerText.trim() === "") return false;
	const r = a.getBoundingClientRect(), m = document.querySelector("#map").getBoundingClientRect();
	if (r.width < 20 || r.height < 8) return false;
	if (r.left < m.left - 1 || r.right > m.right + 1 || r.top < m.top - 1 || r.bottom > m.bottom + 1) return false;
	if (r.right > innerWidth || r.bottom > innerHeight) return false;
	const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
	return !!hit && a.contains(hit);
})()`

// TestEmbedFiltersAndCommunes drives, on the demo data, the share dialog's
// embed builder and the embeds it makes, the list's filters by structure
// type and legal family with their counts and export, and the communes of
// our own territories in the search while the address service hangs.
func TestEmbedFiltersAndCommunes(t *testing.T) {
	env := map[string]string{"DATABASE_URL": postgistest.NewURL(t), "MAILLAGE_DEMO_DIR": sharedData(t)}
	token := runOK(t, env, "token", "create", "cress")
	env["MAILLAGE_BASEMAP_URL"] = tileServer(t).URL + "/{z}/{x}/{y}.png"
	url := startServe(t, env)
	// The demo's SIAE have no legal form: three structures near Nantes do.
	for i, a := range []struct{ kind, legal string }{{"ACI", "9220"}, {"ACI", "9220"}, {"EI", "5458"}} {
		postActor(t, url, token, map[string]any{"name": fmt.Sprintf("Structure %d de Rezé", i+1), "kind": a.kind,
			"legal_form": a.legal, "sectors": []string{"insertion"},
			"location": map[string]any{"type": "Point", "coordinates": []float64{-1.56 + float64(i)/100, 47.18}}})
	}

	ctx := browserWithin(t, 25*time.Minute) // axe-core is slow on a busy machine
	tb := newTab(t, "embed", ctx)
	tb.wait = 30 * time.Second
	// After an emulated viewport and several navigations, chromedp's
	// selector queries can wait for ever for a replaced document: the
	// later steps read and click through JavaScript (js).
	eval, poll, js, do := tb.eval, tb.poll, tb.run, tb.do

	t.Run("the embed builder makes the embed it shows", func(t *testing.T) {
		do(t, chromedp.Navigate(url+"/?lat=46.3239&lon=-0.4588&z=11"), chromedp.WaitVisible("#actor-count[data-count]"))
		// The dialog loads its preview frame: from here on, until the page
		// is left, the steps read and click through JavaScript (see below).
		js(t, `document.querySelector("#share-button").click()`)
		poll(t, "the share dialog", `(() => {
			const e = document.querySelector("#share-embed");
			return !!e && e.getBoundingClientRect().height > 0 && getComputedStyle(e).visibility === "visible";
		})()`)
		// Every sector is shown: the embed code names none.
		if code := eval(t, `document.querySelector("#share-embed").value`); !strings.Contains(code, "embed=1") ||
			strings.Contains(code, "secteurs=") || !strings.HasPrefix(code, "<iframe ") {
			t.Errorf("default embed code %q", code)
		}
		// Search off, insertion and réemploi only, locked; legend and link kept.
		// Each option reloads the preview's frame, and a selector query
		// (chromedp.Click) once waited for ever after it, in CI: the
		// options are clicked through JavaScript, which fires the same
		// click and change events.
		js(t, `document.querySelector("#embed-search").click()`)
		for _, box := range strings.Fields(eval(t, `[...document.querySelectorAll(".share__sectors input:checked")].map((b) => b.id).join(" ")`)) {
			if box != "embed-sector-insertion" && box != "embed-sector-reemploi" {
				js(t, `document.querySelector("#`+box+`").click()`)
			}
		}
		js(t, `document.querySelector("#embed-lock").click()`)
		poll(t, "the iframe code of the options", `document.querySelector("#share-embed").value.includes("lock=1")`)
		code := eval(t, `document.querySelector("#share-embed").value`)
		_, src, _ := strings.Cut(code, `src="`)
		src, _, _ = strings.Cut(src, `"`)
		src = strings.ReplaceAll(src, "&amp;", "&")
		u, err := neturl.Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if q.Get("embed") != "1" || q.Get("search") != "0" || q.Get("lock") != "1" || q.Get("secteurs") != "insertion,reemploi" ||
			q.Has("legend") || q.Has("full") {
			t.Fatalf("embed URL %s", src)
		}
		if !strings.Contains(code, `title="Carte des acteurs de l'ESS"`) {
			t.Errorf("the iframe has no title: %s", code)
		}
		// The live preview is that embed.
		poll(t, "the preview of the embed", `(() => {
			const f = document.querySelector(".share__preview");
			return f.src === `+jsString(src)+` && !!f.contentDocument?.querySelector(".embed-legend") &&
				f.contentDocument.body.classList.contains("embed");
		})()`)
		checkAccessibility(t, ctx, "the embed builder")
		shoot(t, ctx, "embed-builder.png")
		do(t, chromedp.KeyEvent(keys.Escape))

		do(t, chromedp.Navigate(src), chromedp.WaitReady("#actor-count[data-count]"))
		poll(t, "actors drawn in the embed", `(document.querySelector("#map").dataset.sectors ?? "") !== ""`)
		if got := eval(t, `document.querySelector("#map").dataset.sectors`); slices.ContainsFunc(strings.Fields(got),
			func(s string) bool { return s != "insertion" && s != "reemploi" }) {
			t.Errorf("the locked embed draws sectors %q", got)
		}
		if got := eval(t, `[...document.querySelectorAll(".embed-legend .legend input")].map((b) => b.value + ":" + b.checked + ":" + b.disabled).join(" ")`); got != "insertion:true:true reemploi:true:true" {
			t.Errorf("the legend's boxes (value:checked:disabled) are %q, want insertion and réemploi ticked for good", got)
		}
		if eval(t, `String(!!document.querySelector(".legend__actions"))`) != "false" {
			t.Errorf("a locked legend offers to show every sector")
		}
		if v := eval(t, `getComputedStyle(document.querySelector(".toolbar")).display`); v != "none" {
			t.Errorf("the embed without search shows its toolbar (display %s)", v)
		}
		href := eval(t, `document.querySelector(".full-map-link")?.href ?? ""`)
		if l, err := neturl.Parse(href); err != nil || l.Query().Has("embed") || l.Query().Get("secteurs") != "insertion,reemploi" {
			t.Errorf("the full-map link is %q", href)
		}
		poll(t, "the attribution visible in the embed", attributionVisible)
		checkAccessibility(t, ctx, "the locked embed")
		shoot(t, ctx, "embed-locked.png")

		// The options of the example URL, read as the builder writes them.
		do(t, chromedp.Navigate(url+"/?embed=1&legend=0&full=0&sectors=insertion,reemploi&lock=1&lat=48.39&lon=-4.49&z=12"))
		poll(t, "the embed's search box", `!!document.querySelector("#search-input") && getComputedStyle(document.querySelector(".toolbar")).display === "flex"`)
		poll(t, "actors drawn in the second embed", `(document.querySelector("#map").dataset.sectors ?? "") !== ""`)
		if got := eval(t, `[!!document.querySelector(".embed-legend"), !!document.querySelector(".full-map-link")].join(" ")`); got != "false false" {
			t.Errorf("legend, full-map link = %s, want neither", got)
		}
		poll(t, "the attribution visible with the search", attributionVisible)
		if got := eval(t, `new URLSearchParams(location.search).toString()`); !strings.Contains(got, "legend=0") || !strings.Contains(got, "lock=1") {
			t.Errorf("the embed's URL lost its options: %s", got)
		}
		checkAccessibility(t, ctx, "the embed with search")
		do(t, chromedp.EmulateViewport(360, 640), chromedp.Navigate(src), chromedp.WaitReady("#actor-count[data-count]"))
		poll(t, "the attribution visible in a 360 px embed", attributionVisible)
		do(t, chromedp.EmulateReset())
	})

	t.Run("list filters by structure type and legal family", func(t *testing.T) {
		do(t, chromedp.Navigate(url+"/?lat=47.2&lon=-1.6&z=9"))
		poll(t, "the page", `!!document.querySelector("#actor-count")?.dataset.count && !!document.querySelector(".list-filters__summary")`)
		js(t, `document.querySelector(".list-filters__summary").click()`)
		poll(t, "the facet counts", `document.querySelector(".list-filters")?.dataset.ready === "true" && document.querySelector(".list .actor-list__export:not([hidden])") !== null`)
		exportURL := eval(t, `document.querySelector(".actor-list__export").href`)
		e, _ := neturl.Parse(exportURL)
		var facets struct {
			Total int `json:"total"`
			Kind  []struct {
				Value string
				Count int
			}
			LegalFamily []struct {
				Value string
				Count int
			} `json:"legal_family"`
		}
		getJSON(t, url+"/api/actors/facets?"+e.RawQuery, &facets)
		shown := func(name string) string {
			return eval(t, `[...document.querySelectorAll('.list-filters input[name="`+name+`"]')].filter((b) => !b.closest("li").hidden).map((b) => b.value + "=" + b.closest("label").querySelector(".list-filters__count").dataset.count).join(" ")`)
		}
		var wantKinds, wantFamilies []string
		for _, f := range facets.Kind {
			if f.Count > 0 {
				wantKinds = append(wantKinds, fmt.Sprintf("%s=%d", f.Value, f.Count))
			}
		}
		for _, f := range facets.LegalFamily {
			if f.Count > 0 {
				wantFamilies = append(wantFamilies, fmt.Sprintf("%s=%d", f.Value, f.Count))
			}
		}
		if len(wantKinds) < 3 || len(wantFamilies) < 2 {
			t.Fatalf("too few facets around Nantes to test: %+v", facets)
		}
		if got := shown("kind"); got != strings.Join(wantKinds, " ") {
			t.Errorf("kinds shown %q, want %q", got, strings.Join(wantKinds, " "))
		}
		if got := shown("legal_family"); got != strings.Join(wantFamilies, " ") {
			t.Errorf("legal families shown %q, want %q", got, strings.Join(wantFamilies, " "))
		}
		// Ticking ACI then association narrows the list, the counts and the export.
		js(t, `document.querySelector('.list-filters input[name="kind"][value="ACI"]').click()`)
		var list struct {
			Total int `json:"total"`
		}
		getJSON(t, url+"/api/actors?limit=1&kind=ACI&"+e.RawQuery, &list)
		poll(t, "the list of ACI", `document.querySelector("#list").dataset.total === "`+fmt.Sprint(list.Total)+`"`)
		js(t, `document.querySelector('.list-filters input[name="legal_family"][value="association"]').click()`)
		getJSON(t, url+"/api/actors?limit=1&kind=ACI&legal_family=association&"+e.RawQuery, &list)
		if list.Total == 0 {
			t.Fatal("no ACI association around Nantes")
		}
		poll(t, "the list of ACI associations", `document.querySelector("#list").dataset.total === "`+fmt.Sprint(list.Total)+`"`)
		poll(t, "the family counts among ACI", `document.querySelector('.list-filters input[name="legal_family"][value="association"]').closest("label").querySelector(".list-filters__count").dataset.count === "`+fmt.Sprint(list.Total)+`"`)
		exportURL = eval(t, `document.querySelector(".actor-list__export").href`)
		resp, err := http.Get(exportURL)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(resp.Body).ReadAll()
		resp.Body.Close()
		if err != nil || len(rows) < 1 {
			t.Fatalf("export %s: %v", exportURL, err)
		}
		kind, family := slices.Index(rows[0], "kind"), slices.Index(rows[0], "ess_family")
		if len(rows)-1 != list.Total {
			t.Errorf("the export has %d actors, the list %d", len(rows)-1, list.Total)
		}
		for _, r := range rows[1:] {
			if r[kind] != "ACI" || r[family] != "association" {
				t.Errorf("exported %v: kind %s, family %s", r[1], r[kind], r[family])
			}
		}
		checkAccessibility(t, ctx, "the list's filters")
		js(t, `document.querySelector(".list-filters .link-button").click()`)
		poll(t, "the filters cleared", `document.querySelector("#list").dataset.total === "`+fmt.Sprint(facets.Total)+`"`)
	})

	t.Run("communes from our territories while the address service hangs", func(t *testing.T) {
		if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/api/geocode*"}}}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if _, err := chromedp.Call(ctx, fetch.Disable, cdp.Empty{}); err != nil {
				t.Error(err)
			}
		}()
		near := func(lon, lat float64) string {
			return fmt.Sprintf(`(() => { const q = new URLSearchParams(location.search);
				return Math.abs(Number(q.get("lon")) - %g) < 0.05 && Math.abs(Number(q.get("lat")) - %g) < 0.05 && Number(q.get("z")) >= 12; })()`, lon, lat)
		}
		do(t, chromedp.Navigate(url+"/"))
		poll(t, "the page", `!!document.querySelector("#actor-count")?.dataset.count && !!document.querySelector("#search-input")`)
		js(t, `document.querySelector("#search-input").focus()`)
		do(t, chromedp.KeyEvent("chateaulin"))
		poll(t, "Châteaulin proposed", `[...document.querySelectorAll('.search__option[data-kind="commune"]')].some((o) => o.textContent.startsWith("Châteaulin"))`)
		js(t, `document.querySelector('.search__option[data-kind="commune"]').click()`)
		poll(t, "the map on Châteaulin", near(-4.09, 48.20))

		// Entrée on words that name no actor goes to our commune.
		js(t, `document.querySelector("#search-input").value = ""; document.querySelector("#search-input").focus()`)
		do(t, chromedp.KeyEvent("pont l abbe"), chromedp.KeyEvent(keys.Enter))
		poll(t, "the map on Pont-l'Abbé", near(-4.22, 47.87))
	})
}
