package ogc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/postgistest"
)

type fixture struct {
	url       string
	db        *postgis.DB
	published []int64 // published located actors, in id order
}

// newFixture serves the real router on a fresh database holding actors
// of every status, a published workshop and a draft one.
func newFixture(t *testing.T, edit func(*handlers.Options)) *fixture {
	t.Helper()
	db := postgistest.New(t)
	ctx := context.Background()
	actors := postgis.NewActorStore(db)
	f := &fixture{db: db}
	kinds := []string{"ACI", "EI", "AI", ""}
	for i := range 23 {
		a := &geo.Actor{Name: fmt.Sprintf("Acteur %02d", i), Sectors: []string{"insertion"}, Kind: kinds[i%4],
			Status: geo.StatusPublished, Location: &geo.Point{Lon: -4.5 + float64(i)*0.01, Lat: 48.4},
			SIRET: "", Address: geo.Address{Postcode: "29200", City: "Brest", Citycode: "29019"}}
		switch {
		case i == 3:
			a.Status = geo.StatusDraft
		case i == 5:
			a.Location = nil
		case i == 7:
			a.Sectors = []string{"culture", "insertion"}
		case i == 9:
			a.Name = `</script><script>alert(1)</script>`
			a.Location = &geo.Point{Lon: 2.35, Lat: 48.85}
		}
		if err := actors.CreateActor(ctx, a); err != nil {
			t.Fatal(err)
		}
		if a.Status == geo.StatusPublished && a.Location != nil {
			f.published = append(f.published, a.ID)
		}
	}
	for _, sql := range []string{
		`INSERT INTO workshops (code, title, date, status, published, min_lon, min_lat, max_lon, max_lat, animator_hash)
			VALUES ('ABCDEF', 'Diagnostic de Brest', '2026-05-01', 'closed', true, -5, 48, -4, 49, '\x01'),
				('ABCDEG', 'Brouillon', '2026-05-02', 'draft', false, -5, 48, -4, 49, '\x02')`,
		`INSERT INTO annotations (workshop_id, kind, geom, text, state)
			SELECT w.id, 'atout', ST_SetSRID(ST_MakePoint(-4.48, 48.39), 4326), 'Un atout ' || w.code, s
			FROM workshops w, unnest(ARRAY['visible', 'hidden']) s`,
	} {
		if _, err := db.Pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	opts := handlers.DefaultOptions()
	if edit != nil {
		edit(&opts)
	}
	srv := httptest.NewServer(handlers.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), handlers.Deps{
		Actors: actors, Sectors: postgis.NewSectorStore(db), Auth: postgis.NewTokenStore(db), DB: db,
		Unavailable: postgis.Unavailable, Features: postgis.NewFeatureStore(db)}, opts))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// get returns the status, content type and body of a GET.
func get(t *testing.T, u string, accept string) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

