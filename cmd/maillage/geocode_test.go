package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maillage/maillage/internal/postgistest"
)

// TestGeocodeCommand imports the addresses of Mont-Bonvillers for the
// local geocoder, then actors without coordinates, and geocodes them with
// no network.
func TestGeocodeCommand(t *testing.T) {
	ctx := context.Background()
	vars := map[string]string{"DATABASE_URL": postgistest.NewURL(t), "MAILLAGE_GEOCODER": "local"}
	runOut := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, append([]string{"maillage"}, args...), testEnv(vars), &out, io.Discard); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	out := runOut("addresses", "import", filepath.Join(sharedData(t), "geocoder", "bal-54084-mont-bonvillers.csv"))
	if !strings.Contains(out, "486 addresses on 21 streets (bal layout)") {
		t.Errorf("addresses import: %s", out)
	}
	csvPath := filepath.Join(t.TempDir(), "acteurs.csv")
	os.WriteFile(csvPath, []byte("nom;adresse;code postal;ville\n"+
		"Atelier Joffre;4 r. Joffre;54111;Mont-Bonvillers\n"+
		"Épicerie solidaire;1 bis rue de bonvillers;;MONT BONVILLERS\n"+
		"Recyclerie;12 rue Joffre;54111;Mont-Bonvillers\n"+
		"Inconnue;3 chemin de nulle part;99999;Ailleurs\n"), 0o644)
	runOut("import", "--sector", "reemploi", csvPath)
	out = runOut("geocode")
	if !strings.Contains(out, "geocoded 4 actors") || !strings.Contains(out, "2 accepted, 1 to review, 1 not found") {
		t.Errorf("geocode: %s", out)
	}
	if out = runOut("geocode"); !strings.Contains(out, "geocoded 0 actors") {
		t.Errorf("second geocode: %s", out)
	}
	vars["MAILLAGE_GEOCODER"] = "local,google"
	if err := run(ctx, []string{"maillage", "geocode"}, testEnv(vars), io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), `unknown geocoder "google"`) {
		t.Errorf("unknown geocoder: %v", err)
	}
}
