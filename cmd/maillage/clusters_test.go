package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/tiles"
)

// disc is one point of the map's layer state (a cluster disc, or from the
// actor zoom a single actor) with the element drawn at its place.
type disc struct {
	Cluster bool      `json:"cluster"`
	Count   int       `json:"count"`
	Layer   string    `json:"layer"`
	Sectors []string  `json:"sectors"`
	Shares  []int     `json:"shares"`
	Label   string    `json:"label"`
	X, Y, R float64   `json:"-"`
	Pos     []float64 `json:"pos"`
	Box     []float64 `json:"box"` // the drawn element: left, top, width, height in map pixels
	Drawn   int       `json:"drawn"`
	Pane    bool      `json:"pane"`
}

// drawnPoints reads the points in view of the map of the tab of ctx, each
// cluster with the disc elements drawn at its place (Drawn, Box, Label,
// Pane: in the clusters' pane, not on a tile canvas).
func drawnPoints(t *testing.T, ctx context.Context) []disc {
	t.Helper()
	js, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify((() => {
		const m = document.querySelector("#map");
		const mr = m.getBoundingClientRect();
		const els = [...m.querySelectorAll(".cluster-marker")].map((e) => {
			const r = e.getBoundingClientRect();
			return {e, left: r.left - mr.left, top: r.top - mr.top, width: r.width, height: r.height};
		});
		return m.layerState().map((p) => {
			const at = p.cluster ? els.filter((b) => Math.abs(b.left + b.width / 2 - p.x) < 1 && Math.abs(b.top + b.height / 2 - p.y) < 1) : [];
			const b = at[0];
			return {cluster: p.cluster, count: p.count, layer: p.layer, sectors: p.sectors, shares: p.shares,
				label: b ? b.e.getAttribute("aria-label") : "", pos: [p.x, p.y, p.r], drawn: at.length,
				box: b ? [b.left, b.top, b.width, b.height] : [],
				pane: b ? b.e.parentElement.classList.contains("leaflet-clusters-pane") && b.e.closest(".leaflet-tile") === null : false};
		});
	})())`))
	if err != nil {
		t.Fatal(err)
	}
	var ds []disc
	if err := json.Unmarshal([]byte(js), &ds); err != nil {
		t.Fatal(err)
	}
	for i := range ds {
		ds[i].X, ds[i].Y, ds[i].R = ds[i].Pos[0], ds[i].Pos[1], ds[i].Pos[2]
	}
	return ds
}

// TestClusterDiscs reads the cluster discs the map draws over France on
// the demo data, at zooms 5 to 11, from the map's layer state: no two
// discs overlap by more than 4 px, each is drawn once, whole (its element
// is 2r a side at its point, in the clusters' pane, not on a tile canvas),
// with an accessible name, and split by sector. A sector filter keeps only
// its sectors in the discs, drawn from the tiles of those sectors with the
// server's counts, and unticking a sector fetches the tiles again. France
// at zoom 6 goes to out/.
func TestClusterDiscs(t *testing.T) {
	env := map[string]string{"DATABASE_URL": postgistest.NewURL(t), "MAILLAGE_DEMO_DIR": sharedData(t)}
	env["MAILLAGE_BASEMAP_URL"] = tileServer(t).URL + "/{z}/{x}/{y}.png"
	url := startServe(t, env)

	ctx := browserWithin(t, 4*time.Minute)
	watchConsole(t, ctx)

	discsAt := func(t *testing.T, query string, z int) []disc {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"+query)); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.querySelector("#map")?.dataset.clusters === "%d"`, z),
			chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify((() => {
				const m = document.querySelector("#map");
				return {clusters: m?.dataset.clusters, discs: document.querySelectorAll(".cluster-marker").length,
					drawn: m?.layerState?.().length, url: location.href};
			})())`))
			t.Fatalf("%s: the discs of zoom %d: %v (%s)", query, z, err, state)
		}
		return drawnPoints(t, ctx)
	}

	views := []struct {
		name     string
		lat, lon float64
		z        int
	}{
		{"France", 46.6, 2.4, 5},
		{"France", 46.6, 2.4, 6},
		{"Paris", 48.86, 2.35, 7},
		{"Lyon", 45.76, 4.84, 8},
		{"Nantes", 47.22, -1.55, 9},
		{"Lille", 50.63, 3.06, 10},
		{"Marseille", 43.30, 5.37, 11},
	}
	for _, v := range views {
		t.Run(fmt.Sprintf("%s z%d", v.name, v.z), func(t *testing.T) {
			ds := discsAt(t, fmt.Sprintf("?lat=%g&lon=%g&z=%d", v.lat, v.lon, v.z), v.z)
			if len(ds) < 5 {
				t.Fatalf("%d discs in view", len(ds))
			}
			multi := 0
			for i, a := range ds {
				if a.Drawn != 1 || !a.Pane {
					t.Errorf("disc of %d at (%.0f, %.0f) drawn %d times (in the clusters' pane: %v)", a.Count, a.X, a.Y, a.Drawn, a.Pane)
					continue
				}
				// Whole: the element is the disc's square, centred on its point.
				if math.Abs(a.Box[2]-2*a.R) > 1 || math.Abs(a.Box[3]-2*a.R) > 1 {
					t.Errorf("disc of %d at (%.0f, %.0f), radius %.1f: element of %.1f x %.1f", a.Count, a.X, a.Y, a.R, a.Box[2], a.Box[3])
				}
				if a.Label == "" || len(a.Sectors) == 0 || len(a.Sectors) != len(a.Shares) {
					t.Errorf("disc of %d: label %q, sectors %v, shares %v", a.Count, a.Label, a.Sectors, a.Shares)
				}
				if len(a.Sectors) > 1 {
					multi++
				}
				for _, b := range ds[i+1:] {
					if d := math.Hypot(a.X-b.X, a.Y-b.Y); d < a.R+b.R-4-1e-6 {
						t.Errorf("discs of %d at (%.0f, %.0f) and %d at (%.0f, %.0f) overlap by %.1f px",
							a.Count, a.X, a.Y, b.Count, b.X, b.Y, a.R+b.R-d)
					}
				}
			}
			if v.z <= 8 && multi == 0 {
				t.Errorf("no disc split between sectors")
			}
			if v.z == 6 {
				shoot(t, ctx, "france-z6-clusters.png")
			}
		})
	}

	t.Run("sector filter", func(t *testing.T) {
		onlyOf := func(ds []disc, slugs ...string) {
			t.Helper()
			if len(ds) == 0 {
				t.Fatal("no disc")
			}
			for _, d := range ds {
				for _, s := range d.Sectors {
					if !slices.Contains(slugs, s) {
						t.Errorf("disc of %d split into %v with the filter %v", d.Count, d.Sectors, slugs)
					}
				}
			}
		}
		ds := discsAt(t, "?lat=46.6&lon=2.4&z=6&secteurs=culture,reemploi", 6)
		onlyOf(ds, "culture", "reemploi")
		filter := checkDiscCounts(t, ctx, url)
		if filter != "culture,reemploi" && filter != "reemploi,culture" {
			t.Errorf("the discs come from the tiles of sectors=%q, want culture and reemploi", filter)
		}
		// Unticking culture fetches the tiles of reemploi alone.
		if err := chromedp.Do(ctx, chromedp.Click(`.legend input[value="culture"]`)); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => {
			const s = document.querySelector("#map").clusterSource();
			return s !== null && s.filter === "reemploi" && document.querySelector("#map").dataset.clusters === "6";
		})()`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("no discs from the tiles of reemploi after unticking culture: %v", err)
		}
		asked, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`performance.getEntriesByType("resource").map((e) => e.name).filter((n) => n.includes("/tiles/actors/6/"))`))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(asked, func(u string) bool { return strings.HasSuffix(u, ".mvt?sectors=reemploi") }) {
			t.Errorf("after unticking culture, no zoom-6 tile asked with sectors=reemploi: %q", asked)
		}
		if filter := checkDiscCounts(t, ctx, url); filter != "reemploi" {
			t.Errorf("the discs come from the tiles of sectors=%q, want reemploi", filter)
		}
		onlyOf(drawnPoints(t, ctx), "reemploi")
	})

	t.Run("a click on a disc zooms in", func(t *testing.T) {
		ds := discsAt(t, "?lat=46.6&lon=2.4&z=6", 6)
		big := ds[0]
		for _, d := range ds {
			if d.Count > big.Count {
				big = d
			}
		}
		clickDisc(t, ctx, big, 8)
	})
}

