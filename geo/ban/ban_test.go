package ban_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/ban"
	"github.com/maillage/maillage/internal/shareddata"
)

// recorded returns a real BAN response from the shared geocoder data.
func recorded(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(shareddata.Dir(t, "geocoder", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// replay serves body as JSON to every request and records the queries.
func replay(t *testing.T, body []byte, seen *[]string) *ban.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen != nil {
			*seen = append(*seen, r.URL.Path+"?"+r.URL.RawQuery)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return ban.New(srv.URL, "maillage-test", srv.Client())
}

func TestSearchRecordedTypes(t *testing.T) {
	for _, tc := range []struct {
		file, typ, citycode, postcode, label string
		score, lon, lat                      float64
	}{
		{"pj_geocodejson_houseNumberType.json", geo.TypeHousenumber, "78646", "78000", "4 Rue du Général Leclerc 78000 Versailles", 0.7592313152804641, 2.124989, 48.799456},
		{"pj_geocodejson_streetType.json", geo.TypeStreet, "75111", "75011", "Place de la République 75011 Paris", 0.9670254545454545, 2.365475, 48.867039},
		{"pj_geocodejson_localityType.json", geo.TypeLocality, "05161", "05240", "Pré Rura 05240 La Salle-les-Alpes", 0.9387145454545454, 6.566823, 44.938617},
		{"pj_geocodejson_municipalityType.json", geo.TypeMunicipality, "75056", "75001", "Paris", 0.9704590909090908, 2.347, 48.859},
		{"les_emplois_geopf_with_result.json", geo.TypeHousenumber, "75115", "75015", "10 Place des Cinq Martyrs du Lycée Buffon 75015 Paris", 0.5197687103594081, 2.316754, 48.838411},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var seen []string
			c := replay(t, recorded(t, tc.file), &seen)
			got, err := c.Geocode(context.Background(), geo.GeocodeQuery{Q: "4 Rue du Général Leclerc", Postcode: "78000",
				Citycode: "78646", Type: tc.typ, Limit: 3, Autocomplete: true})
			if err != nil || len(got) != 1 {
				t.Fatalf("%v %v", got, err)
			}
			want := geo.Candidate{Point: geo.Point{Lon: tc.lon, Lat: tc.lat}, Label: tc.label, Score: tc.score,
				Type: tc.typ, Postcode: tc.postcode, Citycode: tc.citycode, City: got[0].City, Geocoder: "ban"}
			if got[0] != want {
				t.Errorf("got %+v\nwant %+v", got[0], want)
			}
			q := seen[0]
			for _, part := range []string{"/search/?", "q=4+Rue+du+G%C3%A9n%C3%A9ral+Leclerc", "postcode=78000",
				"citycode=78646", "type=" + tc.typ, "limit=3", "autocomplete=1"} {
				if !strings.Contains(q, part) {
					t.Errorf("request %s lacks %s", q, part)
				}
			}
		})
	}
}

func TestSearchOlderFormatAndEmpty(t *testing.T) {
	// One feature of the 2019 format, served in a FeatureCollection.
	fc := `{"type":"FeatureCollection","features":[` + string(recorded(t, "les_emplois_2019_feature.json")) + `]}`
	got, err := replay(t, []byte(fc), nil).Geocode(context.Background(), geo.GeocodeQuery{Q: "10 pl 5 martyrs"})
	if err != nil || len(got) != 1 || got[0].Score != 0.587663373207207 || got[0].Type != geo.TypeHousenumber || got[0].Citycode != "75115" {
		t.Errorf("2019 feature: %+v %v", got, err)
	}
	got, err = replay(t, recorded(t, "les_emplois_geopf_no_result.json"), nil).Geocode(context.Background(), geo.GeocodeQuery{Q: "10 PL 5 ANATOLE"})
	if err != nil || len(got) != 0 {
		t.Errorf("empty FeatureCollection: %+v %v", got, err)
	}
}

func TestReverse(t *testing.T) {
	var seen []string
	got, err := replay(t, recorded(t, "pj_geocodejson_houseNumberType.json"), &seen).Reverse(context.Background(), geo.Point{Lon: 2.125, Lat: 48.7995}, 1)
	if err != nil || len(got) != 1 || !strings.HasPrefix(seen[0], "/reverse/?") || !strings.Contains(seen[0], "lon=2.125") {
		t.Errorf("reverse: %+v %v %v", got, err, seen)
	}
}

// script answers each request with the next of its steps; the last one
// repeats.
func script(t *testing.T, steps ...func(w http.ResponseWriter)) (*ban.Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		steps[min(i, len(steps)-1)](w)
	}))
	t.Cleanup(srv.Close)
	c := ban.New(srv.URL, "maillage-test", srv.Client())
	c.SetPolicy(300*time.Millisecond, 2, 10*time.Millisecond)
	return c, &n
}

