package postgis_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/geocoding"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/shareddata"
)

// geocoderData returns the folder of recorded geocoder data, in
// ../shared/data from the repository root (MAILLAGE_SHARED_DATA).
func geocoderData(t testing.TB) string {
	return shareddata.Dir(t, "geocoder")
}

// importAddressFile imports one file of the shared geocoder data.
func importAddressFile(t testing.TB, s *postgis.AddressStore, name string) *postgis.AddressImport {
	t.Helper()
	f, err := os.Open(filepath.Join(geocoderData(t), name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := s.ImportAddresses(context.Background(), f, nil)
	if err != nil {
		t.Fatalf("importing %s: %v", name, err)
	}
	return res
}

// trueAddress is one row of the national-layout file of Mont-Bonvillers.
type trueAddress struct {
	Number, Rep, Street, Postcode, City string
	Point                               geo.Point
}

func readTrueAddresses(t testing.TB) []trueAddress {
	t.Helper()
	f, err := os.Open(filepath.Join(geocoderData(t), "ban-format-54084-mont-bonvillers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var out []trueAddress
	for _, rec := range recs[1:] {
		lon, _ := strconv.ParseFloat(rec[col["lon"]], 64)
		lat, _ := strconv.ParseFloat(rec[col["lat"]], 64)
		out = append(out, trueAddress{Number: rec[col["numero"]], Rep: rec[col["rep"]],
			Street: rec[col["nom_voie"]], Postcode: rec[col["code_postal"]], City: rec[col["nom_commune"]],
			Point: geo.Point{Lon: lon, Lat: lat}})
	}
	return out
}

// shortTypes are the abbreviations people write for street types.
var shortTypes = strings.NewReplacer("Rue ", "r. ", "Allee ", "all ", "Allée ", "all ", "Impasse ", "imp ",
	"Place ", "pl. ", "Chemin ", "ch ", "Avenue ", "av ", "Boulevard ", "bd ")

// shortRep writes a repetition index the short way: bis -> b, ter -> t.
var shortRep = map[string]string{"bis": "b", "ter": "t", "b": "b", "t": "t", "a": "a"}

// typo swaps two letters in the middle of the street's longest word.
func typo(street string) string {
	words := strings.Fields(street)
	longest := 0
	for i, w := range words {
		if len([]rune(w)) > len([]rune(words[longest])) {
			longest = i
		}
	}
	r := []rune(words[longest])
	if len(r) >= 5 {
		i := len(r) / 2
		r[i], r[i+1] = r[i+1], r[i]
	}
	words[longest] = string(r)
	return strings.Join(words, " ")
}

// variants are the ways people write an address, each a function of the
// true address.
var variants = []struct {
	name  string
	write func(a trueAddress) string
}{
	{"lower case, no accents", func(a trueAddress) string {
		return geo.Fold(strings.TrimSpace(a.Number+" "+a.Rep) + " " + a.Street + " " + a.Postcode + " " + a.City)
	}},
	{"abbreviated, no postcode", func(a trueAddress) string {
		return strings.TrimSpace(a.Number+" "+a.Rep) + ", " + shortTypes.Replace(a.Street) + " " + a.City
	}},
	{"short repetition index, no commune", func(a trueAddress) string {
		return a.Number + shortRep[a.Rep] + " " + a.Street + " " + a.Postcode
	}},
	{"a typo", func(a trueAddress) string {
		return strings.TrimSpace(a.Number+" "+a.Rep) + " " + typo(a.Street) + " " + a.Postcode + " " + a.City
	}},
	{"all at once", func(a trueAddress) string {
		return geo.Fold(a.Number + shortRep[a.Rep] + " " + typo(shortTypes.Replace(a.Street)) + " " + a.City)
	}},
}

// accuracyFloor is the share of the Mont-Bonvillers queries whose first
// candidate lies within 25 m of the true point, below which the test
// fails. Measured: see the README (Measures).
const accuracyFloor = 0.98

// TestLocalGeocoderAccuracy writes each of the real addresses of
// Mont-Bonvillers in the ways people write them and counts the queries
// whose first candidate lies within 25 m of the address's true point.
func TestLocalGeocoderAccuracy(t *testing.T) {
	s := postgis.NewAddressStore(postgistest.New(t))
	importAddressFile(t, s, "ban-format-54084-mont-bonvillers.csv")
	addrs := readTrueAddresses(t)

	type miss struct{ query, got string }
	var mu sync.Mutex
	within := make([]int, len(variants))
	accepted := make([]int, len(variants))
	var misses []miss
	// A worker that fails cancels ctx: the feeder stops sending and the
	// other worker stops, so that Wait returns the first error.
	g, ctx := errgroup.WithContext(context.Background())
	work := make(chan int)
	g.Go(func() error {
		defer close(work)
		for i := range len(addrs) * len(variants) {
			select {
			case work <- i:
			case <-ctx.Done():
				return nil
			}
		}
		return nil
	})
	for range 2 {
		g.Go(func() error {
			for i := range work {
				a := addrs[i%len(addrs)]
				v := i / len(addrs)
				q := variants[v].write(a)
				cands, err := s.Geocode(ctx, geo.GeocodeQuery{Q: q})
				if err != nil {
					return fmt.Errorf("geocoding %q: %w", q, err)
				}
				mu.Lock()
				if best, state := geocoding.DefaultAcceptRule.Decide(cands); state == geo.GeocodeNone &&
					geo.Distance(best.Point, a.Point) <= 25 {
					accepted[v]++
				}
				if len(cands) > 0 && geo.Distance(cands[0].Point, a.Point) <= 25 {
					within[v]++
				} else {
					got := "nothing"
					if len(cands) > 0 {
						got = fmt.Sprintf("%s (%.2f, %.0f m)", cands[0].Label, cands[0].Score, geo.Distance(cands[0].Point, a.Point))
					}
					misses = append(misses, miss{q, got})
				}
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}

	total := 0
	for v, n := range within {
		total += n
		t.Logf("%-36s %d/%d within 25 m (%.1f %%), %d accepted without review", variants[v].name, n, len(addrs),
			100*float64(n)/float64(len(addrs)), accepted[v])
	}
	share := float64(total) / float64(len(addrs)*len(variants))
	t.Logf("all: %d/%d queries within 25 m (%.1f %%)", total, len(addrs)*len(variants), 100*share)
	for i, m := range misses {
		if i == 20 {
			t.Logf("... %d more", len(misses)-20)
			break
		}
		t.Logf("miss: %q -> %s", m.query, m.got)
	}
	if share < accuracyFloor {
		t.Errorf("%.1f %% within 25 m, below the floor of %.0f %%", 100*share, 100*accuracyFloor)
	}
}
