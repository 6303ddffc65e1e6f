package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/postgistest"
)

// workshopDB is a fresh database with a keeper token, on which tests start
// one or more servers, as several `maillage serve` processes would.
type workshopDB struct {
	db     *postgis.DB
	keeper string
}

func newWorkshopDB(t *testing.T) *workshopDB {
	t.Helper()
	db := postgistest.New(t)
	token, err := postgis.NewTokenStore(db).CreateToken(context.Background(), "test-keeper")
	if err != nil {
		t.Fatal(err)
	}
	return &workshopDB{db: db, keeper: token}
}

// server starts the real router on the database with a workshop hub of
// its own (its own LISTEN connection). stop ends the hub, which ends the
// event streams, then the HTTP server; it runs at cleanup too.
func (d *workshopDB) server(t *testing.T, edit func(*handlers.Options)) (srv *httptest.Server, stop func()) {
	t.Helper()
	hub := postgis.NewWorkshopHub(d.db, nil, 64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(ctx, time.Second) }()
	opts := handlers.DefaultOptions()
	if edit != nil {
		edit(&opts)
	}
	actors, sectors, tokens := postgis.NewActorStore(d.db), postgis.NewSectorStore(d.db), postgis.NewTokenStore(d.db)
	h := handlers.NewServer(slog.New(slog.DiscardHandler), handlers.Deps{Actors: actors, Sectors: sectors, Auth: tokens,
		DB: d.db, Workshops: postgis.NewWorkshopStore(d.db), WorkshopEvents: hub, Territories: postgis.NewTerritoryStore(d.db)}, opts)
	srv = httptest.NewServer(h)
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-done
		srv.Close()
	}
	t.Cleanup(stop)
	return srv, stop
}

// call sends a JSON request with token (none when empty) and decodes the
// answer into out when not nil. It returns the status.
func call(t *testing.T, base, method, path, token string, body any, out any) int {
	t.Helper()
	status, data := callRaw(t, base, method, path, token, body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, status, data, err)
		}
	}
	return status
}

func callRaw(t *testing.T, base, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, base+path, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

type workshopOut struct {
	ID             int64          `json:"id"`
	Code           string         `json:"code"`
	Title          string         `json:"title"`
	Date           string         `json:"date"`
	Status         string         `json:"status"`
	Published      bool           `json:"published"`
	BBox           []float64      `json:"bbox"`
	Zone           map[string]any `json:"zone"`
	Sectors        []string       `json:"sectors"`
	Kinds          []kindOut      `json:"kinds"`
	Counts         map[string]int `json:"counts"`
	View           map[string]any `json:"view"`
	Role           string         `json:"role"`
	LastEventID    int64          `json:"last_event_id"`
	AnimatorSecret string         `json:"animator_secret"`
	AnimatorURL    string         `json:"animator_url"`
}

type kindOut struct {
	Slug, Label, Color, Icon string
	Position                 int
}

type annotationOut struct {
	ID         int64           `json:"id"`
	WorkshopID int64           `json:"workshop_id"`
	Kind       string          `json:"kind"`
	Geometry   json.RawMessage `json:"geometry"`
	Text       string          `json:"text"`
	AuthorName string          `json:"author_name"`
	Sector     *string         `json:"sector"`
	ActorID    *int64          `json:"actor_id"`
	ActorName  *string         `json:"actor_name"`
	Votes      int             `json:"votes"`
	Voted      bool            `json:"voted"`
	State      string          `json:"state"`
	Pinned     bool            `json:"pinned"`
	Mine       bool            `json:"mine"`
}

// niortZone is a zone around Niort.
var niortZone = map[string]any{"type": "Polygon", "coordinates": [][][]float64{
	{{-0.52, 46.29}, {-0.40, 46.29}, {-0.40, 46.35}, {-0.52, 46.35}, {-0.52, 46.29}}}}

// workshopFixture is an open workshop with its animator secret and two
// participants.
type workshopFixture struct {
	workshopOut
	secret string
	alice  string // participant tokens
	bob    string
}

func newWorkshop(t *testing.T, base, keeper string, open bool) workshopFixture {
	t.Helper()
	var w workshopOut
	status := call(t, base, "POST", "/api/workshops", keeper, map[string]any{
		"title": "Diagnostic ESS du Niortais", "description": "Atelier CRESS", "date": "2026-12-10",
		"zone": niortZone, "sectors": []string{"insertion", "reemploi"}}, &w)
	if status != 201 {
		t.Fatalf("create workshop = %d", status)
	}
	f := workshopFixture{workshopOut: w, secret: w.AnimatorSecret}
	if open {
		if status := call(t, base, "PATCH", fmt.Sprintf("/api/workshops/%d", w.ID), f.secret, map[string]any{"status": "open"}, nil); status != 200 {
			t.Fatalf("open = %d", status)
		}
	}
	f.alice, f.bob = join(t, base, w.Code), join(t, base, w.Code)
	return f
}

func join(t *testing.T, base, code string) string {
	t.Helper()
	var out struct {
		Token    string      `json:"token"`
		Workshop workshopOut `json:"workshop"`
	}
	if status := call(t, base, "POST", "/api/workshops/join", "", map[string]string{"code": code}, &out); status != 200 {
		t.Fatalf("join %s = %d", code, status)
	}
	if !strings.HasPrefix(out.Token, "wsp_") || out.Workshop.Role != "participant" {
		t.Fatalf("join = %+v", out)
	}
	return out.Token
}

func point(lon, lat float64) map[string]any {
	return map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}
}

func (f workshopFixture) path(format string, args ...any) string {
	return fmt.Sprintf("/api/workshops/%d", f.ID) + fmt.Sprintf(format, args...)
}