func status(code int, header, value string, body []byte) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if header != "" {
			w.Header().Set(header, value)
		}
		w.WriteHeader(code)
		w.Write(body)
	}
}

func TestFailures(t *testing.T) {
	ok := status(200, "Content-Type", "application/json", recorded(t, "pj_geocodejson_streetType.json"))
	tooMany := testdata(t, "too-many-requests.json")
	q := geo.GeocodeQuery{Q: "place de la république paris"}
	ctx := context.Background()

	t.Run("429 with Retry-After, then an answer", func(t *testing.T) {
		c, n := script(t, status(429, "Retry-After", "1", tooMany), ok)
		start := time.Now()
		got, err := c.Geocode(ctx, q)
		if err != nil || len(got) != 1 || n.Load() != 2 {
			t.Fatalf("%v %v after %d requests", got, err, n.Load())
		}
		if d := time.Since(start); d < time.Second {
			t.Errorf("retried after %s, before the Retry-After of 1 s", d)
		}
	})
	t.Run("429 asking to wait an hour", func(t *testing.T) {
		c, n := script(t, status(429, "Retry-After", "3600", tooMany))
		_, err := c.Geocode(ctx, q)
		u, isU := geo.Unavailable(err)
		if !isU || u.RetryAfter != time.Hour || n.Load() != 1 {
			t.Errorf("%v (%+v) after %d requests", err, u, n.Load())
		}
	})
	t.Run("500, then an answer", func(t *testing.T) {
		c, n := script(t, status(500, "", "", nil), status(502, "", "", nil), ok)
		if got, err := c.Geocode(ctx, q); err != nil || len(got) != 1 || n.Load() != 3 {
			t.Errorf("%v %v after %d requests", got, err, n.Load())
		}
	})
	t.Run("500 every time", func(t *testing.T) {
		c, n := script(t, status(500, "", "", nil))
		if _, err := c.Geocode(ctx, q); !isUnavailable(err) || n.Load() != 3 {
			t.Errorf("%v after %d requests, want unavailable after 3", err, n.Load())
		}
	})
	t.Run("a hang past the deadline", func(t *testing.T) {
		release := make(chan struct{})
		c, n := script(t, func(w http.ResponseWriter) { <-release })
		defer close(release)
		start := time.Now()
		_, err := c.Geocode(ctx, q)
		if !isUnavailable(err) || n.Load() != 3 {
			t.Errorf("%v after %d requests", err, n.Load())
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("gave up after %s; the deadline is 3 × 300 ms", d)
		}
	})
	t.Run("malformed JSON", func(t *testing.T) {
		c, _ := script(t, status(200, "Content-Type", "application/json", testdata(t, "malformed.json")))
		if _, err := c.Geocode(ctx, q); !isUnavailable(err) {
			t.Errorf("%v, want unavailable", err)
		}
	})
	t.Run("400: nothing to find", func(t *testing.T) {
		c, _ := script(t, status(400, "", "", []byte(`{"code":400,"message":"q must contain between 3 and 200 chars"}`)))
		if got, err := c.Geocode(ctx, geo.GeocodeQuery{Q: "ab"}); err != nil || len(got) != 0 {
			t.Errorf("%v %v", got, err)
		}
	})
}

