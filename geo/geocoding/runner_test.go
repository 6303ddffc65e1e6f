package geocoding_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/ban"
	"github.com/maillage/maillage/geo/geocoding"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/shareddata"
)

func geocoderData(t testing.TB) string {
	return shareddata.Dir(t, "geocoder")
}

// replayBAN is a fake BAN answering /search/ and /search/csv/ with the
// recorded response named for each query (by its start), and the empty
// recorded answer for others. While down is set it answers 503.
type replayBAN struct {
	*httptest.Server
	answers  map[string]*geoJSON
	empty    *geoJSON
	down     atomic.Bool
	requests atomic.Int32
	throttle atomic.Int32 // answer that many requests 429 Retry-After: 1
	noBatch  atomic.Bool  // answer /search/csv/ 502
}

type geoJSON struct {
	raw []byte
	fc  struct {
		Features []struct {
			Geometry   struct{ Coordinates []float64 }
			Properties map[string]any
		}
	}
}

func newReplayBAN(t testing.TB, answers map[string]string) *replayBAN {
	t.Helper()
	load := func(name string) *geoJSON {
		b, err := os.ReadFile(filepath.Join(geocoderData(t), name))
		if err != nil {
			t.Fatal(err)
		}
		g := &geoJSON{raw: b}
		if err := json.Unmarshal(b, &g.fc); err != nil {
			t.Fatal(err)
		}
		return g
	}
	r := &replayBAN{answers: map[string]*geoJSON{}, empty: load("les_emplois_geopf_no_result.json")}
	for prefix, name := range answers {
		r.answers[prefix] = load(name)
	}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *replayBAN) answer(q string) *geoJSON {
	for prefix, g := range r.answers {
		if strings.HasPrefix(q, prefix) {
			return g
		}
	}
	return r.empty
}

