package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/maillage/maillage/internal/postgistest"
)

// download returns the body of a GET that must answer 200.
func download(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s %v", url, resp.StatusCode, body[:min(len(body), 300)], err)
	}
	return body
}

// taxonomyValues reads the value column of a data·inclusion table.
func taxonomyValues(t *testing.T, name string) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join(sharedData(t), "taxonomies", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]bool{}
	for _, r := range rows[1:] {
		values[r[0]] = true
	}
	return values
}

// TestDataInclusionRoundTrip exports the SIAE in the data·inclusion
// schema (CSV and JSON), imports each export into an empty database with
// `maillage import --schema data-inclusion` and exports again: the same
// bytes. Every typology and network exported is in data·inclusion's
// tables.
func TestDataInclusionRoundTrip(t *testing.T) {
	env := map[string]string{"DATABASE_URL": postgistest.NewURL(t)}
	runOK(t, env, "import", "--sector", "insertion", "--source", "ASP", filepath.Join(sharedData(t), "actors", "siae-france.geojson"))
	base := startServe(t, env)
	dir := t.TempDir()
	for _, ext := range []string{"csv", "json"} {
		t.Run(ext, func(t *testing.T) {
			first := download(t, base+"/api/actors."+ext+"?schema=data-inclusion")
			file := filepath.Join(dir, "structures."+ext)
			if err := os.WriteFile(file, first, 0o644); err != nil {
				t.Fatal(err)
			}
			env2 := map[string]string{"DATABASE_URL": postgistest.NewURL(t)}
			runOK(t, env2, "import", "--schema", "data-inclusion", file)
			second := download(t, startServe(t, env2)+"/api/actors."+ext+"?schema=data-inclusion")
			if !bytes.Equal(first, second) {
				a, b := bytes.Split(first, []byte("\n")), bytes.Split(second, []byte("\n"))
				for i := range min(len(a), len(b)) {
					if !bytes.Equal(a[i], b[i]) {
						t.Fatalf("the exports differ at line %d (of %d and %d):\n%s\n%s", i+1, len(a), len(b), a[i], b[i])
					}
				}
				t.Fatalf("the exports differ: %d and %d lines", len(a), len(b))
			}
			if ext != "json" {
				return
			}
			var structures []struct {
				Nom             string
				Typologie       *string
				ReseauxPorteurs []string `json:"reseaux_porteurs"`
			}
			if err := json.Unmarshal(first, &structures); err != nil {
				t.Fatal(err)
			}
			if len(structures) != 3853 {
				t.Errorf("%d structures, want the 3,853 SIAE", len(structures))
			}
			typologies := taxonomyValues(t, "data-inclusion_typologies_de_structures.csv")
			networks := taxonomyValues(t, "data-inclusion_reseaux_porteurs_v1.csv")
			for _, s := range structures {
				if s.Typologie == nil || !typologies[*s.Typologie] {
					t.Fatalf("%s: typologie %v is not a data·inclusion typology", s.Nom, s.Typologie)
				}
				for _, n := range s.ReseauxPorteurs {
					if !networks[n] {
						t.Fatalf("%s: %q is not a data·inclusion network", s.Nom, n)
					}
				}
			}
		})
	}
}