// checkDiscCounts checks that the discs drawn (in view or not) count, in
// all and in each sector, the actors of the cluster features the server
// gives for the tiles they were drawn from, asked again here with the
// page's sector filter, whose points lie in the area the page drew.
// Returns the page's filter (the tiles' sectors= value, "" for none).
func checkDiscCounts(t *testing.T, ctx context.Context, base string) string {
	t.Helper()
	js, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(document.querySelector("#map").clusterSource())`))
	if err != nil {
		t.Fatal(err)
	}
	var src struct {
		Z      int        `json:"z"`
		Filter *string    `json:"filter"`
		Bounds [4]float64 `json:"bounds"`
		Tiles  []string   `json:"tiles"`
		Discs  []struct {
			Count int            `json:"count"`
			By    map[string]int `json:"by"`
		} `json:"discs"`
	}
	if err := json.Unmarshal([]byte(js), &src); err != nil {
		t.Fatalf("the discs' source %s: %v", js, err)
	}
	if len(src.Tiles) == 0 || len(src.Discs) == 0 {
		t.Fatalf("discs drawn from %d tiles: %s", len(src.Tiles), js)
	}
	drawn, drawnBy := 0, map[string]int{}
	for _, d := range src.Discs {
		drawn += d.Count
		for s, n := range d.By {
			drawnBy[s] += n
		}
	}
	filter := ""
	if src.Filter != nil {
		filter = *src.Filter
	}
	total, bySector := 0, map[string]int{}
	w, s, e, n := src.Bounds[0], src.Bounds[1], src.Bounds[2], src.Bounds[3]
	for _, key := range src.Tiles {
		var z, x, y int
		if _, err := fmt.Sscanf(key, "%d/%d/%d", &z, &x, &y); err != nil {
			t.Fatalf("tile %q: %v", key, err)
		}
		u := fmt.Sprintf("%s/tiles/actors/%s.mvt", base, key)
		if filter != "" {
			u += "?sectors=" + filter
		}
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || (res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNoContent) {
			t.Fatalf("GET %s: %d, %v", u, res.StatusCode, err)
		}
		if res.StatusCode == http.StatusNoContent {
			continue
		}
		layers, err := mvt.Unmarshal(body)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		for _, l := range layers {
			ext := float64(l.Extent)
			for _, f := range l.Features {
				count, ok := f.Properties["count"].(float64)
				p, isPoint := f.Geometry.(orb.Point)
				if !ok || !isPoint {
					continue
				}
				if _, ok := f.Properties["sets"]; ok {
					t.Errorf("GET %s: a cluster carries sector sets", u)
				}
				// The page's arithmetic (actortiles.js tilePointToLatLng).
				nz := math.Exp2(float64(z))
				lng := (float64(x)+p[0]/ext)/nz*360 - 180
				lat := math.Atan(math.Sinh(math.Pi*(1-2*(float64(y)+p[1]/ext)/nz))) * 180 / math.Pi
				if lng < w || lng > e || lat < s || lat > n {
					continue
				}
				total += int(count)
				list, _ := f.Properties["sectors"].(string)
				for _, entry := range strings.Split(list, ",") {
					slug, k, _ := strings.Cut(entry, ":")
					v, err := strconv.Atoi(k)
					if err != nil {
						t.Fatalf("GET %s: sectors %q", u, list)
					}
					bySector[slug] += v
				}
			}
		}
	}
	if drawn != total || !maps.Equal(drawnBy, bySector) {
		t.Errorf("sectors=%q: the discs count %d actors, %v by sector; the server's clusters %d, %v",
			filter, drawn, drawnBy, total, bySector)
	}
	return filter
}

// clickDisc clicks disc d of the map of the tab of ctx (its point, in map
// pixels) and waits for the map to reach zoom z.
func clickDisc(t *testing.T, ctx context.Context, d disc, z int) {
	t.Helper()
	xy, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector("#map").getBoundingClientRect(); return [r.left, r.top]; })()`))
	if err != nil || len(xy) != 2 {
		t.Fatalf("the map's corner: %v %v", xy, err)
	}
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(xy[0]+d.X, xy[1]+d.Y)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`new URLSearchParams(location.search).get("z") === "%d"`, z),
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the map did not zoom in to %d after a click on the disc of %d: %v", z, d.Count, err)
	}
}

