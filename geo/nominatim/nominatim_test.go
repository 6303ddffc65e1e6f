package nominatim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/nominatim"
)

// TestSearchPolicy replays a jsonv2 answer (testdata/search-jsonv2.json,
// hand-written in Nominatim's format) and checks the usage policy: a
// User-Agent naming the application and one request a second.
func TestSearchPolicy(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "search-jsonv2.json"))
	if err != nil {
		t.Fatal(err)
	}
	var agents, queries []string
	var times []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents, queries, times = append(agents, r.UserAgent()), append(queries, r.URL.RawQuery), append(times, time.Now())
		w.Write(body)
	}))
	defer srv.Close()
	c := nominatim.New(srv.URL, "maillage-test/1 (+https://example.org)", srv.Client())
	for range 2 {
		got, err := c.Geocode(context.Background(), geo.GeocodeQuery{Q: "18 rue Saint-Antoine Montreuil", Postcode: "93100"})
		if err != nil || len(got) != 1 {
			t.Fatalf("%v %v", got, err)
		}
		want := geo.Candidate{Point: geo.Point{Lon: 2.4555378, Lat: 48.8658436}, Label: got[0].Label, Score: 0.7,
			Type: geo.TypeHousenumber, Postcode: "93100", City: "Montreuil", Geocoder: "nominatim"}
		if got[0] != want {
			t.Errorf("got %+v, want %+v", got[0], want)
		}
	}
	if agents[0] != "maillage-test/1 (+https://example.org)" {
		t.Errorf("User-Agent %q", agents[0])
	}
	if !strings.Contains(queries[0], "format=jsonv2") || !strings.Contains(queries[0], "countrycodes=fr") || !strings.Contains(queries[0], "93100") {
		t.Errorf("query %s", queries[0])
	}
	if d := times[1].Sub(times[0]); d < 900*time.Millisecond {
		t.Errorf("second request %s after the first; the policy is one a second", d)
	}
}

func TestUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>Bandwidth limit exceeded</html>"))
	}))
	defer srv.Close()
	c := nominatim.New(srv.URL, "maillage-test", srv.Client())
	if _, err := c.Geocode(context.Background(), geo.GeocodeQuery{Q: "x y z"}); err == nil {
		t.Error("an HTML page was read as an answer")
	} else if _, ok := geo.Unavailable(err); !ok {
		t.Errorf("%v, want unavailable", err)
	}
}