// count returns the number of rows of table (annotations, workshop_events,
// annotation_votes) of the fixture's workshop.
func (d *workshopDB) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := d.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWorkshopCreateAndJoin(t *testing.T) {
	d := newWorkshopDB(t)
	srv, _ := d.server(t, nil)
	f := newWorkshop(t, srv.URL, d.keeper, false)

	if len(f.Code) != 6 || strings.ContainsAny(f.Code, "0O1IL") {
		t.Errorf("code %q", f.Code)
	}
	if !strings.HasPrefix(f.secret, "wsa_") || f.AnimatorURL != "/ateliers/"+f.Code+"/projection#secret="+f.secret {
		t.Errorf("secret %q, url %q", f.secret, f.AnimatorURL)
	}
	if f.Status != "draft" || f.Date != "2026-12-10" || f.Zone["type"] != "Polygon" {
		t.Errorf("workshop %+v", f.workshopOut)
	}
	if want := []float64{-0.52, 46.29, -0.40, 46.35}; fmt.Sprint(f.BBox) != fmt.Sprint(want) {
		t.Errorf("bbox %v, want the zone's bounds %v", f.BBox, want)
	}
	if len(f.Kinds) != 4 || f.Kinds[0].Slug != "atout" || f.Kinds[0].Label != "Atout / ressource" ||
		f.Kinds[3].Label != "Idée / piste d'action" {
		t.Errorf("kinds %+v", f.Kinds)
	}
	if fmt.Sprint(f.Sectors) != "[insertion reemploi]" {
		t.Errorf("sectors %v", f.Sectors)
	}
	// Only hashes are stored.
	if n := d.count(t, `SELECT count(*) FROM workshops WHERE position($1::bytea in animator_hash) > 0`, []byte(f.secret)); n != 0 {
		t.Error("the animator secret is stored in clear")
	}

	var w workshopOut
	for token, role := range map[string]string{d.keeper: "keeper", f.secret: "animator", f.alice: "participant"} {
		if status := call(t, srv.URL, "GET", f.path(""), token, nil, &w); status != 200 || w.Role != role {
			t.Errorf("GET as %s = %d, role %q", role, status, w.Role)
		}
	}
	if status := call(t, srv.URL, "GET", f.path(""), "", nil, nil); status != 401 {
		t.Errorf("GET unpublished as the public = %d, want 401", status)
	}
	// Codes are read in any case, with spaces.
	join(t, srv.URL, strings.ToLower(f.Code[:3])+" "+f.Code[3:])

	// A workshop renames a kind and adds one.
	status := call(t, srv.URL, "PATCH", f.path(""), f.secret, map[string]any{"kinds": []map[string]any{
		{"slug": "besoin", "label": "Besoin repéré", "color": "#ef6c00", "icon": "✋", "position": 3},
		{"slug": "question", "label": "Question", "color": "#6a1b9a", "icon": "?", "position": 5}}}, &w)
	if status != 200 || len(w.Kinds) != 5 || w.Kinds[2].Label != "Besoin repéré" || w.Kinds[4].Slug != "question" {
		t.Errorf("PATCH kinds = %d %+v", status, w.Kinds)
	}
	var other workshopOut
	call(t, srv.URL, "POST", "/api/workshops", d.keeper, map[string]any{"title": "Autre", "date": "2026-12-11",
		"bbox": []float64{-1, 46, 0, 47}}, &other)
	if len(other.Kinds) != 4 || other.Kinds[2].Label != "Besoin" {
		t.Errorf("another workshop's kinds changed: %+v", other.Kinds)
	}

	var list struct {
		Items []workshopOut `json:"items"`
		Total int           `json:"total"`
	}
	if status := call(t, srv.URL, "GET", "/api/workshops", d.keeper, nil, &list); status != 200 || list.Total != 2 {
		t.Errorf("list = %d %+v", status, list)
	}
	if status := call(t, srv.URL, "GET", "/api/workshops", f.secret, nil, nil); status != 401 {
		t.Errorf("list with an animator secret = %d, want 401", status)
	}
}

func TestWorkshopBadInput(t *testing.T) {
	d := newWorkshopDB(t)
	srv, _ := d.server(t, nil)
	for _, tt := range []struct {
		name  string
		body  string
		field string
	}{
		{"no title", `{"date": "2026-12-10", "bbox": [-1, 46, 0, 47]}`, "title"},
		{"bad date", `{"title": "A", "date": "10/12/2026", "bbox": [-1, 46, 0, 47]}`, "date"},
		{"no territory", `{"title": "A", "date": "2026-12-10"}`, "bbox"},
		{"bow-tie zone", `{"title": "A", "date": "2026-12-10", "zone": {"type": "Polygon", "coordinates": [[[0,0],[1,1],[1,0],[0,1],[0,0]]]}}`, "zone"},
		{"unknown sector", `{"title": "A", "date": "2026-12-10", "bbox": [-1, 46, 0, 47], "sectors": ["nope"]}`, "sectors"},
		{"unknown field", `{"title": "A", "date": "2026-12-10", "bbox": [-1, 46, 0, 47], "colour": "red"}`, "colour"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var e apiError
			if status := call(t, srv.URL, "POST", "/api/workshops", d.keeper, tt.body, &e); status != 400 || e.Fields[tt.field] == "" {
				t.Errorf("= %d %+v, want 400 naming %s", status, e, tt.field)
			}
		})
	}
	if n := d.count(t, `SELECT count(*) FROM workshops`); n != 0 {
		t.Errorf("%d workshops stored", n)
	}
	if status := call(t, srv.URL, "POST", "/api/workshops", "", `{"title": "A", "date": "2026-12-10", "bbox": [-1, 46, 0, 47]}`, nil); status != 401 {
		t.Errorf("create without a token = %d", status)
	}
}

// lineOf returns a LineString of n positions.
func lineOf(n int) map[string]any {
	coords := make([][]float64, n)
	for i := range coords {
		coords[i] = []float64{-0.46 + float64(i)*1e-6, 46.32 + float64(i%2)*1e-6}
	}
	return map[string]any{"type": "LineString", "coordinates": coords}
}