func getJSON(t *testing.T, u string, out any) string {
	t.Helper()
	status, ctype, body := get(t, u, "")
	if status != 200 {
		t.Fatalf("GET %s = %d %s", u, status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %v in %s", u, err, body)
	}
	return ctype
}

type link struct{ Href, Rel, Type string }

type featureCollection struct {
	Type     string `json:"type"`
	Features []struct {
		ID         json.Number            `json:"id"`
		Geometry   *struct{ Type string } `json:"geometry"`
		Properties map[string]any         `json:"properties"`
	} `json:"features"`
	NumberMatched  *int   `json:"numberMatched"`
	NumberReturned int    `json:"numberReturned"`
	Links          []link `json:"links"`
}

func linkOf(links []link, rel string) string {
	for _, l := range links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

func TestOpenAPIValidates(t *testing.T) {
	f := newFixture(t, nil)
	status, ctype, body := get(t, f.url+"/ogc/api", "")
	if status != 200 || !strings.HasPrefix(ctype, "application/vnd.oai.openapi+json") {
		t.Fatalf("GET /ogc/api = %d %s", status, ctype)
	}
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	limit := doc.Components.Parameters["limit"].Value.Schema.Value
	if *limit.Max != 10000 || limit.Default != float64(100) {
		t.Errorf("limit: max %v, default %v", *limit.Max, limit.Default)
	}
	if doc.Paths.Find("/collections/actors/items").Get.Parameters.GetByInAndName("query", "kind") == nil {
		t.Error("the actors' items do not list the queryable kind")
	}
}

func TestLandingConformanceCollections(t *testing.T) {
	f := newFixture(t, func(o *handlers.Options) {
		o.PublicURL, _ = url.Parse("https://carte.example.org/sig")
	})
	var landing struct{ Links []link }
	getJSON(t, f.url+"/ogc", &landing)
	for _, rel := range []string{"self", "service-desc", "conformance", "data"} {
		if h := linkOf(landing.Links, rel); !strings.HasPrefix(h, "https://carte.example.org/sig/ogc") {
			t.Errorf("landing link %s = %q, want it on MAILLAGE_PUBLIC_URL", rel, h)
		}
	}
	var conf struct{ ConformsTo []string }
	getJSON(t, f.url+"/ogc/conformance", &conf)
	for _, c := range []string{"core", "geojson", "oas30", "html"} {
		if !slices.Contains(conf.ConformsTo, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"+c) {
			t.Errorf("conformance misses %s: %v", c, conf.ConformsTo)
		}
	}
	var cols struct {
		Collections []struct {
			ID     string
			Extent *struct{ Spatial struct{ BBox [][4]float64 } }
		}
	}
	getJSON(t, f.url+"/ogc/collections", &cols)
	var ids []string
	for _, c := range cols.Collections {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(ids, []string{"actors", "territories", "coverage", "annotations"}) {
		t.Errorf("collections %v", ids)
	}
	// The extent of actors is computed from the published located ones:
	// Paris (2.35) is the easternmost, -4.5 the westernmost.
	if e := cols.Collections[0].Extent; e == nil || e.Spatial.BBox[0] != [4]float64{-4.5, 48.4, 2.35, 48.85} {
		t.Errorf("actors extent %+v", e)
	}
	if e := cols.Collections[1].Extent; e != nil {
		t.Errorf("territories: no territory, extent %+v", e)
	}
	var q struct {
		Properties map[string]struct{ Type string }
	}
	if ctype := getJSON(t, f.url+"/ogc/collections/actors/queryables", &q); ctype != "application/schema+json" {
		t.Errorf("queryables content type %q", ctype)
	}
	if q.Properties["kind"].Type != "string" || q.Properties["sector"].Type != "string" {
		t.Errorf("queryables %+v", q.Properties)
	}
}

// TestItemsPaging follows next links two features at a time, then prev
// links back: every published located actor once, in id order.
func TestItemsPaging(t *testing.T) {
	f := newFixture(t, nil)
	var got []int64
	next := f.url + "/ogc/collections/actors/items?limit=2"
	var pages []string
	for next != "" {
		var fc featureCollection
		if ctype := getJSON(t, next, &fc); ctype != "application/geo+json" {
			t.Fatalf("content type %q", ctype)
		}
		// numberMatched on the first page only.
		if (len(pages) == 0) != (fc.NumberMatched != nil) || fc.NumberReturned != len(fc.Features) ||
			(fc.NumberMatched != nil && *fc.NumberMatched != len(f.published)) {
			t.Fatalf("page %d: numberMatched %v numberReturned %d of %d", len(pages)+1, fc.NumberMatched, fc.NumberReturned, len(fc.Features))
		}
		for _, ft := range fc.Features {
			id, _ := ft.ID.Int64()
			got = append(got, id)
		}
		pages = append(pages, next)
		next = linkOf(fc.Links, "next")
	}
	if !slices.Equal(got, f.published) {
		t.Fatalf("paged %v, want %v", got, f.published)
	}
	// Back from the last page: each prev link gives the page before.
	var back []int64
	var fc featureCollection
	getJSON(t, pages[len(pages)-1], &fc)
	for prev := linkOf(fc.Links, "prev"); prev != ""; prev = linkOf(fc.Links, "prev") {
		fc = featureCollection{}
		getJSON(t, prev, &fc)
		var ids []int64
		for _, ft := range fc.Features {
			id, _ := ft.ID.Int64()
			ids = append(ids, id)
		}
		back = append(ids, back...)
	}
	want := f.published[:len(f.published)-len(f.published)%2]
	if len(f.published)%2 == 0 {
		want = f.published[:len(f.published)-2]
	}
	if !slices.Equal(back, want) {
		t.Errorf("prev links gave %v, want %v", back, want)
	}
}

func TestItemsFilters(t *testing.T) {
	f := newFixture(t, nil)
	count := func(query string) int {
		var fc featureCollection
		getJSON(t, f.url+"/ogc/collections/actors/items?"+query, &fc)
		if fc.NumberMatched == nil || *fc.NumberMatched != len(fc.Features) {
			t.Errorf("%s: numberMatched %v, %d features", query, fc.NumberMatched, len(fc.Features))
		}
		return len(fc.Features)
	}
	// Actor i has kind ACI, EI, AI or none by i%4, and lies at
	// -4.5+i/100; 3 is a draft, 5 has no point, 9 is in Paris, 7 is also
	// of culture.
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"kind=ACI", 6},
		{"sector=culture", 1},
		{"sector=insertion&kind=EI", 5},
		{"bbox=-4.505,48.3,-4.355,48.5", 12},
		{"bbox=-4.505,48.3,-4.355,48.5&kind=AI", 4},
		{"postcode=29200", len(f.published)},
		{"sector=tiers-lieux", 0},
	} {
		if n := count(tc.query); n != tc.want {
			t.Errorf("%s: %d features, want %d", tc.query, n, tc.want)
		}
	}
	var fc featureCollection
	getJSON(t, f.url+"/ogc/collections/actors/items?properties=name,kind&limit=1", &fc)
	if p := fc.Features[0].Properties; len(p) != 2 || p["name"] == nil || p["kind"] == nil {
		t.Errorf("properties=name,kind gave %v", p)
	}
	fc = featureCollection{}
	getJSON(t, f.url+"/ogc/collections/annotations/items", &fc)
	if len(fc.Features) != 1 || fc.Features[0].Properties["text"] != "Un atout ABCDEF" || fc.Features[0].Geometry.Type != "Point" {
		t.Errorf("annotations: only the visible one of the published workshop, got %+v", fc.Features)
	}
}

func TestItemAndErrors(t *testing.T) {
	f := newFixture(t, nil)
	var one struct {
		ID         int64
		Properties map[string]any
		Links      []link
	}
	getJSON(t, fmt.Sprintf("%s/ogc/collections/actors/items/%d", f.url, f.published[0]), &one)
	if one.ID != f.published[0] || one.Properties["name"] != "Acteur 00" || linkOf(one.Links, "collection") == "" {
		t.Errorf("feature %+v", one)
	}
	var draft int64
	f.db.Pool.QueryRow(context.Background(), `SELECT id FROM actors WHERE status = 'draft'`).Scan(&draft)
	for _, tc := range []struct {
		path   string
		status int
		names  string // in the description
	}{
		{"/ogc/collections/actors/items?bbox=1,2,3", 400, "bbox"},
		{"/ogc/collections/actors/items?bbox=10,2,3,4", 400, "bbox"},
		{"/ogc/collections/actors/items?limit=0", 400, "limit"},
		{"/ogc/collections/actors/items?limit=10001", 400, "limit"},
		{"/ogc/collections/actors/items?limit=abc", 400, "limit"},
		{"/ogc/collections/actors/items?foo=1", 400, "foo"},
		{"/ogc/collections/actors/items?kind=XYZ", 400, "kind"},
		{"/ogc/collections/actors/items?properties=nope", 400, "properties"},
		{"/ogc/collections/actors/items?after=x", 400, "after"},
		{"/ogc/collections/actors/items?f=xml", 400, "f"},
		{"/ogc/collections/actors/items?crs=EPSG:2154", 400, "crs"},
		{"/ogc/collections/annotations/items?workshop=abc", 400, "workshop"},
		{"/ogc/collections?limit=3", 400, "limit"},
		{"/ogc/collections/nope", 404, "nope"},
		{"/ogc/collections/nope/items", 404, "nope"},
		{"/ogc/collections/actors/items/999999", 404, "999999"},
		{"/ogc/collections/actors/items/abc", 404, "abc"},
		{fmt.Sprintf("/ogc/collections/actors/items/%d", draft), 404, "not found"},
		{"/ogc/nowhere", 404, "nowhere"},
	} {
		status, ctype, body := get(t, f.url+tc.path, "")
		var e struct{ Code, Description string }
		if status != tc.status || json.Unmarshal(body, &e) != nil || e.Code == "" ||
			!strings.Contains(e.Description, tc.names) || !strings.HasPrefix(ctype, "application/json") {
			t.Errorf("GET %s = %d %s %s, want %d naming %s", tc.path, status, ctype, body, tc.status, tc.names)
		}
	}
}

func TestHTMLPages(t *testing.T) {
	f := newFixture(t, nil)
	for _, path := range []string{"/ogc", "/ogc/collections", "/ogc/collections/actors", "/ogc/collections/actors/items",
		"/ogc/collections/actors/queryables", "/ogc/conformance", "/ogc/api"} {
		status, ctype, body := get(t, f.url+path, "text/html,application/xhtml+xml")
		if status != 200 || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(string(body), `lang="fr"`) {
			t.Errorf("GET %s (browser) = %d %s", path, status, ctype)
		}
	}
	status, _, body := get(t, f.url+"/ogc/collections/actors/items?f=html&limit=100", "")
	if status != 200 || !strings.Contains(string(body), "Objets") || !strings.Contains(string(body), "Acteur 00") {
		t.Errorf("items page: %d %s", status, body)
	}
	var id int64
	f.db.Pool.QueryRow(context.Background(), `SELECT id FROM actors WHERE name LIKE '</script>%'`).Scan(&id)
	status, _, body = get(t, fmt.Sprintf("%s/ogc/collections/actors/items/%d?f=html", f.url, id), "")
	if status != 200 || strings.Contains(string(body), "<script>") || !strings.Contains(string(body), "&lt;/script&gt;") {
		t.Errorf("item page: %d, the name is not escaped: %s", status, body)
	}
}