func (r *replayBAN) serve(w http.ResponseWriter, req *http.Request) {
	r.requests.Add(1)
	if r.down.Load() {
		w.Header().Set("Retry-After", "120")
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	if r.throttle.Add(-1) >= 0 {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many requests", http.StatusTooManyRequests)
		return
	}
	if r.noBatch.Load() && req.URL.Path == "/search/csv/" {
		http.Error(w, "bad gateway", http.StatusBadGateway)
		return
	}
	switch req.URL.Path {
	case "/search/":
		w.Write(r.answer(req.URL.Query().Get("q")).raw)
	case "/search/csv/":
		f, _, err := req.FormFile("data")
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		recs, _ := csv.NewReader(f).ReadAll()
		out := csv.NewWriter(w)
		out.Write(append(recs[0], "latitude", "longitude", "result_label", "result_score", "result_type", "result_citycode"))
		for _, rec := range recs[1:] {
			g := r.answer(rec[1])
			if len(g.fc.Features) == 0 {
				out.Write(append(rec, "", "", "", "", "", ""))
				continue
			}
			ft := g.fc.Features[0]
			num := func(v any) string { b, _ := json.Marshal(v); return string(b) }
			out.Write(append(rec, num(ft.Geometry.Coordinates[1]), num(ft.Geometry.Coordinates[0]),
				ft.Properties["label"].(string), num(ft.Properties["score"]), ft.Properties["type"].(string),
				ft.Properties["citycode"].(string)))
		}
		out.Flush()
	default:
		http.NotFound(w, req)
	}
}

type fixture struct {
	db        *postgis.DB
	actors    *postgis.ActorStore
	geocoding *postgis.GeocodingStore
	addresses *postgis.AddressStore
	ban       *replayBAN
	runner    *geocoding.Runner
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := postgistest.New(t)
	f := &fixture{db: db, actors: postgis.NewActorStore(db), geocoding: postgis.NewGeocodingStore(db),
		addresses: postgis.NewAddressStore(db)}
	f.ban = newReplayBAN(t, map[string]string{
		"4 Rue du Général Leclerc": "pj_geocodejson_houseNumberType.json",
		"Place de la République":   "pj_geocodejson_streetType.json",
	})
	client := ban.New(f.ban.URL, "maillage-test", f.ban.Client())
	client.SetPolicy(2*time.Second, -1, time.Millisecond)
	chain := &geocoding.Chain{Rule: geocoding.DefaultAcceptRule, Geocoders: []geo.Geocoder{f.addresses,
		&geocoding.Cached{Name: "ban", Geocoder: client, Cache: f.geocoding}}}
	f.runner = &geocoding.Runner{Store: f.geocoding, Chain: chain}
	return f
}

func (f *fixture) add(t testing.TB, name, street, postcode, city string) int64 {
	t.Helper()
	a := &geo.Actor{Name: name, Sectors: []string{"autres"}, Status: geo.StatusPublished,
		Address: geo.Address{Street: street, Postcode: postcode, City: city}}
	if err := f.actors.CreateActor(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func (f *fixture) actor(t testing.TB, id int64) *geo.Actor {
	t.Helper()
	a, err := f.actors.FindActorByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	file, err := os.Open(filepath.Join(geocoderData(t), "bal-54084-mont-bonvillers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if _, err := f.addresses.ImportAddresses(ctx, file, nil); err != nil {
		t.Fatal(err)
	}

	local := f.add(t, "Atelier Joffre", "4 r. joffre", "", "Mont Bonvillers")
	street := f.add(t, "Café République", "Place de la République", "", "Paris")
	weak := f.add(t, "Ressourcerie Leclerc", "4 Rue du Général Leclerc", "78000", "Versailles")
	none := f.add(t, "Inconnue", "10 PL 5 ANATOLE", "75010", "Paris")
	manual := f.add(t, "Placée à la main", "Place de la République", "", "Paris")
	p := geo.Point{Lon: 2.36, Lat: 48.86}
	if _, err := f.actors.UpdateActor(ctx, manual, geo.ActorUpdate{Location: &p}); err != nil {
		t.Fatal(err)
	}

	sum, err := f.runner.Run(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Accepted != 2 || sum.Review != 1 || sum.Failed != 1 || sum.Postponed != 0 || sum.Left != 0 {
		t.Errorf("summary %+v", sum)
	}
	if a := f.actor(t, local); a.Geocoding.Geocoder != "local" || a.Geocoding.State != "" || a.Location == nil ||
		geo.Distance(*a.Location, geo.Point{Lon: 5.833513, Lat: 49.322103}) > 1 {
		t.Errorf("local: %+v at %v", a.Geocoding, a.Location)
	}
	if a := f.actor(t, street); a.Geocoding.Geocoder != "ban" || a.Geocoding.State != "" || a.Geocoding.Source != geo.LocationFromGeocoder ||
		*a.Location != (geo.Point{Lon: 2.365475, Lat: 48.867039}) {
		t.Errorf("street: %+v at %v", a.Geocoding, a.Location)
	}
	if a := f.actor(t, weak); a.Geocoding.State != geo.GeocodeReview || a.Location == nil || *a.Geocoding.Score != 0.7592313152804641 {
		t.Errorf("weak score: %+v at %v", a.Geocoding, a.Location)
	}
	if a := f.actor(t, none); a.Geocoding.State != geo.GeocodeFailed || a.Location != nil {
		t.Errorf("no result: %+v at %v", a.Geocoding, a.Location)
	}
	if a := f.actor(t, manual); a.Geocoding.Source != geo.LocationManual || *a.Location != p {
		t.Errorf("manual point changed: %+v at %v", a.Geocoding, a.Location)
	}
	reviews, total, err := f.geocoding.FindReviews(ctx, 10, 0)
	if err != nil || total != 2 || len(reviews) != 2 || len(reviews[0].Candidates) != 1 {
		t.Errorf("reviews: %d %+v %v", total, reviews, err)
	}

	// Same address again: answered from the cache, the BAN is not asked.
	asked := f.ban.requests.Load()
	again := f.add(t, "Autre café", "place de la république", "", "PARIS")
	if _, err := f.runner.Run(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if f.ban.requests.Load() != asked || f.actor(t, again).Geocoding.State != "" {
		t.Errorf("the BAN was asked %d more times for a cached query", f.ban.requests.Load()-asked)
	}
}

func TestUnavailableGeocoderPostpones(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.ban.down.Store(true)
	id := f.add(t, "Café République", "Place de la République", "", "Paris")
	sum, err := f.runner.Run(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Postponed != 1 || sum.Left != 1 || sum.Done() != 0 {
		t.Errorf("summary %+v", sum)
	}
	var attempts int
	var wait float64
	err = f.db.Pool.QueryRow(ctx, `SELECT geocode_attempts, extract(epoch FROM geocode_next_attempt - now())
		FROM actors WHERE id = $1`, id).Scan(&attempts, &wait)
	if err != nil || attempts != 1 || wait < 110 || wait > 130 {
		t.Errorf("attempts %d, next attempt in %.0f s (Retry-After 120): %v", attempts, wait, err)
	}
	if a := f.actor(t, id); a.Geocoding.State != geo.GeocodePending {
		t.Errorf("state %q, want pending", a.Geocoding.State)
	}
	// Not due yet: a run does nothing, and asks nothing.
	f.ban.down.Store(false)
	asked := f.ban.requests.Load()
	if sum, err := f.runner.Run(ctx, nil); err != nil || sum.Done() != 0 || f.ban.requests.Load() != asked {
		t.Errorf("run before the next attempt: %+v %v", sum, err)
	}
	// Due again, with the BAN back.
	f.db.Pool.Exec(ctx, `UPDATE actors SET geocode_next_attempt = now() WHERE id = $1`, id)
	if sum, err := f.runner.Run(ctx, nil); err != nil || sum.Accepted != 1 {
		t.Errorf("run after the BAN came back: %+v %v", sum, err)
	}
}

func TestBatchImportNeverFailsOnGeocoder(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.ban.down.Store(true)
	var actors []*geo.Actor
	for i := range 40 {
		street := "Place de la République"
		if i%2 == 1 {
			street = "4 Rue du Général Leclerc"
		}
		actors = append(actors, &geo.Actor{Name: "Acteur " + string(rune('A'+i)), Sectors: []string{"autres"},
			Status: geo.StatusPublished, ExternalID: string(rune('a' + i)), Address: geo.Address{Street: street, City: "Paris"}})
	}
	out, err := f.actors.ImportActors(ctx, actors, false, nil)
	if err != nil || len(out) != 40 {
		t.Fatalf("import: %v", err)
	}
	sum, err := f.runner.Run(ctx, nil)
	if err != nil || sum.Postponed != 40 {
		t.Fatalf("BAN down: %+v %v", sum, err)
	}
	f.ban.down.Store(false)
	f.db.Pool.Exec(ctx, `UPDATE actors SET geocode_next_attempt = now()`)
	sum, err = f.runner.Run(ctx, nil)
	if err != nil || sum.Accepted != 20 || sum.Review != 20 || sum.Left != 0 {
		t.Errorf("batch after the BAN came back: %+v %v", sum, err)
	}
}

// fortyActors imports 40 actors to geocode, enough for a batch exchange.
func (f *fixture) fortyActors(t *testing.T) {
	t.Helper()
	var actors []*geo.Actor
	for i := range 40 {
		street := "Place de la République"
		if i%2 == 1 {
			street = "4 Rue du Général Leclerc"
		}
		actors = append(actors, &geo.Actor{Name: "Acteur " + string(rune('A'+i)), Sectors: []string{"autres"},
			Status: geo.StatusPublished, ExternalID: string(rune('a' + i)), Address: geo.Address{Street: street, City: "Paris"}})
	}
	if _, err := f.actors.ImportActors(context.Background(), actors, false, nil); err != nil {
		t.Fatal(err)
	}
}

func TestThrottledBatchWaitsAndGoesOn(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	client := ban.New(f.ban.URL, "maillage-test", f.ban.Client())
	client.SetPolicy(5*time.Second, 2, 10*time.Millisecond) // three attempts, as the BAN batch client
	f.runner.Chain.Geocoders[1] = &geocoding.Cached{Name: "ban", Geocoder: client, Cache: f.geocoding}
	var pauses []time.Duration
	f.runner.OnPause = func(geocoder string, wait time.Duration) { pauses = append(pauses, wait) }
	f.fortyActors(t)
	f.ban.throttle.Store(3)
	sum, err := f.runner.Run(ctx, nil)
	if err != nil || sum.Accepted != 20 || sum.Review != 20 || sum.Postponed != 0 || sum.Left != 0 {
		t.Fatalf("three 429 Retry-After: 1 = %+v %v, want every actor geocoded", sum, err)
	}
	if len(pauses) != 2 || pauses[0] != time.Second || pauses[1] != 0 {
		t.Errorf("pauses shown = %v, want [1s 0s]", pauses)
	}
}

func TestFailingBatchFallsBackToSingleSearches(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.fortyActors(t)
	f.ban.noBatch.Store(true)
	asked := f.ban.requests.Load()
	sum, err := f.runner.Run(ctx, nil)
	if err != nil || sum.Accepted != 20 || sum.Review != 20 || sum.Postponed != 0 {
		t.Fatalf("batch exchange failing = %+v %v, want every actor geocoded", sum, err)
	}
	// One batch, then one search per distinct address (the cache answers the others).
	if n := f.ban.requests.Load() - asked; n != 3 {
		t.Errorf("%d requests to the BAN, want 3", n)
	}
}