func TestAnnotationBadInput(t *testing.T) {
	d := newWorkshopDB(t)
	srv, _ := d.server(t, nil)
	f := newWorkshop(t, srv.URL, d.keeper, true)
	good := func(edit func(map[string]any)) map[string]any {
		b := map[string]any{"kind": "besoin", "geometry": point(-0.46, 46.32), "text": "Pas de bus le soir"}
		edit(b)
		return b
	}
	for _, tt := range []struct {
		name   string
		body   any
		field  string
		reason string
	}{
		{"unknown kind", good(func(b map[string]any) { b["kind"] = "menace" }), "kind", "unknown kind; this workshop's kinds: atout, besoin, faiblesse, idee"},
		{"empty text", good(func(b map[string]any) { b["text"] = "" }), "text", "required"},
		{"blank text", good(func(b map[string]any) { b["text"] = "  \n " }), "text", "required"},
		{"text too long", good(func(b map[string]any) { b["text"] = strings.Repeat("é", 1001) }), "text", "too long: 1001 characters, at most 1000"},
		{"bow-tie polygon", good(func(b map[string]any) {
			b["geometry"] = map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}}
		}), "geometry", "self-intersection"},
		{"10,000-vertex line", good(func(b map[string]any) { b["geometry"] = lineOf(10000) }), "geometry", "too many vertices: 10000, at most 2000"},
		{"coordinates out of range", good(func(b map[string]any) { b["geometry"] = point(-0.46, 95) }), "geometry", "coordinates out of range"},
		{"point where a zone was declared", good(func(b map[string]any) {
			b["geometry"] = map[string]any{"type": "Polygon", "coordinates": []float64{-0.46, 46.32}}
		}), "geometry", "a Polygon's coordinates are a list of closed rings"},
		{"hole outside its shell (PostGIS)", good(func(b map[string]any) {
			b["geometry"] = map[string]any{"type": "Polygon", "coordinates": [][][]float64{
				{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}, {{2, 2}, {3, 2}, {3, 3}, {2, 3}, {2, 2}}}}
		}), "geometry", "not a valid geometry: Hole lies outside shell"},
		{"multipolygon", good(func(b map[string]any) {
			b["geometry"] = map[string]any{"type": "MultiPoint", "coordinates": [][]float64{{0, 0}}}
		}), "geometry", "not accepted here"},
		{"unknown sector", good(func(b map[string]any) { b["sector"] = "nope" }), "sector", "unknown sector"},
		{"unknown actor", good(func(b map[string]any) { b["actor_id"] = 999999 }), "actor_id", "no published actor"},
		{"no geometry", good(func(b map[string]any) { delete(b, "geometry") }), "geometry", "required"},
		{"state on creation", good(func(b map[string]any) { b["state"] = "hidden" }), "state", "animator"},
		{"unknown field", good(func(b map[string]any) { b["color"] = "red" }), "color", "unknown field"},
		{"author too long", good(func(b map[string]any) { b["author_name"] = strings.Repeat("a", 81) }), "author_name", "at most 80"},
		{"not an object", "[1, 2]", "body", "not a JSON object"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var e apiError
			status := call(t, srv.URL, "POST", f.path("/annotations"), f.alice, tt.body, &e)
			if status != 400 || !strings.Contains(e.Fields[tt.field], tt.reason) {
				t.Errorf("= %d %+v, want 400 with %s: %q", status, e, tt.field, tt.reason)
			}
		})
	}
	if n := d.count(t, `SELECT count(*) FROM annotations`); n != 0 {
		t.Errorf("%d annotations stored", n)
	}
	if n := d.count(t, `SELECT count(*) FROM workshop_events WHERE name LIKE 'annotation%'`); n != 0 {
		t.Errorf("%d annotation events stored", n)
	}

	// The same checks on PATCH, which leaves the annotation as it was.
	var a annotationOut
	if status := call(t, srv.URL, "POST", f.path("/annotations"), f.alice, good(func(map[string]any) {}), &a); status != 201 {
		t.Fatalf("POST = %d", status)
	}
	events := d.count(t, `SELECT count(*) FROM workshop_events`)
	for _, body := range []map[string]any{
		{"kind": "menace"}, {"text": ""}, {"geometry": lineOf(10000)},
		{"geometry": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}}},
	} {
		if status := call(t, srv.URL, "PATCH", f.path("/annotations/%d", a.ID), f.alice, body, nil); status != 400 {
			t.Errorf("PATCH %v = %d, want 400", body, status)
		}
	}
	var got annotationOut
	call(t, srv.URL, "GET", f.path("/annotations/%d", a.ID), f.alice, nil, &got)
	if got.Kind != "besoin" || got.Text != "Pas de bus le soir" || string(got.Geometry) != `{"type":"Point","coordinates":[-0.46,46.32]}` {
		t.Errorf("after bad PATCHes: %+v", got)
	}
	if n := d.count(t, `SELECT count(*) FROM workshop_events`); n != events {
		t.Errorf("bad PATCHes stored %d events", n-events)
	}
}

// TestAnnotationGeometryRoundTrip stores a zone with a hole and a line
// through EWKB and reads them back unchanged.
func TestAnnotationGeometryRoundTrip(t *testing.T) {
	d := newWorkshopDB(t)
	srv, _ := d.server(t, nil)
	f := newWorkshop(t, srv.URL, d.keeper, true)
	for _, g := range []string{
		`{"type":"Polygon","coordinates":[[[-0.47,46.31],[-0.44,46.31],[-0.44,46.33],[-0.47,46.33],[-0.47,46.31]],[[-0.46,46.315],[-0.46,46.32],[-0.45,46.32],[-0.45,46.315],[-0.46,46.315]]]}`,
		`{"type":"LineString","coordinates":[[-0.4612345678901,46.3212345678901],[-0.45,46.33],[-0.44,46.32]]}`,
	} {
		var a annotationOut
		body := `{"kind": "idee", "text": "Une voie verte", "geometry": ` + g + `}`
		if status := call(t, srv.URL, "POST", f.path("/annotations"), f.alice, body, &a); status != 201 {
			t.Fatalf("POST = %d", status)
		}
		var got annotationOut
		call(t, srv.URL, "GET", f.path("/annotations/%d", a.ID), f.bob, nil, &got)
		if string(got.Geometry) != g {
			t.Errorf("geometry read back\n%s\nwant\n%s", got.Geometry, g)
		}
		var srid int
		var typ string
		err := d.db.Pool.QueryRow(context.Background(), `SELECT ST_SRID(geom), GeometryType(geom) FROM annotations WHERE id = $1`, a.ID).Scan(&srid, &typ)
		if err != nil || srid != 4326 {
			t.Errorf("stored SRID %d %s %v", srid, typ, err)
		}
	}
}

