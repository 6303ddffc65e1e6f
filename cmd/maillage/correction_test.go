package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/maillage/maillage/internal/postgistest"
)

// TestDragToCorrect is a keeper fixing a point on the page: set a
// password with the link of `maillage user create`, sign in, click the
// actor, drag its marker; the actor's location becomes manual.
func TestDragToCorrect(t *testing.T) {
	dbURL := postgistest.NewURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "MAILLAGE_GEOCODER": "local"}
	_, link, ok := strings.Cut(runOK(t, env, "user", "create", "marie@cress.example", "--role", "keeper"), "/connexion#lien=")
	if !ok {
		t.Fatalf("user create printed no link")
	}
	env["MAILLAGE_BASEMAP_URL"] = tileServer(t).URL + "/{z}/{x}/{y}.png"
	url := startServe(t, env)

	csvPath := filepath.Join(t.TempDir(), "acteurs.csv")
	os.WriteFile(csvPath, []byte("nom;secteur;latitude;longitude\nRecyclerie du Marais;réemploi;46,3239;-0,4588\n"), 0o644)
	runOK(t, env, "import", csvPath)
	var list struct {
		Items []struct {
			ID        int64 `json:"id"`
			Geocoding struct {
				Source string `json:"source"`
			} `json:"geocoding"`
		} `json:"items"`
	}
	getJSON(t, url+"/api/actors", &list)
	if len(list.Items) != 1 || list.Items[0].Geocoding.Source != "file" {
		t.Fatalf("imported actors = %+v", list.Items)
	}
	id := list.Items[0].ID

	ctx := browser(t)
	watchConsole(t, ctx)
	// The public page and its embed show no keeper control.
	for _, page := range []string{"/", "/?embed=1", "/acteurs/" + strconv.FormatInt(id, 10)} {
		// WaitReady queries again when the page replaces its document;
		// a Poll may run in a context the page has just destroyed.
		if err := chromedp.Do(ctx, chromedp.Navigate(url+page), chromedp.WaitReady(`#actor-count[data-count="1"]`)); err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".correction, .correction-toggle").length`))
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s shows %d keeper controls", page, n)
		}
	}
	const password = "un mot de passe solide"
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/connexion#lien="+link),
		chromedp.WaitVisible("#signin-new-password"),
		chromedp.SendKeys("#signin-new-password", password),
		chromedp.Click(`#signin-password-form button[type="submit"]`),
		chromedp.WaitVisible("#signin-email"),
		chromedp.Navigate(url+"/gestion"),
		chromedp.WaitVisible(`#actor-count[data-count="1"]`),
		chromedp.Click(".correction-toggle"), // not signed in: to /connexion and back
		chromedp.WaitVisible("#signin-email"),
	)
	if err != nil {
		t.Fatalf("reaching the sign-in form: %v", err)
	}
	checkAccessibility(t, ctx, "/connexion, the sign-in form")
	err = chromedp.Do(ctx,
		chromedp.SendKeys("#signin-email", "marie@cress.example"),
		chromedp.SendKeys("#signin-password", password),
		chromedp.Click(`#signin-form button[type="submit"]`),
		chromedp.WaitReady(`#actor-count[data-count="1"]`),
		chromedp.Click(".correction-toggle"),
		chromedp.WaitVisible(`.correction-toggle[aria-pressed="true"]`),
	)
	if err != nil {
		t.Fatalf("signing in: %v", err)
	}
	// One actor: the map is centred on it.
	center, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		const r = document.querySelector('#map').getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(center[0], center[1]),
		chromedp.WaitVisible(".leaflet-marker-icon.leaflet-marker-draggable")); err != nil {
		t.Fatalf("selecting the actor: %v", err)
	}
	checkAccessibility(t, ctx, "/gestion, an actor selected for correction")
	icon, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		const r = document.querySelector('.leaflet-marker-draggable').getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height - 4];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	x, y := icon[0], icon[1]
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonType("left"), chromedp.ClickCount(1))}
	for i := 1; i <= 10; i++ {
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x+float64(12*i), y+float64(8*i), chromedp.ButtonType("left")))
	}
	steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, x+120, y+80, chromedp.ButtonType("left"), chromedp.ClickCount(1)))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("dragging: %v", err)
	}
	// The page says so once the server has the new point.
	saved := `[...document.querySelectorAll("#notices .notice")].some((n) => n.textContent.startsWith("Position de Recyclerie du Marais"))`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](saved, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		notices, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#notices").innerText`))
		t.Fatalf("no saved notice after the drag (notices %q): %v", notices, err)
	}

	var actor struct {
		Location struct {
			Coordinates [2]float64 `json:"coordinates"`
		} `json:"location"`
		Geocoding struct {
			Source string `json:"source"`
		} `json:"geocoding"`
	}
	getJSON(t, url+"/api/actors/"+strconv.FormatInt(id, 10), &actor)
	lon, lat := actor.Location.Coordinates[0], actor.Location.Coordinates[1]
	if actor.Geocoding.Source != "manual" || lon <= -0.4588 || lat >= 46.3239 {
		t.Errorf("after dragging east and south: location %v, source %q; want a manual point east and south of the first",
			actor.Location.Coordinates, actor.Geocoding.Source)
	}
}
