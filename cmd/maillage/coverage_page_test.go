package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/maillage/maillage/internal/postgistest"
)

// TestCoveragePages drives Chromium without network for the base map: the
// map page draws the territory tiles instead of a grey background, and the
// coverage view of Finistère and insertion shows the legend, the sentence
// with the API's figure and the table, draws the annotation of a published
// workshop in Finistère when asked, and prints to one A4 page.
func TestCoveragePages(t *testing.T) {
	env := map[string]string{"DATABASE_URL": postgistest.NewURL(t)}
	data := sharedData(t)
	for _, args := range [][]string{
		{"territories", "import", "--level", "departement", "--attribution", "IGN Admin Express (Licence Ouverte 2.0)",
			filepath.Join(data, "territories", "departements-simplified.geojson")},
		{"territories", "import", "--attribution", "IGN Admin Express (Licence Ouverte 2.0)",
			filepath.Join(data, "territories", "communes-29-finistere.geojson")},
		{"import", "--sector", "insertion", "--source", "ASP", "--attribution", "Liste des SIAE (ASP / Ministère du Travail)",
			filepath.Join(data, "actors", "siae-france.geojson")},
		{"token", "create", "cress"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"maillage"}, args...), testEnv(env), &out, &out); err != nil {
			t.Fatalf("%v: %v %s", args, err, out.String())
		}
		if args[0] == "token" {
			env["keeper"] = strings.TrimSpace(out.String())
		}
	}
	keeper := env["keeper"]
	delete(env, "keeper")
	// Nothing listens on port 1: the raster base map cannot load.
	env["MAILLAGE_BASEMAP_URL"] = "http://127.0.0.1:1/{z}/{x}/{y}.png"
	url := startServe(t, env)

	// A published workshop with one annotation in Châteaulin (Finistère).
	var ws struct {
		ID             int64  `json:"id"`
		Code           string `json:"code"`
		AnimatorSecret string `json:"animator_secret"`
	}
	if status := apiDo(t, "POST", url+"/api/workshops", keeper, map[string]any{"title": "Diagnostic ESS de Châteaulin",
		"date": "2026-12-10", "bbox": []float64{-4.2, 48.1, -4.0, 48.3}}, &ws); status != 201 {
		t.Fatalf("create workshop = %d", status)
	}
	wsPath := fmt.Sprintf("%s/api/workshops/%d", url, ws.ID)
	if status := apiDo(t, "PATCH", wsPath, ws.AnimatorSecret, map[string]any{"status": "open"}, nil); status != 200 {
		t.Fatalf("open workshop = %d", status)
	}
	var joined struct{ Token string }
	if status := apiDo(t, "POST", url+"/api/workshops/join", "", map[string]string{"code": ws.Code}, &joined); status != 200 {
		t.Fatalf("join = %d", status)
	}
	var note struct{ ID int64 }
	if status := apiDo(t, "POST", wsPath+"/annotations", joined.Token, map[string]any{"kind": "besoin",
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{-4.0965, 48.1969}}, "text": "Pas de recyclerie"}, &note); status != 201 {
		t.Fatalf("annotation = %d", status)
	}
	if status := apiDo(t, "PATCH", wsPath, ws.AnimatorSecret, map[string]any{"status": "closed", "published": true}, nil); status != 200 {
		t.Fatalf("publish workshop = %d", status)
	}

	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var problems []string
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.IsException() {
				mu.Lock()
				problems = append(problems, m.String()+" ("+m.URL+")")
				mu.Unlock()
			}
		}
	}()
	tb := &tab{name: "couverture", ctx: ctx, wait: 40 * time.Second}
	eval, poll := tb.eval, tb.poll
	// hasColor tells whether a canvas of the tile pane has a pixel within
	// tol of rgb.
	hasColor := func(rgb [3]int, tol int) string {
		return fmt.Sprintf(`[...document.querySelectorAll("#map .leaflet-tile-pane canvas")].some((c) => {
			const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			for (let i = 0; i < d.length; i += 4)
				if (Math.abs(d[i] - %d) <= %d && Math.abs(d[i+1] - %d) <= %d && Math.abs(d[i+2] - %d) <= %d) return true;
			return false;
		})`, rgb[0], tol, rgb[1], tol, rgb[2], tol)
	}

	t.Run("offline base map", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/?lat=48.25&lon=-4.05&z=9"), chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
			t.Fatal(err)
		}
		poll(t, "the territory base map", `document.querySelector("#map").dataset.basemap === "territoires"`)
		poll(t, "land drawn", hasColor([3]int{0xf7, 0xf5, 0xef}, 0))
		poll(t, "département boundaries drawn", hasColor([3]int{0x6b, 0x63, 0x55}, 12))
		if bg := eval(t, `getComputedStyle(document.querySelector("#map")).backgroundColor`); bg != "rgb(219, 231, 238)" {
			t.Errorf("map background %s, want the sea of the territory base map", bg)
		}
		if n := eval(t, `String(document.querySelectorAll("#map .leaflet-tile-pane img.leaflet-tile-loaded").length)`); n != "0" {
			t.Errorf("%s raster tiles shown", n)
		}
		if !strings.Contains(eval(t, `document.querySelector("#notices").innerText`), "fond sobre") {
			t.Errorf("no notice of the base map")
		}
		shoot(t, ctx, "offline-basemap.png")
		// The switch brings the raster back (which fails again here) and the
		// sober map again.
		if err := chromedp.Do(ctx, chromedp.Click(".basemap-switch")); err != nil {
			t.Fatal(err)
		}
		poll(t, "the raster chosen", `document.querySelector("#map").dataset.basemap === "raster"`)
	})

	var api struct {
		Items   []struct{ Code string } `json:"items"`
		Summary struct {
			ShareBeyond      float64 `json:"share_beyond"`
			PopulationBeyond int     `json:"population_beyond"`
		} `json:"summary"`
	}
	getJSON(t, url+"/api/coverage?within=departement:29&level=commune&sectors=insertion&radius_km=10", &api)
	percent := fmt.Sprintf("%d\u00a0%%", int(math.Round(api.Summary.ShareBeyond*100)))

	t.Run("coverage view", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900),
			chromedp.Navigate(url+"/couverture?territoire=29&secteurs=insertion&rayon=10"), chromedp.WaitVisible("#cov-form")); err != nil {
			t.Fatal(err)
		}
		poll(t, "the coverage of Finistère", `document.body.dataset.ready === "departement:29"`)
		sentence := eval(t, `document.querySelector("#cov-sentence").textContent`)
		if !strings.HasPrefix(sentence, "Finistère : "+percent+" des habitants") || !strings.Contains(sentence, "10 km") ||
			!strings.Contains(sentence, "Insertion par l'activité économique") {
			t.Errorf("sentence %q, want %s from the API", sentence, percent)
		}
		legend := eval(t, `document.querySelector("#cov-legend").innerText`)
		for _, want := range []string{"Distance", "km", "zone blanche"} {
			if !strings.Contains(legend, want) {
				t.Errorf("legend %q does not say %q", legend, want)
			}
		}
		if n := eval(t, `String(document.querySelectorAll("#cov-table tbody tr").length)`); n != fmt.Sprint(len(api.Items)) {
			t.Errorf("table of %s communes, want %d", n, len(api.Items))
		}
		if first := eval(t, `document.querySelector("#cov-table tbody tr").dataset.code`); first != api.Items[0].Code {
			t.Errorf("first row %s, want the weakest %s", first, api.Items[0].Code)
		}
		poll(t, "hatched zones blanches", `[...document.querySelectorAll("#cov-map path")].some((p) => p.getAttribute("fill") === "url(#cov-hatch)")`)
		// Sorting by population, then the other way.
		if err := chromedp.Do(ctx, chromedp.Click(`#cov-table th[data-key="population"] button`)); err != nil {
			t.Fatal(err)
		}
		if s := eval(t, `document.querySelector('#cov-table th[data-key="population"]').getAttribute("aria-sort")`); s != "ascending" {
			t.Errorf("aria-sort %q", s)
		}
		if err := chromedp.Do(ctx, chromedp.Click(`#cov-table th[data-key="population"] button`)); err != nil {
			t.Fatal(err)
		}
		if first := eval(t, `document.querySelector("#cov-table tbody tr th").textContent`); first != "Brest" {
			t.Errorf("most populated commune %q, want Brest", first)
		}
		if href := eval(t, `document.querySelector("#cov-csv").href`); !strings.Contains(href, "/api/coverage.csv?") {
			t.Errorf("CSV link %q", href)
		}
		checkAccessibility(t, ctx, "/couverture")
		shoot(t, ctx, "coverage-1280.png")
	})

	t.Run("workshop annotations", func(t *testing.T) {
		if n := eval(t, `String(document.querySelectorAll("#cov-map [data-annotation-id]").length)`); n != "0" {
			t.Errorf("%s annotations drawn before the box is ticked", n)
		}
		if err := chromedp.Do(ctx, chromedp.Click("#cov-workshops")); err != nil {
			t.Fatal(err)
		}
		poll(t, "the workshop's annotation", fmt.Sprintf(`document.querySelector('#cov-map [data-annotation-id="%d"]') !== null`, note.ID))
		if n := eval(t, `document.querySelector("#cov-map").dataset.workshopAnnotations`); n != "1" {
			t.Errorf("%s annotations, want 1", n)
		}
		legend := eval(t, `document.querySelector("#cov-legend-workshops").innerText`)
		if !strings.Contains(legend, "Contributions des ateliers publiés") || !strings.Contains(legend, "(1)") {
			t.Errorf("legend of the workshops %q", legend)
		}
		if u := eval(t, `location.search`); !strings.Contains(u, "ateliers=1") {
			t.Errorf("URL %q does not keep the choice", u)
		}
		checkAccessibility(t, ctx, "/couverture with the workshops' annotations")
		shoot(t, ctx, "coverage-workshops.png")
		if err := chromedp.Do(ctx, chromedp.Click("#cov-workshops")); err != nil {
			t.Fatal(err)
		}
		poll(t, "the annotation gone", `document.querySelector("#cov-map [data-annotation-id]") === null`)
	})

	t.Run("print", func(t *testing.T) {
		landscape, background, css := true, true, true
		res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{Landscape: &landscape,
			PrintBackground: &background, PreferCSSPageSize: &css})
		if err != nil {
			t.Fatal(err)
		}
		pdf := writeOut(t, "coverage-a4.pdf", res.Data)
		// The text of the PDF itself, page by page (pdftotext ends each page
		// with a form feed).
		pdftotext, err := exec.LookPath("pdftotext")
		if err != nil {
			t.Fatalf("pdftotext (Debian's poppler-utils, installed by scripts/ensure-deps.sh --chromium): %v", err)
		}
		out, err := exec.Command(pdftotext, "-enc", "UTF-8", pdf, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext %s: %v", pdf, err)
		}
		pages := strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
		if len(pages) != 1 {
			t.Errorf("the print has %d pages, want 1", len(pages))
		}
		// pdftotext breaks lines where the page does: compare words.
		text := strings.Join(strings.Fields(strings.ReplaceAll(string(out), "\u00a0", " ")), " ")
		for _, want := range []string{"Couverture du territoire", "Finistère : " + strings.ReplaceAll(percent, "\u00a0", " ") + " des habitants",
			"Sources :", "Liste des SIAE", "Licence Ouverte", "Les dix communes les moins bien couvertes", "Distance : 10 km"} {
			if !strings.Contains(text, want) {
				t.Errorf("the PDF's text does not hold %q:\n%s", want, text)
			}
		}
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(text, "Exporter le tableau") {
			t.Errorf("the form is printed")
		}
		shoot(t, ctx, "coverage-print.png")
		chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
	})

	// An EPCI is compared with its département: the figure of the
	// département's /api/coverage.
	t.Run("EPCI compared with its département", func(t *testing.T) {
		var epci struct {
			Summary struct {
				ShareBeyond float64 `json:"share_beyond"`
			} `json:"summary"`
		}
		getJSON(t, url+"/api/coverage?within=epci:242900314&sectors=insertion&radius_km=10", &epci)
		epciPercent := fmt.Sprintf("%d\u00a0%%", int(math.Round(epci.Summary.ShareBeyond*100)))
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/couverture?territoire=epci:242900314&secteurs=insertion&rayon=10"),
			chromedp.WaitVisible("#cov-form")); err != nil {
			t.Fatal(err)
		}
		poll(t, "the coverage of Brest Métropole", `document.body.dataset.ready === "epci:242900314"`)
		if s := eval(t, `document.querySelector("#cov-sentence").textContent`); !strings.HasPrefix(s, "Brest Métropole : "+epciPercent) {
			t.Errorf("sentence %q, want %s from the API", s, epciPercent)
		}
		poll(t, "the comparison", `document.querySelector("#cov-comparison").dataset.share !== undefined`)
		if c := eval(t, `document.querySelector("#cov-comparison").textContent`); c != "À comparer avec Finistère : "+percent+"." {
			t.Errorf("comparison %q, want Finistère's %s", c, percent)
		}
	})

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("console: %s", p)
	}
}