func TestAnnotationRights(t *testing.T) {
	d := newWorkshopDB(t)
	srv, _ := d.server(t, nil)
	f := newWorkshop(t, srv.URL, d.keeper, false)
	body := map[string]any{"kind": "besoin", "geometry": point(-0.46, 46.32), "text": "Pas de bus le soir", "author_name": "Léa"}

	var e apiError
	if status := call(t, srv.URL, "POST", f.path("/annotations"), f.alice, body, &e); status != 409 || !strings.Contains(e.Error, "not started") {
		t.Errorf("POST to a draft = %d %+v, want 409", status, e)
	}
	call(t, srv.URL, "PATCH", f.path(""), f.secret, map[string]any{"status": "open"}, nil)

	var a annotationOut
	if status := call(t, srv.URL, "POST", f.path("/annotations"), f.alice, body, &a); status != 201 || !a.Mine || a.AuthorName != "Léa" || a.State != "visible" {
		t.Fatalf("POST = %d %+v", status, a)
	}
	// Another participant: 403, for changes, moderation and deletion.
	for _, req := range []struct {
		method string
		body   any
	}{{"PATCH", map[string]any{"text": "Changé"}}, {"PATCH", map[string]any{"state": "hidden"}}, {"DELETE", nil}} {
		if status := call(t, srv.URL, req.method, f.path("/annotations/%d", a.ID), f.bob, req.body, nil); status != 403 {
			t.Errorf("%s by another participant = %d, want 403", req.method, status)
		}
	}
	// The author cannot moderate.
	if status := call(t, srv.URL, "PATCH", f.path("/annotations/%d", a.ID), f.alice, map[string]any{"pinned": true}, nil); status != 403 {
		t.Errorf("author pinning = %d, want 403", status)
	}
	// Wrong tokens: 401, whether unknown or another workshop's.
	g := newWorkshop(t, srv.URL, d.keeper, true)
	for name, token := range map[string]string{"unknown": "wsp_nope", "other workshop's participant": g.alice,
		"other workshop's animator": g.secret, "unknown keeper": "mlg_nope"} {
		if status := call(t, srv.URL, "PATCH", f.path("/annotations/%d", a.ID), token, map[string]any{"text": "Changé"}, nil); status != 401 {
			t.Errorf("PATCH with an %s token = %d, want 401", name, status)
		}
		if status := call(t, srv.URL, "POST", f.path("/annotations"), token, body, nil); status != 401 {
			t.Errorf("POST with an %s token = %d, want 401", name, status)
		}
	}
	if status := call(t, srv.URL, "POST", f.path("/annotations"), "", body, nil); status != 401 {
		t.Errorf("POST without a token = %d, want 401", status)
	}
	// The author edits; the animator hides and pins; then the hidden one
	// is out of the other participants' sight.
	var got annotationOut
	if status := call(t, srv.URL, "PATCH", f.path("/annotations/%d", a.ID), f.alice, map[string]any{"text": "Pas de bus après 19 h"}, &got); status != 200 || got.Text != "Pas de bus après 19 h" {
		t.Errorf("author PATCH = %d %+v", status, got)
	}
	if status := call(t, srv.URL, "PATCH", f.path("/annotations/%d", a.ID), f.secret, map[string]any{"state": "hidden", "pinned": true}, &got); status != 200 || got.State != "hidden" || !got.Pinned {
		t.Errorf("animator PATCH = %d %+v", status, got)
	}
	if status := call(t, srv.URL, "GET", f.path("/annotations/%d", a.ID), f.bob, nil, nil); status != 404 {
		t.Errorf("hidden annotation for another participant = %d, want 404", status)
	}
	var list struct {
		Items []annotationOut `json:"items"`
		Total int             `json:"total"`
	}
	for token, want := range map[string]int{f.bob: 0, f.alice: 1, f.secret: 1, d.keeper: 1} {
		call(t, srv.URL, "GET", f.path("/annotations"), token, nil, &list)
		if list.Total != want || len(list.Items) != want {
			t.Errorf("list: %d annotations, want %d", list.Total, want)
		}
	}
	call(t, srv.URL, "PATCH", f.path("/annotations/%d", a.ID), f.secret, map[string]any{"state": "visible"}, nil)

	// Closed: 409 for every write, and nothing changes.
	var w workshopOut
	if status := call(t, srv.URL, "PATCH", f.path(""), f.secret, map[string]any{"status": "closed"}, &w); status != 200 || w.Status != "closed" {
		t.Fatalf("close = %d", status)
	}
	events := d.count(t, `SELECT count(*) FROM workshop_events`)
	for _, req := range []struct {
		method, path, token string
		body                any
	}{
		{"POST", f.path("/annotations"), f.alice, body},
		{"POST", f.path("/annotations"), f.secret, body},
		{"PATCH", f.path("/annotations/%d", a.ID), f.alice, map[string]any{"text": "Après fermeture"}},
		{"PATCH", f.path("/annotations/%d", a.ID), f.secret, map[string]any{"state": "hidden"}},
		{"DELETE", f.path("/annotations/%d", a.ID), f.alice, nil},
		{"PUT", f.path("/annotations/%d/vote", a.ID), f.bob, nil},
		{"PUT", f.path("/view"), f.secret, map[string]any{"center": []float64{-0.46, 46.32}, "zoom": 14}},
	} {
		var e apiError
		if status := call(t, srv.URL, req.method, req.path, req.token, req.body, &e); status != 409 || !strings.Contains(e.Error, "closed") {
			t.Errorf("%s %s on a closed workshop = %d %+v, want 409", req.method, req.path, status, e)
		}
	}
	call(t, srv.URL, "GET", f.path("/annotations/%d", a.ID), f.alice, nil, &got)
	if got.Text != "Pas de bus après 19 h" || got.State != "visible" || got.Votes != 0 {
		t.Errorf("closed workshop's annotation changed: %+v", got)
	}
	if n := d.count(t, `SELECT count(*) FROM annotations`); n != 1 {
		t.Errorf("%d annotations, want 1", n)
	}
	if n := d.count(t, `SELECT count(*) FROM workshop_events`); n != events {
		t.Errorf("%d events stored after closing", n-events)
	}

	// Published only when closed; then public, read-only.
	if status := call(t, srv.URL, "PATCH", f.path(""), f.alice, map[string]any{"published": true}, nil); status != 403 {
		t.Errorf("participant publishing = %d, want 403", status)
	}
	if status := call(t, srv.URL, "PATCH", f.path(""), f.secret, map[string]any{"published": true}, &w); status != 200 || !w.Published {
		t.Errorf("publish = %d %+v", status, w)
	}
	if status := call(t, srv.URL, "PATCH", f.path(""), f.secret, map[string]any{"status": "open"}, nil); status != 409 {
		t.Errorf("reopening a published workshop = %d, want 409", status)
	}
	if status := call(t, srv.URL, "GET", f.path(""), "", nil, &w); status != 200 || w.Role != "public" {
		t.Errorf("public GET of a published workshop = %d %+v", status, w)
	}
	if status := call(t, srv.URL, "POST", f.path("/annotations"), "", body, nil); status != 401 {
		t.Errorf("public POST = %d, want 401", status)
	}
	if status := call(t, srv.URL, "PATCH", f.path(""), d.keeper, map[string]any{"published": false, "status": "open"}, nil); status != 200 {
		t.Errorf("unpublish and reopen = %d", status)
	}
	if status := call(t, srv.URL, "PATCH", f.path(""), f.secret, map[string]any{"published": true}, nil); status != 409 {
		t.Errorf("publishing an open workshop = %d, want 409", status)
	}
	// The author deletes their own.
	if status := call(t, srv.URL, "DELETE", f.path("/annotations/%d", a.ID), f.alice, nil, nil); status != 204 {
		t.Errorf("author DELETE = %d", status)
	}
	if status := call(t, srv.URL, "DELETE", f.path(""), f.secret, nil, nil); status != 401 {
		t.Errorf("animator deleting the workshop = %d, want 401 (keepers only)", status)
	}
	if status := call(t, srv.URL, "DELETE", f.path(""), d.keeper, nil, nil); status != 204 {
		t.Errorf("keeper DELETE = %d", status)
	}
	if status := call(t, srv.URL, "GET", f.path(""), d.keeper, nil, nil); status != 404 {
		t.Errorf("GET deleted = %d", status)
	}
}

