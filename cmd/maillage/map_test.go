package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
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
	var out bytes.Buffer
	if err := run(context.Background(), []string{"maillage", "token", "create", "cress"}, testEnv(env), &out, &out); err != nil {
		t.Fatalf("token create: %v %s", err, out.String())
	}
	token := strings.TrimSpace(out.String())
	out.Reset()
	addresses := filepath.Join(sharedData(t), "geocoder", "ban-format-54084-mont-bonvillers.csv")
	if err := run(context.Background(), []string{"maillage", "addresses", "import", addresses}, testEnv(env), &out, &out); err != nil {
		t.Fatalf("addresses import: %v %s", err, out.String())
	}
	env["MAILLAGE_BASEMAP_URL"] = tileServer(t).URL + "/{z}/{x}/{y}.png"
	url := startServe(t, env)

	// The hostile actor, in Niort among the Transiscope actors.
	xssID := postActor(t, url, token, map[string]any{
		"name": xssName, "sectors": []string{"culture"}, "description": xssName,
		"address":  map[string]string{"street": xssName, "postcode": "79000", "city": "Niort"},
		"location": map[string]any{"type": "Point", "coordinates": []float64{-0.4601, 46.3252}},
	})

	ctx := browserWithin(t, 3*time.Minute) // axe-core reads the whole page three times
	watchConsole(t, ctx)
	eval := func(t *testing.T, js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	poll := func(t *testing.T, what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("waiting for %s (%s): %v", what, js, err)
		}
	}

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
		// The tiles were really drawn: some canvas pixel has the insertion colour.
		poll(t, "insertion pixels", `[...document.querySelectorAll("#map canvas.leaflet-tile")].some((c) => {
			const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			for (let i = 0; i < d.length; i += 4) if (d[i] === 0xc2 && d[i+1] === 0x41 && d[i+2] === 0x0c) return true;
			return false;
		})`)
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
		before := eval(t, `document.querySelector("#list").dataset.total`)
		if err := chromedp.Do(ctx, chromedp.Click(`.legend input[value="insertion"]`)); err != nil {
			t.Fatal(err)
		}
		poll(t, "no insertion drawn", `!(document.querySelector("#map").dataset.sectors ?? "").split(" ").includes("insertion")`)
		poll(t, "no insertion pixels", `![...document.querySelectorAll("#map canvas.leaflet-tile")].some((c) => {
			const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			for (let i = 0; i < d.length; i += 4) if (d[i] === 0xc2 && d[i+1] === 0x41 && d[i+2] === 0x0c) return true;
			return false;
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

func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outDir(t), name), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

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
