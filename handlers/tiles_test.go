package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb/encoding/mvt"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/synth"
	"github.com/maillage/maillage/tiles"
)

// tilePlaces are real towns the test actors gather around.
var tilePlaces = []synth.Place{
	{Name: "Brest", Point: geo.Point{Lon: -4.486, Lat: 48.390}, Weight: 3},
	{Name: "Niort", Point: geo.Point{Lon: -0.459, Lat: 46.323}, Weight: 2},
	{Name: "Lyon", Point: geo.Point{Lon: 4.835, Lat: 45.764}, Weight: 4},
	{Name: "Marseille", Point: geo.Point{Lon: 5.370, Lat: 43.297}, Weight: 3},
}

// tileServer is a server with tiles, a tile cache kept current by its own
// listener, and a keeper token, on db.
type tileServer struct {
	*testServer
	db    *postgis.DB
	cache *tiles.Cache
}

func newTileServer(t testing.TB, db *postgis.DB, cacheBytes int64) *tileServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	actors, sectors, tokens := postgis.NewActorStore(db), postgis.NewSectorStore(db), postgis.NewTokenStore(db)
	ts, err := postgis.NewTileStore(ctx, db, 4)
	if err != nil {
		t.Fatal(err)
	}
	token, err := tokens.CreateToken(ctx, fmt.Sprintf("keeper-%d", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	cache := tiles.NewCache(cacheBytes)
	watching := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		ts.WatchTiles(ctx, time.Second, func(v int64, ok bool) {
			cache.SetVersion(v, ok)
			if ok {
				select {
				case <-watching:
				default:
					close(watching)
				}
			}
		})
	}()
	<-watching
	srv := httptest.NewServer(handlers.NewServer(slog.New(slog.DiscardHandler), handlers.Deps{
		Actors: actors, Sectors: sectors, Auth: tokens, DB: db,
		Tiles: ts, TileCache: cache, Nearby: actors,
	}, handlers.DefaultOptions()))
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		ts.Close()
	})
	return &tileServer{testServer: &testServer{Server: srv, token: token}, db: db, cache: cache}
}

// seedActors stores n synthetic actors around tilePlaces.
func seedActors(t testing.TB, db *postgis.DB, n int) {
	t.Helper()
	g, err := synth.NewGenerator(synth.Spec{Seed: 7, Places: tilePlaces, SpreadM: 3000})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	_, err = postgis.NewActorStore(db).CopyActors(context.Background(), func() *geo.Actor {
		if i++; i > n {
			return nil
		}
		return g.Next()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// getTile fetches path and decodes the tile it answers.
func getTile(t *testing.T, url string, header http.Header) (*http.Response, mvt.Layers) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp, nil
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.mapbox-vector-tile" {
		t.Errorf("Content-Type = %q", ct)
	}
	layers, err := mvt.Unmarshal(body)
	if err != nil {
		t.Fatalf("GET %s: decoding the tile: %v", url, err)
	}
	return resp, layers
}

func tilePath(tl tiles.Tile) string {
	return fmt.Sprintf("/tiles/actors/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)
}

// countInTile returns the published actors per sector in the envelope of
// tl grown by margin (a fraction of the tile), straight from the actors.
func countInTile(t *testing.T, db *postgis.DB, tl tiles.Tile, margin float64) map[string]int {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), `
		SELECT s.sector_slug, count(*)::int
		FROM actors a JOIN actor_sectors s ON s.actor_id = a.id
		WHERE a.status = 'published'
			AND ST_Intersects(ST_Transform(a.location, 3857), ST_TileEnvelope($1, $2, $3, margin => $4))
		GROUP BY 1`, tl.Z, tl.X, tl.Y, margin)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var slug string
		var n int
		if err := rows.Scan(&slug, &n); err != nil {
			t.Fatal(err)
		}
		out[slug] = n
	}
	return out
}