func TestVotes(t *testing.T) {
	d := newWorkshopDB(t)
	srv, _ := d.server(t, nil)
	f := newWorkshop(t, srv.URL, d.keeper, true)
	var a annotationOut
	call(t, srv.URL, "POST", f.path("/annotations"), f.alice, map[string]any{"kind": "atout",
		"geometry": point(-0.46, 46.32), "text": "La recyclerie"}, &a)
	var v struct {
		Votes int  `json:"votes"`
		Voted bool `json:"voted"`
	}
	votePath := f.path("/annotations/%d/vote", a.ID)
	for i, step := range []struct {
		method, token string
		votes         int
		voted         bool
	}{
		{"PUT", f.bob, 1, true}, {"PUT", f.bob, 1, true}, {"PUT", f.alice, 2, true},
		{"DELETE", f.bob, 1, false}, {"DELETE", f.bob, 1, false}, {"PUT", f.bob, 2, true},
	} {
		if status := call(t, srv.URL, step.method, votePath, step.token, nil, &v); status != 200 || v.Votes != step.votes || v.Voted != step.voted {
			t.Errorf("step %d: %s = %d %+v, want %d %v", i, step.method, status, v, step.votes, step.voted)
		}
	}
	if n := d.count(t, `SELECT count(*) FROM annotation_votes WHERE annotation_id = $1`, a.ID); n != 2 {
		t.Errorf("%d votes stored, want 2", n)
	}
	var got annotationOut
	call(t, srv.URL, "GET", f.path("/annotations/%d", a.ID), f.bob, nil, &got)
	if got.Votes != 2 || !got.Voted || got.Mine {
		t.Errorf("as bob: %+v", got)
	}
	for _, token := range []string{f.secret, d.keeper} {
		if status := call(t, srv.URL, "PUT", votePath, token, nil, nil); status != 403 {
			t.Errorf("a non-participant's vote = %d, want 403", status)
		}
	}
	if status := call(t, srv.URL, "PUT", f.path("/annotations/%d/vote", a.ID+100), f.bob, nil, nil); status != 404 {
		t.Errorf("vote for no annotation = %d, want 404", status)
	}
}

func TestJoinRateLimit(t *testing.T) {
	d := newWorkshopDB(t)
	srv, _ := d.server(t, nil)
	f := newWorkshop(t, srv.URL, d.keeper, true)
	wrong := "ZZZZZZ"
	if wrong == f.Code {
		wrong = "YYYYYY"
	}
	for i := range 10 {
		if status := call(t, srv.URL, "POST", "/api/workshops/join", "", map[string]string{"code": wrong}, nil); status != 404 {
			t.Fatalf("wrong code %d = %d, want 404", i+1, status)
		}
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/workshops/join", strings.NewReader(`{"code": "`+f.Code+`"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("after 10 wrong codes = %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n := d.count(t, `SELECT count(*) FROM workshop_participants`); n != 2 {
		t.Errorf("%d participants, want the fixture's 2", n)
	}
}

// TestJoinRightCodesNotLimited: a whole room joins from one address.
func TestJoinRightCodesNotLimited(t *testing.T) {
	d := newWorkshopDB(t)
	srv, _ := d.server(t, nil)
	f := newWorkshop(t, srv.URL, d.keeper, true)
	for range 40 {
		join(t, srv.URL, f.Code)
	}
}

// sseEvent is one event of a stream; a comment has Comment set.
type sseEvent struct {
	ID      int64
	Name    string
	Data    string
	Comment string
}

type sseClient struct {
	events chan sseEvent
	resp   *http.Response
	cancel func()
}

// openStream opens the event stream of path with the query token and
// the Last-Event-ID header lastID (none when empty).
func openStream(t *testing.T, base, path, token, lastID string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	url := base + path
	if token != "" {
		url += "?token=" + token
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		t.Fatalf("GET %s = %d %s", path, resp.StatusCode, b)
	}
	c := &sseClient{events: make(chan sseEvent, 1000), resp: resp, cancel: cancel}
	go func() {
		defer close(c.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var e sseEvent
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e.Name != "" || len(data) > 0 {
					e.Data = strings.Join(data, "\n")
					c.events <- e
				}
				e, data = sseEvent{}, nil
			case strings.HasPrefix(line, ":"):
				c.events <- sseEvent{Comment: strings.TrimSpace(line[1:])}
			case strings.HasPrefix(line, "id: "):
				fmt.Sscan(line[4:], &e.ID)
			case strings.HasPrefix(line, "event: "):
				e.Name = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = append(data, line[6:])
			}
		}
	}()
	t.Cleanup(c.close)
	return c
}

