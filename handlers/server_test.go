package handlers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maillage/maillage/geo/actorfile"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/postgistest"
)

// testServer is the real router on a fresh database, with a keeper token.
type testServer struct {
	*httptest.Server
	token string
}

func newTestServer(t *testing.T, edit func(*handlers.Options)) *testServer {
	t.Helper()
	return newLoggedServer(t, edit, io.Discard)
}

// newLoggedServer is newTestServer writing its log to w.
func newLoggedServer(t *testing.T, edit func(*handlers.Options), w io.Writer) *testServer {
	t.Helper()
	db := postgistest.New(t)
	actors, sectors, tokens := postgis.NewActorStore(db), postgis.NewSectorStore(db), postgis.NewTokenStore(db)
	token, err := tokens.CreateToken(context.Background(), "test-keeper")
	if err != nil {
		t.Fatal(err)
	}
	opts := handlers.DefaultOptions()
	if edit != nil {
		edit(&opts)
	}
	importer := &actorfile.Importer{Store: actors, Sectors: sectors, DefaultSector: "autres"}
	logger := slog.New(slog.NewTextHandler(w, nil))
	ts, err := postgis.NewTileStore(context.Background(), db, 2)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handlers.NewServer(logger, handlers.Deps{Actors: actors, Sectors: sectors, Auth: tokens,
		Importer: importer, DB: db, Tiles: ts, Unavailable: postgis.Unavailable,
		Features: postgis.NewFeatureStore(db)}, opts))
	t.Cleanup(func() { srv.Close(); ts.Close() })
	return &testServer{Server: srv, token: token}
}

// do sends a request, with the keeper's token when auth is true, and
// decodes a JSON answer into out when out is not nil.
func (s *testServer) do(t *testing.T, method, path string, body any, auth bool, out any) int {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		r = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, s.URL+path, r)
	if auth {
		req.Header.Set("Authorization", "Bearer "+s.token)
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
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

type apiError struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields"`
}

type actorOut struct {
	ID       int64    `json:"id"`
	Name     string   `json:"name"`
	Sectors  []string `json:"sectors"`
	SIRET    string   `json:"siret"`
	Email    string   `json:"email"`
	Status   string   `json:"status"`
	Location *struct {
		Type        string     `json:"type"`
		Coordinates [2]float64 `json:"coordinates"`
	} `json:"location"`
	LegalForm struct {
		Code, Label, Family string
	} `json:"legal_form"`
}

type actorList struct {
	Items []actorOut `json:"items"`
	Total int        `json:"total"`
	Next  *string    `json:"next"`
}

func TestHealth(t *testing.T) {
	s := newTestServer(t, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		var body map[string]string
		if code := s.do(t, "GET", path, nil, false, &body); code != 200 || body["status"] != "ok" {
			t.Errorf("%s = %d %v", path, code, body)
		}
	}
}