// TestDenseActorTiles opens the map at zoom 12 on the densest zoom-11 cell
// of the demo data, adding actors there when no cell is over the zoom-12
// threshold: the cell's actors come as a cluster in the actor tile and are
// drawn as the cluster discs below the actor zoom (once, whole, in the
// clusters' pane, with an accessible name), beside single actors; a click
// on the disc zooms in by two.
func TestDenseActorTiles(t *testing.T) {
	env := map[string]string{"DATABASE_URL": postgistest.NewURL(t), "MAILLAGE_DEMO_DIR": sharedData(t)}
	env["MAILLAGE_BASEMAP_URL"] = tileServer(t).URL + "/{z}/{x}/{y}.png"
	url := startServe(t, env)

	bg := context.Background()
	db, err := postgis.Open(bg, postgis.Config{URL: env["DATABASE_URL"], NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var col, row, n int
	if err := db.Pool.QueryRow(bg, `SELECT tx * 16 + cx, ty * 16 + cy, n FROM tile_cells WHERE z = 11 ORDER BY n DESC, 1, 2 LIMIT 1`).
		Scan(&col, &row, &n); err != nil {
		t.Fatal(err)
	}
	cell := tiles.Tile{Z: 15, X: col, Y: row}.Bounds()
	center := geo.Point{Lon: (cell.MinLon + cell.MaxLon) / 2, Lat: (cell.MinLat + cell.MaxLat) / 2}
	threshold := postgis.DenseCellThreshold(12)
	t.Logf("densest zoom-11 cell of the demo: %d actors (threshold at zoom 12: %d)", n, threshold)
	if n <= threshold {
		i := 0
		if _, err := postgis.NewActorStore(db).CopyActors(bg, func() *geo.Actor {
			if i++; i > 2*threshold {
				return nil
			}
			p := geo.Point{Lon: cell.MinLon + (cell.MaxLon-cell.MinLon)*float64(i)/float64(2*threshold+1), Lat: center.Lat}
			return &geo.Actor{Name: fmt.Sprint("dense ", i), Sectors: []string{"culture"}, Location: &p,
				Status: geo.StatusPublished, Source: "test", ExternalID: fmt.Sprint("dense-", i)}
		}); err != nil {
			t.Fatal(err)
		}
	}

	ctx := browserWithin(t, 2*time.Minute)
	watchConsole(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/?lat=%.6f&lon=%.6f&z=12", url, center.Lat, center.Lon))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#map")?.dataset.clusters === "12"`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("no discs drawn at zoom 12: %v", err)
	}
	ps := drawnPoints(t, ctx)
	var big *disc
	singles := 0
	for i, p := range ps {
		if !p.Cluster {
			singles++
			continue
		}
		if p.Drawn != 1 || !p.Pane || p.Label == "" || math.Abs(p.Box[2]-2*p.R) > 1 {
			t.Errorf("disc of %d: drawn %d times, in the clusters' pane %v, label %q, box %v for radius %.1f",
				p.Count, p.Drawn, p.Pane, p.Label, p.Box[2:], p.R)
		}
		if p.Count <= threshold {
			t.Errorf("disc of %d actors at zoom 12, threshold %d", p.Count, threshold)
		}
		if big == nil || p.Count > big.Count {
			big = &ps[i]
		}
	}
	if big == nil || singles == 0 {
		t.Fatalf("zoom 12 on the densest cell: %d single actors, disc %v", singles, big)
	}
	shoot(t, ctx, "dense-z12.png")
	clickDisc(t, ctx, *big, 14)
}