func isUnavailable(err error) bool {
	_, ok := geo.Unavailable(err)
	return ok
}

// batchServer answers /search/csv/ as the BAN does: the uploaded CSV with
// result columns appended, here in another order than asked, each row
// geocoded with the recorded answer of its query.
func batchServer(t *testing.T, answers map[string][]byte, form *map[string][]string) *ban.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/search/csv/" || r.Method != "POST" {
			http.Error(w, "not found", 404)
			return
		}
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		*form = r.MultipartForm.Value
		f, _, err := r.FormFile("data")
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		recs, _ := csv.NewReader(f).ReadAll()
		out := csv.NewWriter(w)
		out.Write(append(recs[0], "result_score", "result_label", "result_type", "longitude", "latitude", "result_citycode", "result_postcode", "result_city"))
		for _, rec := range recs[1:] {
			var fc struct {
				Features []struct {
					Geometry   struct{ Coordinates []float64 }
					Properties map[string]any
				}
			}
			json.Unmarshal(answers[rec[1]], &fc)
			if len(fc.Features) == 0 {
				out.Write(append(rec, "", "", "", "", "", "", "", ""))
				continue
			}
			ft := fc.Features[0]
			p := ft.Properties
			out.Write(append(rec, jsonNum(p["score"]), p["label"].(string), p["type"].(string),
				jsonNum(ft.Geometry.Coordinates[0]), jsonNum(ft.Geometry.Coordinates[1]),
				p["citycode"].(string), p["postcode"].(string), p["city"].(string)))
		}
		out.Flush()
	}))
	t.Cleanup(srv.Close)
	return ban.New(srv.URL, "maillage-test", srv.Client())
}

func jsonNum(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestBatch(t *testing.T) {
	answers := map[string][]byte{
		"4 Rue du Général Leclerc 78000 Versailles": recorded(t, "pj_geocodejson_houseNumberType.json"),
		"place de la république paris":              recorded(t, "pj_geocodejson_streetType.json"),
		"10 PL 5 ANATOLE 75010":                     recorded(t, "les_emplois_geopf_no_result.json"),
	}
	var form map[string][]string
	c := batchServer(t, answers, &form)
	qs := []geo.GeocodeQuery{{Q: "4 Rue du Général Leclerc 78000 Versailles"}, {Q: "10 PL 5 ANATOLE 75010"},
		{Q: "place de la république paris", Citycode: "75111"}}
	got, err := c.GeocodeBatch(context.Background(), qs)
	if err != nil || len(got) != 3 {
		t.Fatalf("%v %v", got, err)
	}
	if len(got[0]) != 1 || got[0][0].Label != "4 Rue du Général Leclerc 78000 Versailles" || got[0][0].Score != 0.7592313152804641 ||
		got[0][0].Point != (geo.Point{Lon: 2.124989, Lat: 48.799456}) || got[0][0].Type != geo.TypeHousenumber || got[0][0].Citycode != "78646" {
		t.Errorf("row 0: %+v", got[0])
	}
	if len(got[1]) != 0 {
		t.Errorf("row 1 (not found): %+v", got[1])
	}
	if len(got[2]) != 1 || got[2][0].Type != geo.TypeStreet {
		t.Errorf("row 2: %+v", got[2])
	}
	if !slices.Equal(form["columns"], []string{"q"}) || !slices.Equal(form["postcode"], []string{"postcode"}) ||
		!slices.Equal(form["citycode"], []string{"citycode"}) || !slices.Contains(form["result_columns"], "result_score") {
		t.Errorf("form fields: %v", form)
	}
}

func TestBatchMissingResultColumns(t *testing.T) {
	c, _ := script(t, status(200, "Content-Type", "text/csv", testdata(t, "batch-missing-columns.csv")))
	_, err := c.GeocodeBatch(context.Background(), []geo.GeocodeQuery{{Q: "10 PL 5 MARTYRS LYCEE BUFFON", Postcode: "75015"}})
	var u *geo.UnavailableError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "latitude") {
		t.Errorf("%v, want an unavailable error naming the missing column", err)
	}
}