func TestActorsAPI(t *testing.T) {
	s := newTestServer(t, nil)
	input := map[string]any{
		"name":       "Les Ateliers du Bocage",
		"sectors":    []string{"reemploi", "insertion"},
		"siret":      "80746931700018",
		"kind":       "ACI",
		"legal_form": "association",
		"address":    map[string]string{"street": "Le Pelican", "postcode": "79300", "city": "Le Pin"},
		"location":   map[string]any{"type": "Point", "coordinates": []float64{-0.64, 46.86}},
		"email":      "contact@example.org",
	}
	if code := s.do(t, "POST", "/api/actors", input, false, nil); code != http.StatusUnauthorized {
		t.Fatalf("anonymous POST = %d, want 401", code)
	}
	var created actorOut
	if code := s.do(t, "POST", "/api/actors", input, true, &created); code != http.StatusCreated {
		t.Fatalf("POST = %d", code)
	}
	if created.Location == nil || created.Location.Type != "Point" || created.Location.Coordinates != [2]float64{-0.64, 46.86} {
		t.Errorf("location = %+v", created.Location)
	}
	if created.Status != "published" || created.LegalForm.Family != "association" || created.Sectors[0] != "insertion" {
		t.Errorf("created = %+v", created)
	}
	var e apiError
	if code := s.do(t, "POST", "/api/actors", input, true, &e); code != http.StatusConflict || e.Fields["siret"] == "" {
		t.Errorf("duplicate SIRET = %d %+v, want 409 naming siret", code, e)
	}
	bad := map[string]any{"name": "", "sectors": []string{"insertion"}, "siret": "80746931700019", "colour": "red"}
	e = apiError{}
	if code := s.do(t, "POST", "/api/actors", bad, true, &e); code != 400 || e.Fields["colour"] != "unknown field" {
		t.Errorf("unknown field = %d %+v", code, e)
	}
	delete(bad, "colour")
	e = apiError{}
	if code := s.do(t, "POST", "/api/actors", bad, true, &e); code != 400 || e.Fields["siret"] == "" || e.Fields["name"] == "" {
		t.Errorf("invalid actor = %d %+v, want 400 naming siret and name", code, e)
	}
	e = apiError{}
	if code := s.do(t, "POST", "/api/actors", map[string]any{"name": 12}, true, &e); code != 400 || e.Fields["name"] == "" {
		t.Errorf("wrong type = %d %+v", code, e)
	}

	// Contacts are private without consent, shown to keepers.
	id := created.ID
	path := "/api/actors/" + itoa(id)
	var got actorOut
	s.do(t, "GET", path, nil, false, &got)
	if got.Email != "" {
		t.Errorf("anonymous sees email without consent")
	}
	s.do(t, "GET", path, nil, true, &got)
	if got.Email != "contact@example.org" {
		t.Errorf("keeper does not see email")
	}

	// A draft is hidden from the public.
	var patched actorOut
	if code := s.do(t, "PATCH", path, map[string]any{"status": "draft", "name": "Ateliers du Bocage"}, true, &patched); code != 200 ||
		patched.Name != "Ateliers du Bocage" || patched.Status != "draft" || patched.SIRET != "80746931700018" {
		t.Fatalf("PATCH = %d %+v", code, patched)
	}
	if code := s.do(t, "GET", path, nil, false, nil); code != 404 {
		t.Errorf("anonymous GET of a draft = %d, want 404", code)
	}
	var list actorList
	s.do(t, "GET", "/api/actors", nil, false, &list)
	if list.Total != 0 {
		t.Errorf("anonymous list shows drafts: %+v", list)
	}
	s.do(t, "GET", "/api/actors", nil, true, &list)
	if list.Total != 1 {
		t.Errorf("keeper list = %+v", list)
	}
	if code := s.do(t, "GET", "/api/actors?status=draft", nil, false, nil); code != 401 {
		t.Errorf("anonymous status=draft = %d, want 401", code)
	}
	if code := s.do(t, "DELETE", path, nil, true, nil); code != 204 {
		t.Errorf("DELETE = %d", code)
	}
	if code := s.do(t, "GET", path, nil, true, nil); code != 404 {
		t.Errorf("GET after DELETE = %d", code)
	}
	if code := s.do(t, "GET", "/api/actors/abc", nil, false, &e); code != 400 || e.Fields["id"] == "" {
		t.Errorf("GET /api/actors/abc = %d %+v", code, e)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestListQueryErrors(t *testing.T) {
	s := newTestServer(t, nil)
	tests := []struct {
		query, field string
	}{
		{"?color=red", "color"},
		{"?bbox=1,2,3", "bbox"},
		{"?bbox=10,40,5,45", "bbox"},
		{"?bbox=-4,48,-3,95", "bbox"},
		{"?sectors=insertion,astrologie", "sectors"},
		{"?limit=0", "limit"},
		{"?limit=100000", "limit"},
		{"?offset=-1", "offset"},
		{"?status=gone", "status"},
	}
	for _, tt := range tests {
		for _, path := range []string{"/api/actors", "/api/actors.geojson"} {
			if tt.field == "offset" && path != "/api/actors" {
				continue
			}
			var e apiError
			code := s.do(t, "GET", path+tt.query, nil, true, &e)
			if code != 400 || e.Fields[tt.field] == "" {
				t.Errorf("GET %s%s = %d %+v, want 400 naming %s", path, tt.query, code, e, tt.field)
			}
		}
	}
}

func TestPaginationAndGeoJSONCap(t *testing.T) {
	s := newTestServer(t, func(o *handlers.Options) { o.GeoJSONMax = 3 })
	for i := range 5 {
		a := map[string]any{"name": "Acteur " + string(rune('A'+i)), "sectors": []string{"culture"},
			"location": map[string]any{"type": "Point", "coordinates": []float64{-4.4 + float64(i)/100, 48.4}}}
		if code := s.do(t, "POST", "/api/actors", a, true, nil); code != 201 {
			t.Fatalf("POST = %d", code)
		}
	}
	var page actorList
	s.do(t, "GET", "/api/actors?limit=2&sectors=culture", nil, false, &page)
	if page.Total != 5 || len(page.Items) != 2 || page.Next == nil {
		t.Fatalf("first page = %+v", page)
	}
	var names []string
	for next := s.URL + "/api/actors?limit=2&sectors=culture"; ; {
		var p actorList
		s.do(t, "GET", strings.TrimPrefix(next, s.URL), nil, false, &p)
		for _, a := range p.Items {
			names = append(names, a.Name)
		}
		if p.Next == nil {
			break
		}
		next = *p.Next
	}
	if strings.Join(names, ",") != "Acteur A,Acteur B,Acteur C,Acteur D,Acteur E" {
		t.Errorf("walking next links = %v", names)
	}

	var fc struct {
		Type           string `json:"type"`
		NumberMatched  int    `json:"numberMatched"`
		NumberReturned int    `json:"numberReturned"`
		Truncated      bool   `json:"truncated"`
		Features       []struct {
			Geometry struct {
				Coordinates [2]float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties struct {
				Name    string   `json:"name"`
				Sectors []string `json:"sectors"`
			} `json:"properties"`
		} `json:"features"`
	}
	s.do(t, "GET", "/api/actors.geojson", nil, false, &fc)
	if fc.Type != "FeatureCollection" || len(fc.Features) != 3 || !fc.Truncated || fc.NumberMatched != 5 {
		t.Errorf("capped GeoJSON: %d features, matched %d, truncated %v", len(fc.Features), fc.NumberMatched, fc.Truncated)
	}
	s.do(t, "GET", "/api/actors.geojson?bbox=-4.375,48,-4.3,49", nil, false, &fc)
	if len(fc.Features) != 2 || fc.Truncated {
		t.Errorf("bbox GeoJSON: %d features, truncated %v", len(fc.Features), fc.Truncated)
	}

	resp, err := http.Get(s.URL + "/api/actors.csv?sectors=culture")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	records, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || len(records) != 6 || records[0][1] != "name" || records[1][1] != "Acteur A" {
		t.Errorf("CSV export: %v %v", records, err)
	}
}

func TestBodyLimits(t *testing.T) {
	s := newTestServer(t, func(o *handlers.Options) { o.MaxBodyBytes = 1000 })
	big := `{"name": "` + strings.Repeat("x", 2000) + `", "sectors": ["culture"]}`
	var e apiError
	if code := s.do(t, "POST", "/api/actors", big, true, &e); code != http.StatusRequestEntityTooLarge || e.Error == "" {
		t.Errorf("large body = %d %+v, want 413", code, e)
	}
	req, _ := http.NewRequest("POST", s.URL+"/api/actors", io.MultiReader(strings.NewReader(big)))
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = -1 // chunked: the limit applies while reading
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked large body = %d, want 413", resp.StatusCode)
	}
}

func TestBadToken(t *testing.T) {
	s := newTestServer(t, nil)
	req, _ := http.NewRequest("GET", s.URL+"/api/actors", nil)
	req.Header.Set("Authorization", "Bearer mlg_wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("wrong token = %d, want 401", resp.StatusCode)
	}
}

func TestSectorsAPI(t *testing.T) {
	s := newTestServer(t, nil)
	var list struct {
		Items []struct{ Slug, Label, Color, Icon string } `json:"items"`
		Total int                                         `json:"total"`
		Next  *string                                     `json:"next"`
	}
	if code := s.do(t, "GET", "/api/sectors", nil, false, &list); code != 200 || list.Total < 12 || list.Next != nil {
		t.Fatalf("GET /api/sectors = %d %+v", code, list)
	}
	for _, want := range []string{"insertion", "commerce-equitable", "education-populaire"} {
		found := false
		for _, sec := range list.Items {
			found = found || (sec.Slug == want && sec.Label != "" && sec.Color != "" && sec.Icon != "")
		}
		if !found {
			t.Errorf("sector %s missing or incomplete", want)
		}
	}
	sec := map[string]any{"slug": "sport", "label": "Sport pour tous", "color": "#1f78b4", "icon": "M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20z"}
	if code := s.do(t, "POST", "/api/sectors", sec, false, nil); code != 401 {
		t.Errorf("anonymous POST sector = %d", code)
	}
	if code := s.do(t, "POST", "/api/sectors", sec, true, nil); code != 201 {
		t.Errorf("POST sector = %d", code)
	}
	var e apiError
	if code := s.do(t, "PATCH", "/api/sectors/sport", map[string]any{"color": "bleu"}, true, &e); code != 400 || e.Fields["color"] == "" {
		t.Errorf("PATCH bad colour = %d %+v", code, e)
	}
	if code := s.do(t, "PATCH", "/api/sectors/sport", map[string]any{"label": "Sport"}, true, nil); code != 200 {
		t.Errorf("PATCH = %d", code)
	}
	if code := s.do(t, "DELETE", "/api/sectors/insertion", nil, true, nil); code != 204 {
		t.Errorf("DELETE unused seeded sector = %d", code)
	}
	if code := s.do(t, "DELETE", "/api/sectors/nope", nil, true, nil); code != 404 {
		t.Errorf("DELETE unknown sector = %d", code)
	}
}

func TestImportAPI(t *testing.T) {
	s := newTestServer(t, nil)
	csvFile := "nom;adresse;code postal;ville;siret;secteur;latitude;longitude;couleur\n" +
		"Recyclerie du Pays;1 rue Haute;29200;Brest;80746931700018;réemploi;48,39;-4,48;rouge\n" +
		"Mauvais SIRET;2 rue Basse;29200;Brest;807469317;culture;48,40;-4,49;vert\n" +
		"SIRET à vérifier;4 rue Basse;29200;Brest;80746931700019;culture;48,41;-4,49;vert\n" +
		"Épicerie à géocoder;3 place Neuve;29200;Brest;;Alimentation;;;bleu\n"
	upload := func(auth bool, fields map[string]string) (int, map[string]any) {
		as := &testServer{Server: s.Server}
		if auth {
			as.token = s.token
		}
		multi := map[string][]string{}
		for k, v := range fields {
			multi[k] = []string{v}
		}
		return as.postFile(t, "/api/imports", "acteurs.csv", []byte(csvFile), multi)
	}
	if code, _ := upload(false, nil); code != 401 {
		t.Fatalf("anonymous import = %d", code)
	}
	code, rep := upload(true, map[string]string{"dry_run": "true", "apply_proposals": "true"})
	if code != 200 || rep["created"].(float64) != 3 || rep["dry_run"] != true || rep["proposals_applied"] != true {
		t.Fatalf("dry run = %d %v", code, rep)
	}
	var list actorList
	if s.do(t, "GET", "/api/actors", nil, true, &list); list.Total != 0 {
		t.Fatalf("dry run wrote %d actors", list.Total)
	}
	code, rep = upload(true, nil)
	if code != 200 || rep["created"].(float64) != 3 {
		t.Fatalf("import = %d %v", code, rep)
	}
	warned := false
	for _, w := range rep["warnings"].([]any) {
		w := w.(map[string]any)
		warned = warned || (w["row"].(float64) == 4 && w["field"] == "siret")
	}
	if !warned {
		t.Errorf("a SIRET failing its checksum is not reported: %v", rep["warnings"])
	}
	failed := rep["failed"].([]any)
	if len(failed) != 1 {
		t.Fatalf("failed = %v", failed)
	}
	p := failed[0].(map[string]any)
	if p["row"].(float64) != 3 || p["field"] != "siret" {
		t.Errorf("failed row = %v, want row 3 field siret", p)
	}
	if ign := rep["ignored_columns"].([]any); len(ign) != 1 || ign[0] != "couleur" {
		t.Errorf("ignored = %v", ign)
	}
	code, rep = upload(true, nil)
	if code != 200 || rep["unchanged"].(float64) != 3 || rep["created"].(float64) != 0 {
		t.Errorf("second import = %d %v, want 3 unchanged", code, rep)
	}
	code, out := upload(true, map[string]string{"colour": "x", "status": "gone"})
	fields, _ := out["fields"].(map[string]any)
	if code != 400 || fields["colour"] == nil || fields["status"] == nil {
		t.Errorf("bad options = %d %v, want 400 naming colour and status", code, out)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestClientIP(t *testing.T) {
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	for _, tt := range []struct {
		name    string
		trusted []*net.IPNet
		want    string
	}{
		{"no proxy: the connection's address", nil, "ip=127.0.0.1"},
		{"trusted proxy: X-Forwarded-For", []*net.IPNet{loopback}, "ip=203.0.113.7"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var log syncBuffer
			s := newLoggedServer(t, func(o *handlers.Options) { o.TrustedProxies = tt.trusted }, &log)
			req, _ := http.NewRequest("GET", s.URL+"/healthz", nil)
			req.Header.Set("X-Forwarded-For", "203.0.113.7")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			// The line is written once the handler returns, which may be
			// after the client has read the answer.
			for i := 0; i < 100 && !strings.Contains(log.String(), "path=/healthz"); i++ {
				time.Sleep(10 * time.Millisecond)
			}
			if !strings.Contains(log.String(), tt.want) {
				t.Errorf("request log %q does not hold %s", log.String(), tt.want)
			}
		})
	}
}