func (c *sseClient) close() {
	c.cancel()
	c.resp.Body.Close()
}

// next returns the next event, skipping comments, or fails the test
// after a generous wait (a guard against hanging, not a measure).
func (c *sseClient) next(t *testing.T) sseEvent {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e, ok := <-c.events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if e.Comment != "" {
				continue
			}
			return e
		case <-deadline:
			t.Fatal("no event within 20 s")
		}
	}
}

func (c *sseClient) nextComment(t *testing.T) string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e, ok := <-c.events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if e.Comment != "" {
				return e.Comment
			}
		case <-deadline:
			t.Fatal("no comment within 20 s")
		}
	}
}

// TestEventsAcrossServers runs two servers on one database, each with its
// own LISTEN connection: what is posted through the first reaches the
// streams of the second, filtered per role.
func TestEventsAcrossServers(t *testing.T) {
	d := newWorkshopDB(t)
	one, _ := d.server(t, nil)
	two, _ := d.server(t, nil)
	f := newWorkshop(t, one.URL, d.keeper, true)
	phone := openStream(t, two.URL, f.path("/events"), f.bob, "")
	wall := openStream(t, two.URL, f.path("/events"), f.secret, "")
	public := "" // not published: the public has no stream
	if status := call(t, two.URL, "GET", f.path("/events"), public, nil, nil); status != 401 {
		t.Errorf("public stream of an unpublished workshop = %d, want 401", status)
	}

	var a annotationOut
	xss := `<img src=x onerror=alert(1)>`
	call(t, one.URL, "POST", f.path("/annotations"), f.alice, map[string]any{"kind": "besoin",
		"geometry": point(-0.46, 46.32), "text": xss}, &a)
	for _, c := range []*sseClient{phone, wall} {
		e := c.next(t)
		var got annotationOut
		if err := json.Unmarshal([]byte(e.Data), &got); err != nil || e.Name != "annotation.added" || got.ID != a.ID || got.Text != xss || got.Mine {
			t.Errorf("event %+v: %+v %v", e, got, err)
		}
	}
	// Hidden: both get annotation.hidden; a later change of the hidden
	// annotation reaches the wall only.
	call(t, one.URL, "PATCH", f.path("/annotations/%d", a.ID), f.secret, map[string]any{"state": "hidden"}, nil)
	call(t, one.URL, "PATCH", f.path("/annotations/%d", a.ID), f.secret, map[string]any{"text": "Texte modéré"}, nil)
	want := fmt.Sprintf(`{"id": %d}`, a.ID)
	if e := phone.next(t); e.Name != "annotation.hidden" || strings.ReplaceAll(e.Data, " ", "") != strings.ReplaceAll(want, " ", "") {
		t.Errorf("phone: %+v", e)
	}
	if e := phone.next(t); e.Name != "annotation.hidden" || strings.Contains(e.Data, "modéré") {
		t.Errorf("phone got a hidden annotation's change: %+v", e)
	}
	if e := wall.next(t); e.Name != "annotation.hidden" {
		t.Errorf("wall: %+v", e)
	}
	if e := wall.next(t); e.Name != "annotation.changed" || !strings.Contains(e.Data, "Texte modéré") {
		t.Errorf("wall: %+v", e)
	}
	// Status, view, vote.
	call(t, one.URL, "PATCH", f.path("/annotations/%d", a.ID), f.secret, map[string]any{"state": "visible"}, nil)
	call(t, one.URL, "PUT", f.path("/annotations/%d/vote", a.ID), f.bob, nil, nil)
	call(t, one.URL, "PUT", f.path("/view"), f.secret, map[string]any{"center": []float64{-0.46, 46.32}, "zoom": 15, "annotation_id": a.ID}, nil)
	call(t, one.URL, "PATCH", f.path(""), f.secret, map[string]any{"status": "closed", "title": "Diagnostic ESS (clos)"}, nil)
	var names []string
	for range 5 {
		e := phone.next(t)
		names = append(names, e.Name)
		if e.Name == "view" && !strings.Contains(e.Data, `"zoom": 15`) {
			t.Errorf("view event %s", e.Data)
		}
		if e.Name == "status" && !strings.Contains(e.Data, `"closed"`) {
			t.Errorf("status event %s", e.Data)
		}
	}
	if got := strings.Join(names, " "); got != "annotation.changed vote view status workshop.changed" {
		t.Errorf("phone events: %s", got)
	}
	if n := len(phone.events); n > 0 {
		t.Errorf("%d more events", n)
	}
}

