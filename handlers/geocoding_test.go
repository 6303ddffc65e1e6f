package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
	"github.com/maillage/maillage/geo/geocoding"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/shareddata"
)

// newGeocodingServer is the real router on a fresh database whose local
// geocoder knows the addresses of Mont-Bonvillers.
func newGeocodingServer(t *testing.T, perMinute int) (*testServer, *postgis.DB) {
	t.Helper()
	ctx := context.Background()
	db := postgistest.New(t)
	actors, sectors, tokens := postgis.NewActorStore(db), postgis.NewSectorStore(db), postgis.NewTokenStore(db)
	addresses := postgis.NewAddressStore(db)
	f, err := os.Open(shareddata.Dir(t, "geocoder", "bal-54084-mont-bonvillers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := addresses.ImportAddresses(ctx, f, nil); err != nil {
		t.Fatal(err)
	}
	token, err := tokens.CreateToken(ctx, "test-keeper")
	if err != nil {
		t.Fatal(err)
	}
	opts := handlers.DefaultOptions()
	opts.GeocodePerMinute = perMinute
	importer := &actorfile.Importer{Store: actors, Sectors: sectors, DefaultSector: "autres"}
	chain := &geocoding.Chain{Geocoders: []geo.Geocoder{addresses}, Rule: geocoding.DefaultAcceptRule}
	srv := httptest.NewServer(handlers.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), handlers.Deps{
		Actors: actors, Sectors: sectors, Auth: tokens, Importer: importer, DB: db,
		Geocoder: chain, Geocoding: postgis.NewGeocodingStore(db),
	}, opts))
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, token: token}, db
}

type candidatesOut struct {
	Items []struct {
		Index    int     `json:"index"`
		Label    string  `json:"label"`
		Score    float64 `json:"score"`
		Type     string  `json:"type"`
		Geocoder string  `json:"geocoder"`
		Location struct {
			Coordinates [2]float64 `json:"coordinates"`
		} `json:"location"`
	} `json:"items"`
	Total int `json:"total"`
}

func TestGeocodeSearch(t *testing.T) {
	s, _ := newGeocodingServer(t, 8)
	var out candidatesOut
	if code := s.do(t, "GET", "/api/geocode?q=4+r+joffre+mont+bonvillers&autocomplete=1", nil, false, &out); code != 200 {
		t.Fatalf("GET /api/geocode = %d", code)
	}
	if len(out.Items) == 0 || out.Items[0].Label != "4 Rue Joffre Mont-Bonvillers" || out.Items[0].Type != "housenumber" ||
		out.Items[0].Location.Coordinates != [2]float64{5.833513, 49.322103} {
		t.Errorf("candidates: %+v", out.Items)
	}
	var e apiError
	if code := s.do(t, "GET", "/api/geocode?q=ab&zoom=3", nil, false, &e); code != 400 || e.Fields["q"] == "" || e.Fields["zoom"] == "" {
		t.Errorf("bad query = %d %+v", code, e)
	}
	// 8 a minute, in bursts of 2: the third request of this client is refused.
	req, _ := http.NewRequest("GET", s.URL+"/api/geocode?q=rue+joffre", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		string(body) != `{"error":"too many requests: try again in a moment"}`+"\n" {
		t.Errorf("over the limit: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

func TestReviewAndLocation(t *testing.T) {
	s, db := newGeocodingServer(t, 0)
	ctx := context.Background()
	var created actorOut
	input := map[string]any{"name": "Atelier Joffre", "sectors": []string{"autres"},
		"address": map[string]string{"street": "12 rue Joffre", "city": "Mont-Bonvillers"}}
	if code := s.do(t, "POST", "/api/actors", input, true, &created); code != 201 {
		t.Fatalf("POST = %d", code)
	}
	// Rue Joffre has no number 12: the street's point, to review.
	gs := postgis.NewGeocodingStore(db)
	chain := &geocoding.Chain{Geocoders: []geo.Geocoder{postgis.NewAddressStore(db)}, Rule: geocoding.DefaultAcceptRule}
	cands, err := chain.Geocode(ctx, geo.GeocodeQuery{Q: "12 rue Joffre Mont-Bonvillers"})
	if err != nil {
		t.Fatal(err)
	}
	best, state := chain.Rule.Decide(cands)
	if _, err := gs.SaveGeocoding(ctx, created.ID, geo.GeocodeResult{Best: best, State: state, Candidates: cands}); err != nil || state != geo.GeocodeReview {
		t.Fatalf("save: %v, state %q", err, state)
	}

	if code := s.do(t, "GET", "/api/geocoding/review", nil, false, nil); code != 401 {
		t.Errorf("anonymous review = %d, want 401", code)
	}
	var page struct {
		Items []struct {
			Actor      actorOut      `json:"actor"`
			Candidates []interface{} `json:"candidates"`
		} `json:"items"`
		Total int     `json:"total"`
		Next  *string `json:"next"`
	}
	if code := s.do(t, "GET", "/api/geocoding/review?limit=10", nil, true, &page); code != 200 || page.Total != 1 ||
		page.Items[0].Actor.ID != created.ID || len(page.Items[0].Candidates) < 2 {
		t.Fatalf("review = %d %+v", code, page)
	}

	path := "/api/actors/" + itoa(created.ID) + "/location"
	var e apiError
	if code := s.do(t, "PUT", path, map[string]any{"candidate": 1}, false, &e); code != 401 {
		t.Errorf("anonymous PUT = %d", code)
	}
	if code := s.do(t, "PUT", path, map[string]any{"candidate": 9}, true, &e); code != 400 || e.Fields["candidate"] == "" {
		t.Errorf("no such candidate = %d %+v", code, e)
	}
	if code := s.do(t, "PUT", path, map[string]any{"type": "Point", "coordinates": []float64{5.8}, "x": 1}, true, &e); code != 400 {
		t.Errorf("bad body = %d %+v", code, e)
	}
	var a struct {
		actorOut
		Geocoding struct {
			Source, Geocoder, State string
		} `json:"geocoding"`
	}
	if code := s.do(t, "PUT", path, map[string]any{"candidate": 1}, true, &a); code != 200 || a.Geocoding.Source != "geocoder" ||
		a.Geocoding.State != "" || a.Location == nil || a.Location.Coordinates != [2]float64{cands[1].Point.Lon, cands[1].Point.Lat} {
		t.Errorf("pick candidate 1 = %d %+v %+v", code, a.Geocoding, a.Location)
	}
	if code := s.do(t, "GET", "/api/geocoding/review", nil, true, &page); code != 200 || page.Total != 0 {
		t.Errorf("review after the pick = %d %+v", code, page)
	}
	point := map[string]any{"type": "Point", "coordinates": []float64{5.8341, 49.3225}}
	if code := s.do(t, "PUT", path, point, true, &a); code != 200 || a.Geocoding.Source != "manual" ||
		a.Location.Coordinates != [2]float64{5.8341, 49.3225} {
		t.Errorf("drag = %d %+v %+v", code, a.Geocoding, a.Location)
	}
	// A later geocoding never moves a manual point.
	if saved, err := gs.SaveGeocoding(ctx, created.ID, geo.GeocodeResult{Best: best, State: geo.GeocodeNone, Candidates: cands}); err != nil || saved {
		t.Errorf("geocoding over a manual point: saved %v, %v", saved, err)
	}
	if code := s.do(t, "PUT", "/api/actors/999999/location", point, true, &e); code != 404 {
		t.Errorf("unknown actor = %d", code)
	}
}