// countPrimaryInTile counts the published actors of tile tl (with a
// margin, a fraction of the tile) by primary sector: the first by
// position, the layer an actor tile draws it in.
func countPrimaryInTile(t *testing.T, db *postgis.DB, tl tiles.Tile, margin float64) map[string]int {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), `
		SELECT p.slug, count(*)::int
		FROM actors a CROSS JOIN LATERAL (
			SELECT s.sector_slug AS slug FROM actor_sectors s JOIN sectors sec ON sec.slug = s.sector_slug
			WHERE s.actor_id = a.id ORDER BY sec.position, s.sector_slug LIMIT 1) p
		WHERE a.status = 'published'
			AND ST_Intersects(ST_Transform(a.location, 3857), ST_TileEnvelope($1, $2, $3, margin => $4))
		GROUP BY 1`, tl.Z, tl.X, tl.Y, margin)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var slug string
		var n int
		if err := rows.Scan(&slug, &n); err != nil {
			t.Fatal(err)
		}
		out[slug] = n
	}
	return out
}

func TestActorTiles(t *testing.T) {
	db := postgistest.New(t)
	seedActors(t, db, 3000)
	s := newTileServer(t, db, 1<<20)
	lyon := geo.Point{Lon: 4.835, Lat: 45.764}

	for _, z := range []int{0, 3, 5, 8, 11} {
		tl := tiles.Containing(lyon, z)
		t.Run(fmt.Sprintf("clusters z%d", z), func(t *testing.T) {
			resp, layers := getTile(t, s.URL+tilePath(tl), nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			want := countInTile(t, db, tl, 0)
			got, clusters := map[string]int{}, 0
			for _, l := range layers {
				if l.Extent != 4096 {
					t.Errorf("layer %s: extent %d", l.Name, l.Extent)
				}
				for _, f := range l.Features {
					n, ok := f.Properties["count"].(float64)
					list, _ := f.Properties["sectors"].(string)
					if !ok || n < 1 || list == "" {
						t.Fatalf("layer %s: cluster properties %v, want a count and sectors", l.Name, f.Properties)
					}
					for _, e := range strings.Split(list, ",") {
						slug, k, _ := strings.Cut(e, ":")
						v, err := strconv.Atoi(k)
						if err != nil {
							t.Fatalf("sectors %q", list)
						}
						got[slug] += v
					}
					clusters++
				}
			}
			if clusters > 256 {
				t.Errorf("%d clusters, more than the 16 x 16 grid", clusters)
			}
			if len(want) == 0 || !mapsEqual(got, want) {
				t.Errorf("cluster counts by sector = %v, actors in the tile = %v", got, want)
			}
		})
	}

	for _, z := range []int{12, 14, 16} {
		tl := tiles.Containing(lyon, z)
		t.Run(fmt.Sprintf("actors z%d", z), func(t *testing.T) {
			resp, layers := getTile(t, s.URL+tilePath(tl), nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			want := countPrimaryInTile(t, db, tl, float64(tiles.Buffer)/tiles.Extent)
			got := map[string]int{}
			for _, l := range layers {
				for _, f := range l.Features {
					got[l.Name]++
					keys := slices.Sorted(func(yield func(string) bool) {
						for k := range f.Properties {
							if !yield(k) {
								return
							}
						}
					})
					if !slices.Equal(keys, []string{"id", "kind", "name", "sector", "sectors"}) &&
						!slices.Equal(keys, []string{"id", "name", "sector", "sectors"}) {
						t.Fatalf("properties %v", f.Properties)
					}
					if all, _ := f.Properties["sectors"].(string); strings.Split(all, ",")[0] != l.Name {
						t.Fatalf("sectors %v in layer %s: the primary sector first", f.Properties["sectors"], l.Name)
					}
					if f.Properties["sector"] != l.Name || f.ID == nil || f.ID != f.Properties["id"] {
						t.Fatalf("feature id %v, properties %v in layer %s", f.ID, f.Properties, l.Name)
					}
				}
			}
			if len(want) == 0 || !mapsEqual(got, want) {
				t.Errorf("features by sector = %v, actors in the tile = %v", got, want)
			}
		})
	}

	t.Run("sector filter", func(t *testing.T) {
		tl := tiles.Containing(lyon, 8)
		_, layers := getTile(t, s.URL+tilePath(tl)+"?sectors=culture,insertion", nil)
		var names []string
		for _, l := range layers {
			names = append(names, l.Name)
		}
		slices.Sort(names)
		names = slices.Compact(names)
		if len(names) == 0 || slices.ContainsFunc(names, func(n string) bool { return n != "culture" && n != "insertion" }) {
			t.Errorf("layers = %v", names)
		}
		var e apiError
		if code := s.do(t, "GET", tilePath(tl)+"?sectors=culture,nope", nil, false, &e); code != 400 || e.Fields["sectors"] == "" {
			t.Errorf("unknown sector = %d %+v", code, e)
		}
	})

	t.Run("empty", func(t *testing.T) {
		resp, _ := getTile(t, s.URL+tilePath(tiles.Containing(geo.Point{Lon: -30, Lat: 40}, 6)), nil)
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("ocean tile = %d, want 204", resp.StatusCode)
		}
	})

	t.Run("bad tiles", func(t *testing.T) {
		for path, field := range map[string]string{
			"/tiles/actors/a/1/1.mvt":     "z",
			"/tiles/actors/17/1/1.mvt":    "z",
			"/tiles/actors/3/8/1.mvt":     "x",
			"/tiles/actors/3/1/-1.mvt":    "y",
			"/tiles/actors/3/1/1.pbf":     "y",
			"/tiles/actors/3/1/1":         "y",
			"/tiles/actors/3/1/1.mvt?q=a": "q",
		} {
			var e apiError
			if code := s.do(t, "GET", path, nil, false, &e); code != 400 || e.Fields[field] == "" {
				t.Errorf("%s = %d %+v, want 400 naming %s", path, code, e, field)
			}
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestTileJSON(t *testing.T) {
	db := postgistest.New(t)
	seedActors(t, db, 200)
	s := newTileServer(t, db, 1<<20)
	var doc struct {
		TileJSON     string   `json:"tilejson"`
		Tiles        []string `json:"tiles"`
		VectorLayers []struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		} `json:"vector_layers"`
		MinZoom     *int       `json:"minzoom"`
		MaxZoom     int        `json:"maxzoom"`
		Bounds      [4]float64 `json:"bounds"`
		Attribution *string    `json:"attribution"`
	}
	if code := s.do(t, "GET", "/tiles/actors.json", nil, false, &doc); code != 200 {
		t.Fatalf("status %d", code)
	}
	if doc.TileJSON != "3.0.0" || len(doc.Tiles) != 1 || doc.Tiles[0] != s.URL+"/tiles/actors/{z}/{x}/{y}.mvt" ||
		doc.MinZoom == nil || doc.MaxZoom != 16 || doc.Attribution == nil {
		t.Fatalf("TileJSON = %+v", doc)
	}
	if len(doc.VectorLayers) != 15 || doc.VectorLayers[0].ID != "insertion" || doc.VectorLayers[0].Fields["count"] == "" {
		t.Errorf("vector_layers = %+v", doc.VectorLayers)
	}
	// The actors are around Brest, Niort, Lyon and Marseille.
	b := doc.Bounds
	if b[0] > -4.6 || b[0] < -5.5 || b[2] < 5.4 || b[2] > 6 || b[1] > 43.3 || b[1] < 42.5 || b[3] < 48.4 || b[3] > 49.2 {
		t.Errorf("bounds = %v", b)
	}
	if code := s.do(t, "GET", "/tiles/actors.json?sectors=culture", nil, false, &doc); code != 200 ||
		len(doc.VectorLayers) != 1 || !strings.HasSuffix(doc.Tiles[0], ".mvt?sectors=culture") {
		t.Errorf("filtered TileJSON = %d %+v", code, doc)
	}
	var e apiError
	if code := s.do(t, "GET", "/tiles/actors.json?sectors=nope", nil, false, &e); code != 400 || e.Fields["sectors"] == "" {
		t.Errorf("unknown sector = %d %+v", code, e)
	}
}

// TestTileCaching checks ETags, 304 and that a write through one server
// reaches the cached tiles of another server on the same database.
func TestTileCaching(t *testing.T) {
	db := postgistest.New(t)
	seedActors(t, db, 300)
	a, b := newTileServer(t, db, 1<<20), newTileServer(t, db, 1<<20)
	niort := geo.Point{Lon: -0.459, Lat: 46.323}
	z5, z14 := tilePath(tiles.Containing(niort, 5)), tilePath(tiles.Containing(niort, 14))

	resp, layers := getTile(t, b.URL+z5, nil)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || etag == "" || resp.Header.Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("first tile: %d, ETag %q, Cache-Control %q", resp.StatusCode, etag, resp.Header.Get("Cache-Control"))
	}
	before := clusterTotal(layers)
	if n, _ := b.cache.Len(); n != 1 {
		t.Errorf("cache holds %d tiles, want 1", n)
	}
	resp, _ = getTile(t, b.URL+z5, http.Header{"If-None-Match": {etag}})
	if resp.StatusCode != http.StatusNotModified || resp.Header.Get("ETag") != etag {
		t.Errorf("If-None-Match = %d %q, want 304", resp.StatusCode, resp.Header.Get("ETag"))
	}
	if resp, _ := getTile(t, b.URL+z5+"?sectors=culture", nil); resp.Header.Get("ETag") == etag {
		t.Errorf("the sector filter does not change the ETag")
	}
	getTile(t, b.URL+z14, nil)

	// A write through server a: a new actor in Niort.
	actor := map[string]any{"name": "Recyclerie du Marais", "sectors": []string{"reemploi"},
		"location": map[string]any{"type": "Point", "coordinates": []float64{niort.Lon, niort.Lat}}}
	var created actorOut
	if code := a.do(t, "POST", "/api/actors", actor, true, &created); code != 201 {
		t.Fatalf("POST = %d", code)
	}
	var after mvt.Layers
	eventually(t, "server b to show the new actor", func() bool {
		resp, after = getTile(t, b.URL+z5, nil)
		return resp.Header.Get("ETag") != etag && clusterTotal(after) == before+1
	})
	resp, _ = getTile(t, b.URL+z5, http.Header{"If-None-Match": {etag}})
	if resp.StatusCode != 200 {
		t.Errorf("old ETag after a write = %d, want 200", resp.StatusCode)
	}
	_, layers = getTile(t, b.URL+z14, nil)
	if !hasFeature(layers, "reemploi", created.ID) {
		t.Errorf("z14 tile of server b lacks actor %d", created.ID)
	}

	// Unpublishing takes it out of both servers' tiles.
	if code := a.do(t, "PATCH", fmt.Sprintf("/api/actors/%d", created.ID), map[string]any{"status": "draft"}, true, nil); code != 200 {
		t.Fatalf("PATCH = %d", code)
	}
	for _, s := range []*tileServer{a, b} {
		eventually(t, "unpublished actor to leave the tiles", func() bool {
			_, l5 := getTile(t, s.URL+z5, nil)
			_, l14 := getTile(t, s.URL+z14, nil)
			return clusterTotal(l5) == before && !hasFeature(l14, "reemploi", created.ID)
		})
	}
}

func clusterTotal(layers mvt.Layers) int {
	n := 0
	for _, l := range layers {
		for _, f := range l.Features {
			c, _ := f.Properties["count"].(float64)
			n += int(c)
		}
	}
	return n
}

func hasFeature(layers mvt.Layers, layer string, id int64) bool {
	for _, l := range layers {
		for _, f := range l.Features {
			if l.Name == layer && f.Properties["id"] == float64(id) {
				return true
			}
		}
	}
	return false
}

// eventually polls cond for up to 5 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 5 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNearby(t *testing.T) {
	db := postgistest.New(t)
	seedActors(t, db, 500)
	s := newTileServer(t, db, 0)
	var out struct {
		Items []struct {
			actorOut
			DistanceM float64 `json:"distance_m"`
		} `json:"items"`
	}
	if code := s.do(t, "GET", "/api/actors/nearby?lat=48.39&lon=-4.486&limit=20", nil, false, &out); code != 200 {
		t.Fatalf("status %d", code)
	}
	if len(out.Items) != 20 {
		t.Fatalf("%d actors, want 20", len(out.Items))
	}
	ids := make([]int64, len(out.Items))
	for i, it := range out.Items {
		ids[i] = it.ID
		if i > 0 && it.DistanceM < out.Items[i-1].DistanceM {
			t.Errorf("item %d at %.0f m after %.0f m", i, it.DistanceM, out.Items[i-1].DistanceM)
		}
		if it.Email != "" {
			t.Errorf("public nearby shows private fields: %+v", it)
		}
	}
	// The same answer computed without the index, on the spheroid.
	rows, err := db.Pool.Query(context.Background(), `
		SELECT id, ST_Distance(location::geography, ST_Point(-4.486, 48.39, 4326)::geography, false)
		FROM actors WHERE status = 'published' AND location IS NOT NULL
		ORDER BY 2, id LIMIT 20`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for i := 0; rows.Next(); i++ {
		var id int64
		var d float64
		rows.Scan(&id, &d)
		if diff := d - out.Items[i].DistanceM; diff > 0.01 || diff < -0.01 {
			t.Errorf("item %d: %.2f m, want %.2f m (actor %d)", i, out.Items[i].DistanceM, d, id)
		}
	}

	var within struct{ Items []json.RawMessage }
	if s.do(t, "GET", "/api/actors/nearby?lat=48.39&lon=-4.486&limit=100&radius_m=1000&sectors=culture", nil, false, &within); len(within.Items) >= 100 {
		t.Errorf("radius 1 km and one sector: %d actors", len(within.Items))
	}
	if s.do(t, "GET", "/api/actors/nearby?lat=10&lon=-30&radius_m=1000", nil, false, &within); len(within.Items) != 0 {
		t.Errorf("mid-Atlantic: %d actors", len(within.Items))
	}
	for query, field := range map[string]string{
		"lon=-4.486":                            "lat",
		"lat=48.39":                             "lon",
		"lat=91&lon=0":                          "lat",
		"lat=48&lon=181":                        "lon",
		"lat=48&lon=2&limit=0":                  "limit",
		"lat=48&lon=2&limit=101":                "limit",
		"lat=48&lon=2&radius_m=-5":              "radius_m",
		"lat=48&lon=2&radius_m=abc":             "radius_m",
		"lat=48&lon=2&sectors=nope":             "sectors",
		"lat=48&lon=2&bbox=1,2,3,4":             "bbox",
		"lat=quarante-huit&lon=2&radius_m=1000": "lat",
	} {
		var e apiError
		if code := s.do(t, "GET", "/api/actors/nearby?"+query, nil, false, &e); code != 400 || e.Fields[field] == "" {
			t.Errorf("%s = %d %+v, want 400 naming %s", query, code, e, field)
		}
	}
	// "nearby" is not an actor id.
	var e apiError
	if code := s.do(t, "GET", "/api/actors/nearby", nil, false, &e); code != 400 || e.Fields["lat"] == "" {
		t.Errorf("/api/actors/nearby without a point = %d %+v", code, e)
	}
}

// TestNearbyUsesKNNIndex checks the plan of the nearby query: an index
// scan of actors_location_geography ordered by distance, no sort.
func TestNearbyUsesKNNIndex(t *testing.T) {
	db := postgistest.New(t)
	seedActors(t, db, 2000)
	if _, err := db.Pool.Exec(context.Background(), `ANALYZE actors`); err != nil {
		t.Fatal(err)
	}
	args := postgis.NearbyArgs(geo.NearbyQuery{Point: geo.Point{Lon: 4.835, Lat: 45.764}, Limit: 10, RadiusM: 50000})
	rows, _ := db.Pool.Query(context.Background(), `EXPLAIN `+postgis.NearbySQL, args)
	var lines []string
	for rows.Next() {
		var l string
		rows.Scan(&l)
		lines = append(lines, l)
	}
	text := strings.Join(lines, "\n")
	// The Sort of the plan, if any, is the sectors subplan of each row.
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "Limit") ||
		!strings.Contains(lines[1], "Index Scan using actors_location_geography") ||
		!strings.Contains(lines[3], "Order By: ((location)::geography <->") {
		t.Errorf("nearby plan is not a KNN index scan:\n%s", text)
	}
}

// rawGet fetches url with header and no transparent decompression, and
// returns the answer and its body as sent.
func rawGet(t *testing.T, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestTileGzip(t *testing.T) {
	db := postgistest.New(t)
	seedActors(t, db, 300)
	gz := http.Header{"Accept-Encoding": {"gzip, deflate, br"}}
	niort := geo.Point{Lon: -0.459, Lat: 46.323}
	for _, cacheBytes := range []int64{1 << 20, 0} {
		s := newTileServer(t, db, cacheBytes)
		for _, z := range []int{5, 14} {
			path := tilePath(tiles.Containing(niort, z))
			t.Run(fmt.Sprintf("cache %d z%d", cacheBytes, z), func(t *testing.T) {
				// Raw first (the tile is rendered, then cached gzipped),
				// then gzipped (from the cache), then raw again
				// (decompressed from the cache).
				r1, raw := rawGet(t, s.URL+path, nil)
				r2, zipped := rawGet(t, s.URL+path, gz)
				r3, raw2 := rawGet(t, s.URL+path, http.Header{"Accept-Encoding": {"gzip;q=0, identity"}})
				for i, r := range []*http.Response{r1, r2, r3} {
					if r.StatusCode != 200 || !slices.Contains(r.Header.Values("Vary"), "Accept-Encoding") {
						t.Fatalf("answer %d: %d, Vary %q", i+1, r.StatusCode, r.Header.Values("Vary"))
					}
				}
				if ce := r1.Header.Get("Content-Encoding") + r3.Header.Get("Content-Encoding"); ce != "" {
					t.Errorf("Content-Encoding %q to a client that does not accept gzip", ce)
				}
				if r2.Header.Get("Content-Encoding") != "gzip" || len(zipped) < 2 || zipped[0] != 0x1f || zipped[1] != 0x8b {
					t.Fatalf("Content-Encoding %q, body starting %x: not gzip", r2.Header.Get("Content-Encoding"), zipped[:min(2, len(zipped))])
				}
				if len(raw) < 2 || raw[0] == 0x1f && raw[1] == 0x8b || !slices.Equal(raw, raw2) {
					t.Fatalf("raw bodies of %d and %d bytes differ or are gzipped", len(raw), len(raw2))
				}
				if z == 5 && len(zipped) >= len(raw) { // a tile of a few features gains nothing
					t.Errorf("gzipped %d bytes, raw %d", len(zipped), len(raw))
				}
				plain, err := mvt.Unmarshal(raw)
				if err != nil {
					t.Fatal(err)
				}
				unzipped, err := mvt.UnmarshalGzipped(zipped)
				if err != nil {
					t.Fatal(err)
				}
				if a, b := layerSummary(plain), layerSummary(unzipped); a == "" || a != b {
					t.Errorf("raw tile %s, gzipped tile %s", a, b)
				}

				// Each representation has its ETag, and 304 holds for each.
				rawTag, zipTag := r1.Header.Get("ETag"), r2.Header.Get("ETag")
				if rawTag == "" || zipTag == "" || rawTag == zipTag || r3.Header.Get("ETag") != rawTag {
					t.Fatalf("ETags: raw %q, gzip %q, raw again %q", rawTag, zipTag, r3.Header.Get("ETag"))
				}
				for _, c := range []struct {
					inm    string
					accept http.Header
					status int
					etag   string
				}{
					{rawTag, nil, 304, rawTag},
					{zipTag, gz, 304, zipTag},
					{`W/` + zipTag + `, "other"`, gz, 304, zipTag},
					{zipTag, nil, 200, rawTag}, // the client would get other bytes
					{rawTag, gz, 200, zipTag},
				} {
					h := http.Header{"If-None-Match": {c.inm}}
					maps.Copy(h, c.accept)
					r, body := rawGet(t, s.URL+path, h)
					if r.StatusCode != c.status || r.Header.Get("ETag") != c.etag {
						t.Errorf("If-None-Match %s, Accept-Encoding %q: %d ETag %q, want %d %q", c.inm, c.accept.Get("Accept-Encoding"),
							r.StatusCode, r.Header.Get("ETag"), c.status, c.etag)
					}
					if c.status == 200 && (r.Header.Get("Content-Encoding") == "gzip") != (c.accept != nil) {
						t.Errorf("If-None-Match %s: Content-Encoding %q, %d bytes", c.inm, r.Header.Get("Content-Encoding"), len(body))
					}
				}
			})
		}
	}
}

// layerSummary describes layers feature by feature: layer, id, geometry
// and properties, in order.
func layerSummary(layers mvt.Layers) string {
	var b strings.Builder
	for _, l := range layers {
		fmt.Fprintf(&b, "[%s %d]", l.Name, l.Extent)
		for _, f := range l.Features {
			keys := slices.Sorted(maps.Keys(f.Properties))
			fmt.Fprintf(&b, " %v %v", f.ID, f.Geometry)
			for _, k := range keys {
				fmt.Fprintf(&b, " %s=%v", k, f.Properties[k])
			}
		}
	}
	return b.String()
}