// TestEventsReplay drops a stream after event N, writes more, and
// reconnects with Last-Event-ID N: events N+1... come once each, in
// order, through the same server and through a new server on the same
// database (a restart), with writes going on meanwhile.
func TestEventsReplay(t *testing.T) {
	d := newWorkshopDB(t)
	srv, stop := d.server(t, nil)
	f := newWorkshop(t, srv.URL, d.keeper, true)
	// postErr is safe in other goroutines: it reports to its caller
	// rather than to t.
	postErr := func(base, text string) error {
		body := fmt.Sprintf(`{"kind": "idee", "geometry": {"type": "Point", "coordinates": [-0.46, 46.32]}, "text": %q}`, text)
		req, _ := http.NewRequest("POST", base+f.path("/annotations"), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+f.alice)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 201 {
			return fmt.Errorf("POST %s = %d", text, resp.StatusCode)
		}
		return nil
	}
	post := func(base, text string) {
		t.Helper()
		if err := postErr(base, text); err != nil {
			t.Fatal(err)
		}
	}
	// writeAll posts a<from>..a<to> in another goroutine; wait returns
	// the first error.
	writeAll := func(base string, from, to int) (wait func() error) {
		errc := make(chan error, 1)
		go func() {
			for i := from; i <= to; i++ {
				if err := postErr(base, fmt.Sprint("a", i)); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
		return func() error { return <-errc }
	}
	text := func(e sseEvent) string {
		var a annotationOut
		json.Unmarshal([]byte(e.Data), &a)
		return a.Text
	}
	c := openStream(t, srv.URL, f.path("/events"), f.bob, "")
	for i := 1; i <= 3; i++ {
		post(srv.URL, fmt.Sprint("a", i))
	}
	var lastID int64
	for i := 1; i <= 3; i++ {
		e := c.next(t)
		if text(e) != fmt.Sprint("a", i) {
			t.Fatalf("event %d: %+v", i, e)
		}
		lastID = e.ID
	}
	c.close()
	for i := 4; i <= 6; i++ {
		post(srv.URL, fmt.Sprint("a", i))
	}
	// Reconnect while writes go on.
	wait := writeAll(srv.URL, 7, 30)
	c = openStream(t, srv.URL, f.path("/events"), f.bob, fmt.Sprint(lastID))
	for i := 4; i <= 30; i++ {
		e := c.next(t)
		if text(e) != fmt.Sprint("a", i) || e.ID <= lastID {
			t.Fatalf("after reconnecting, event %d: %+v (last id %d)", i, e, lastID)
		}
		lastID = e.ID
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	c.close()

	// The server stops; a new one starts on the same database.
	stop()
	srv2, _ := d.server(t, nil)
	for i := 31; i <= 33; i++ {
		post(srv2.URL, fmt.Sprint("a", i))
	}
	c = openStream(t, srv2.URL, f.path("/events"), f.bob, fmt.Sprint(lastID))
	post(srv2.URL, "a34")
	var id33 int64
	for i := 31; i <= 34; i++ {
		e := c.next(t)
		if text(e) != fmt.Sprint("a", i) || e.ID <= lastID {
			t.Fatalf("after a restart, event %d: %+v", i, e)
		}
		lastID = e.ID
		if i == 33 {
			id33 = e.ID
		}
	}
	// A long replay (1,200 stored events, read in pages) while writes go
	// on: the events committed during the replay come both from the table
	// and live, and are sent once. (Stored without a notification, they
	// would reach a stream open meanwhile as one burst, past its buffer.)
	c.close()
	_, err := d.db.Pool.Exec(context.Background(), `
		INSERT INTO workshop_events (workshop_id, name, data)
		SELECT $1, 'vote', jsonb_build_object('id', 0, 'votes', g) FROM generate_series(1, 1200) g`, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	from := lastID
	wait = writeAll(srv2.URL, 35, 60)
	c3 := openStream(t, srv2.URL, f.path("/events"), f.bob, fmt.Sprint(from))
	votes, next := 0, 35
	for next <= 60 {
		e := c3.next(t)
		if e.ID <= from {
			t.Fatalf("event %d after %d: sent twice or out of order", e.ID, from)
		}
		from = e.ID
		switch e.Name {
		case "vote":
			votes++
		case "annotation.added":
			if text(e) != fmt.Sprint("a", next) {
				t.Fatalf("annotation %q, want a%d", text(e), next)
			}
			next++
		}
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if votes != 1200 {
		t.Errorf("%d stored events replayed, want 1200", votes)
	}

	// ?last_event_id= for clients that cannot set the header.
	c2 := openStream(t, srv2.URL, f.path("/events"), f.bob+"&last_event_id="+fmt.Sprint(id33), "")
	if e := c2.next(t); text(e) != "a34" {
		t.Errorf("with ?last_event_id: %+v", e)
	}
}

func TestEventStreamLimits(t *testing.T) {
	d := newWorkshopDB(t)
	srv, _ := d.server(t, func(o *handlers.Options) {
		o.WorkshopStreamsPerIP = 2
		o.WorkshopHeartbeat = 20 * time.Millisecond
	})
	f := newWorkshop(t, srv.URL, d.keeper, true)
	a := openStream(t, srv.URL, f.path("/events"), f.alice, "")
	openStream(t, srv.URL, f.path("/events"), f.bob, "")
	resp, err := http.Get(srv.URL + f.path("/events") + "?token=" + f.alice)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 {
		t.Errorf("third stream from one address = %d, want 429", resp.StatusCode)
	}
	if c := a.nextComment(t); c != "heartbeat" {
		t.Errorf("comment %q", c)
	}
	a.close()
	// A closed stream frees its place, once the server sees it closed.
	freed := false
	for range 250 {
		resp, err := http.Get(srv.URL + f.path("/events") + "?token=" + f.alice)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if freed = resp.StatusCode == 200; freed {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !freed {
		t.Error("a closed stream's place was not freed")
	}
	for _, q := range []string{"?last_event_id=-1&token=" + f.alice, "?token=" + f.alice + "&since=3"} {
		if status := call(t, srv.URL, "GET", f.path("/events")+q, "", nil, nil); status != 400 {
			t.Errorf("GET events%s = %d, want 400", q, status)
		}
	}
	if status := call(t, srv.URL, "GET", f.path("/events")+"?token=wsp_nope", "", nil, nil); status != 401 {
		t.Errorf("stream with a wrong token = %d, want 401", status)
	}
}

func TestWorkshopExports(t *testing.T) {
	d := newWorkshopDB(t)
	srv, _ := d.server(t, nil)
	f := newWorkshop(t, srv.URL, d.keeper, true)
	call(t, srv.URL, "POST", f.path("/annotations"), f.alice, map[string]any{"kind": "besoin",
		"geometry": point(-0.46, 46.32), "text": "=HYPERLINK(\"http://x\")", "author_name": "Léa", "sector": "insertion"}, nil)
	call(t, srv.URL, "POST", f.path("/annotations"), f.bob, map[string]any{"kind": "idee",
		"geometry": niortZone, "text": "Une ressourcerie"}, nil)
	var hidden annotationOut
	call(t, srv.URL, "POST", f.path("/annotations"), f.bob, map[string]any{"kind": "idee",
		"geometry": point(-0.45, 46.31), "text": "Caché"}, &hidden)
	call(t, srv.URL, "PATCH", f.path("/annotations/%d", hidden.ID), f.secret, map[string]any{"state": "hidden"}, nil)

	status, body := callRaw(t, srv.URL, "GET", f.path("/export.geojson")+"?token="+f.secret, "", nil)
	var fc struct {
		Type     string
		Features []struct {
			Geometry   map[string]any
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(body, &fc); status != 200 || err != nil || len(fc.Features) != 2 {
		t.Fatalf("export.geojson = %d %s", status, body)
	}
	p := fc.Features[0].Properties
	if p["kind"] != "besoin" || p["kind_label"] != "Besoin" || p["sector"] != "insertion" || p["author_name"] != "Léa" || p["votes"] != 0.0 {
		t.Errorf("properties %v", p)
	}
	status, body = callRaw(t, srv.URL, "GET", f.path("/export.csv"), f.alice, nil)
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if status != 200 || len(lines) != 3 || !strings.HasPrefix(lines[1], `1,besoin,Besoin,"'=HYPERLINK(""http://x"")",insertion,0,Léa,`) ||
		!strings.Contains(lines[2], "POLYGON ((-0.52 46.29") {
		t.Errorf("export.csv = %d\n%s", status, body)
	}
	if status := call(t, srv.URL, "GET", f.path("/export.csv"), "", nil, nil); status != 401 {
		t.Errorf("public export of an unpublished workshop = %d", status)
	}
	for token, want := range map[string]int{d.keeper: 200, "mlg_nope": 401, f.alice: 200, "wsp_nope": 401} {
		if status, _ := callRaw(t, srv.URL, "GET", f.path("/export.csv")+"?token="+token, "", nil); status != want {
			t.Errorf("export with ?token=%s = %d, want %d", token[:4], status, want)
		}
	}
	var overlay struct {
		Features []struct {
			Properties map[string]any
		}
	}
	call(t, srv.URL, "GET", "/api/workshop-annotations.geojson", "", nil, &overlay)
	if len(overlay.Features) != 0 {
		t.Errorf("overlay of unpublished workshops: %d features", len(overlay.Features))
	}
	call(t, srv.URL, "PATCH", f.path(""), f.secret, map[string]any{"status": "closed", "published": true}, nil)
	if status := call(t, srv.URL, "GET", f.path("/export.csv"), "", nil, nil); status != 200 {
		t.Errorf("public export of a published workshop = %d", status)
	}
	call(t, srv.URL, "GET", "/api/workshop-annotations.geojson?bbox=-0.47,46.31,-0.455,46.33", "", nil, &overlay)
	if len(overlay.Features) != 2 || overlay.Features[0].Properties["workshop_title"] != "Diagnostic ESS du Niortais" ||
		overlay.Features[0].Properties["color"] != "#ef6c00" {
		t.Errorf("overlay: %+v", overlay.Features)
	}
	call(t, srv.URL, "GET", "/api/workshop-annotations.geojson?bbox=2,48,3,49", "", nil, &overlay)
	if len(overlay.Features) != 0 {
		t.Errorf("overlay far away: %d features", len(overlay.Features))
	}
	// In a territory: a commune around the annotations, another beside it.
	if _, err := d.db.Pool.Exec(context.Background(), `
		INSERT INTO territories (level, code, name, geom) VALUES
			('commune', '79191', 'Niort', ST_Multi(ST_MakeEnvelope(-0.5, 46.3, -0.4, 46.35, 4326))),
			('commune', '79048', 'Chauray', ST_Multi(ST_MakeEnvelope(-0.38, 46.3, -0.3, 46.35, 4326)))`); err != nil {
		t.Fatal(err)
	}
	for within, want := range map[string]int{"commune:79191": 2, "79048": 0} {
		call(t, srv.URL, "GET", "/api/workshop-annotations.geojson?within="+within, "", nil, &overlay)
		if len(overlay.Features) != want {
			t.Errorf("overlay within %s: %d features, want %d", within, len(overlay.Features), want)
		}
	}
	var bad struct{ Fields map[string]string }
	if status := call(t, srv.URL, "GET", "/api/workshop-annotations.geojson?within=79005", "", nil, &bad); status != 400 || bad.Fields["within"] == "" {
		t.Errorf("overlay within an unknown territory = %d %+v, want 400 naming within", status, bad)
	}
}

// TestEventsConcurrentWriters has participants post at the same time
// through two servers: a stream receives every annotation, ids strictly
// increasing. Events are committed in id order within a workshop; without
// that, a stream that has sent a later id would skip an earlier one
// committed after it.
func TestEventsConcurrentWriters(t *testing.T) {
	d := newWorkshopDB(t)
	one, _ := d.server(t, nil)
	two, _ := d.server(t, nil)
	f := newWorkshop(t, one.URL, d.keeper, true)
	c := openStream(t, two.URL, f.path("/events"), f.secret, "")
	const writers, each = 6, 15
	errc := make(chan error, writers)
	for w := range writers {
		token, base := join(t, one.URL, f.Code), []string{one.URL, two.URL}[w%2]
		go func() {
			for i := range each {
				body := fmt.Sprintf(`{"kind": "atout", "geometry": {"type": "Point", "coordinates": [-0.46, 46.32]}, "text": "w%d-%d"}`, w, i)
				req, _ := http.NewRequest("POST", base+f.path("/annotations"), strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errc <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 201 {
					errc <- fmt.Errorf("POST = %d", resp.StatusCode)
					return
				}
			}
			errc <- nil
		}()
	}
	for range writers {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	var last int64
	for len(seen) < writers*each {
		e := c.next(t)
		if e.ID <= last {
			t.Fatalf("event %d after %d", e.ID, last)
		}
		last = e.ID
		var a annotationOut
		json.Unmarshal([]byte(e.Data), &a)
		if seen[a.Text] {
			t.Fatalf("%s twice", a.Text)
		}
		seen[a.Text] = true
	}
}
