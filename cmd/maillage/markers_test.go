package main

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/maillage/maillage/internal/postgistest"
)

// TestActorMarkersAcrossTileEdges places one actor at zooms 13 to 16 just
// inside a tile, 5.5 px from one of its four edges, so that its marker
// (9 px of radius and its ring) crosses into the neighbouring tile, and
// reads the page's screenshot: every pixel within 7 px of the marker's
// centre, on both sides of the edge, is drawn (none shows the base map),
// the actor is one point of the map's layer state (the neighbour's
// buffered copy is not indexed), and a click on the part across the edge
// opens that actor's card. With a tile buffer of 4 px the neighbour left
// the marker out and its part across the edge was cut.
func TestActorMarkersAcrossTileEdges(t *testing.T) {
	env := map[string]string{"DATABASE_URL": postgistest.NewURL(t)}
	token := runOK(t, env, "token", "create", "cress")
	env["MAILLAGE_BASEMAP_URL"] = tileServer(t).URL + "/{z}/{x}/{y}.png"
	url := startServe(t, env)

	// Each case puts its actor in a tile of its zoom near its own town,
	// 5.5 px inside the named edge, halfway along it.
	const inside = 5.5
	cases := []struct {
		z        int
		edge     string
		lon, lat float64
	}{
		{13, "east", 4.835, 45.764},     // Lyon
		{14, "south", -1.5536, 47.2184}, // Nantes
		{15, "west", 3.0573, 50.6292},   // Lille
		{16, "north", 5.3698, 43.2965},  // Marseille
	}
	type placed struct {
		id       int64
		lon, lat float64
	}
	actors := make([]placed, len(cases))
	for i, c := range cases {
		n := math.Exp2(float64(c.z))
		// World pixels at zoom z (256 a tile) of the town, then of the actor.
		wx := (c.lon + 180) / 360 * n * 256
		r := c.lat * math.Pi / 180
		wy := (1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n * 256
		x0, y0 := math.Floor(wx/256)*256, math.Floor(wy/256)*256
		px, py := x0+128, y0+128
		switch c.edge {
		case "east":
			px = x0 + 256 - inside
		case "west":
			px = x0 + inside
		case "south":
			py = y0 + 256 - inside
		case "north":
			py = y0 + inside
		}
		lon := px/(n*256)*360 - 180
		lat := math.Atan(math.Sinh(math.Pi*(1-2*py/(n*256)))) * 180 / math.Pi
		name := fmt.Sprintf("Au bord %s z%d", c.edge, c.z)
		actors[i] = placed{
			id: postActor(t, url, token, map[string]any{
				"name": name, "sectors": []string{"culture"},
				"location": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}},
			}),
			lon: lon, lat: lat,
		}
	}

	ctx := browserWithin(t, 3*time.Minute)
	watchConsole(t, ctx)
	for i, c := range cases {
		a := actors[i]
		t.Run(fmt.Sprintf("z%d %s edge", c.z, c.edge), func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/?lat=%.7f&lon=%.7f&z=%d", url, a.lat, a.lon, c.z)),
				chromedp.WaitVisible("#actor-count[data-count]")); err != nil {
				t.Fatal(err)
			}
			// The actor in the layer state, and every tile (base map and actors) drawn.
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`(() => {
				const m = document.querySelector("#map");
				return m.layerState().some((p) => p.id === %d) &&
					m.querySelectorAll(".leaflet-overlay-pane canvas.leaflet-tile").length > 0 &&
					m.querySelectorAll(".leaflet-tile:not(.leaflet-tile-loaded)").length === 0;
			})()`, a.id), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
				t.Fatalf("waiting for the actor's tiles: %v", err)
			}
			// Its centre and radius in the page, and the edge of the tile
			// canvas under its centre that it crosses, from the page.
			var geom struct {
				Points        int
				X, Y, R, Edge float64
			}
			js := fmt.Sprintf(`(() => {
				const m = document.querySelector("#map"), box = m.getBoundingClientRect();
				const ps = m.layerState().filter((p) => p.id === %d);
				const x = box.left + ps[0].x, y = box.top + ps[0].y;
				const tile = [...m.querySelectorAll(".leaflet-overlay-pane canvas.leaflet-tile")].map((c) => c.getBoundingClientRect())
					.find((b) => b.left <= x && x < b.right && b.top <= y && y < b.bottom);
				const edge = tile ? {east: tile.right, west: tile.left, south: tile.bottom, north: tile.top}[%q] : NaN;
				return {points: ps.length, x, y, r: ps[0].r, edge};
			})()`, a.id, c.edge)
			raw, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](js))
			if err != nil {
				t.Fatal(err)
			}
			geom.Points, geom.X, geom.Y, geom.R, geom.Edge = int(raw["points"]), raw["x"], raw["y"], raw["r"], raw["edge"]
			if geom.Points != 1 {
				t.Errorf("the actor is %d points of the layer state, want 1", geom.Points)
			}
			// The marker straddles the edge: its centre is within its radius of it.
			centre := geom.X
			if c.edge == "north" || c.edge == "south" {
				centre = geom.Y
			}
			if d := math.Abs(geom.Edge - centre); math.IsNaN(d) || d < 4 || d > geom.R-2 {
				t.Fatalf("the marker's centre is %.1f px from the tile's %s edge, want between 4 and %.0f px", d, c.edge, geom.R-2)
			}

			shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("marker-edge-z%d.png", c.z)
			if err := os.WriteFile(filepath.Join(outDir(t), name), shot, 0o644); err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(shot))
			if err != nil {
				t.Fatal(err)
			}
			// 24 px off the marker on both sides, along the edge, the base
			// map shows: that colour is the background.
			ax, ay, bx, by := int(geom.X), int(geom.Y)+24, int(geom.X), int(geom.Y)-24
			if c.edge == "north" || c.edge == "south" {
				ax, ay, bx, by = int(geom.X)+24, int(geom.Y), int(geom.X)-24, int(geom.Y)
			}
			bg := img.At(ax, ay)
			basemap := func(x, y int) bool {
				r, g, b, _ := img.At(x, y).RGBA()
				r0, g0, b0, _ := bg.RGBA()
				near := func(v, w uint32) bool { return math.Abs(float64(v>>8)-float64(w>>8)) <= 6 }
				return near(r, r0) && near(g, g0) && near(b, b0)
			}
			if !basemap(bx, by) {
				t.Fatalf("the base map is not one colour around the marker: %v at (%d, %d), %v at (%d, %d) (%s)",
					bg, ax, ay, img.At(bx, by), bx, by, name)
			}
			var cut, cutAcross, beyond int
			for y := int(geom.Y) - 8; y <= int(geom.Y)+8; y++ {
				for x := int(geom.X) - 8; x <= int(geom.X)+8; x++ {
					if math.Hypot(float64(x)+0.5-geom.X, float64(y)+0.5-geom.Y) > 7 {
						continue
					}
					across := map[string]bool{
						"east": float64(x) >= geom.Edge, "west": float64(x) < geom.Edge,
						"south": float64(y) >= geom.Edge, "north": float64(y) < geom.Edge,
					}[c.edge]
					if across {
						beyond++
					}
					if basemap(x, y) {
						cut++
						if across {
							cutAcross++
						}
					}
				}
			}
			if beyond == 0 {
				t.Fatalf("no pixel of the marker across the %s edge", c.edge)
			}
			if cut > 0 {
				t.Errorf("%d pixels within 7 px of the marker's centre show the base map (%d of them lie across the tile's %s edge): the marker is cut (%s)",
					cut, cutAcross, c.edge, name)
			}

			// A click on its part across the edge opens this one actor.
			cx, cy := geom.X, geom.Y
			switch c.edge {
			case "east":
				cx = geom.Edge + 2
			case "west":
				cx = geom.Edge - 2
			case "south":
				cy = geom.Edge + 2
			case "north":
				cy = geom.Edge - 2
			}
			if err := chromedp.Do(ctx, chromedp.MouseClickXY(cx, cy)); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(
				`location.pathname.endsWith("/acteurs/%d") && document.querySelector(".actor-card") !== null`, a.id),
				chromedp.WithPollingTimeout(10*time.Second))); err != nil {
				t.Fatalf("a click across the edge did not open the actor's card: %v", err)
			}
			if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#details .place-list__item").length`)); err != nil || n != 0 {
				t.Errorf("the click opened a list of %d actors (%v), want the one actor", n, err)
			}
		})
	}
}
