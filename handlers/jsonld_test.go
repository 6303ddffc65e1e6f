package handlers_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/maillage/maillage/handlers"
)

// TestActorPageJSONLD: /acteurs/{id} describes the actor as a schema.org
// Organization in a JSON-LD script that a name with </script> cannot end.
func TestActorPageJSONLD(t *testing.T) {
	srv := newTestServer(t, func(o *handlers.Options) {
		o.PublicURL, _ = url.Parse("https://carte.example.org")
		o.Frontend = fstest.MapFS{"index.html": {Data: []byte("<!doctype html><html><head>\n" +
			`<title>maillage</title><meta name="description" content="carte"></head><body></body></html>`)}}
	})
	name := `Atelier </script><script>alert(1)</script> & Cie`
	var a actorOut
	if status := srv.do(t, "POST", "/api/actors", map[string]any{"name": name, "sectors": []string{"insertion"},
		"siret": "73282932000074", "website": "https://atelier.example.org", "status": "published",
		"address":  map[string]string{"street": "2 rue de Siam", "postcode": "29200", "city": "Brest"},
		"location": map[string]any{"type": "Point", "coordinates": []float64{-4.49, 48.39}}}, true, &a); status != 201 {
		t.Fatalf("create: %d", status)
	}
	resp, err := http.Get(fmt.Sprintf("%s/acteurs/%d", srv.URL, a.ID))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(page), "<script>alert") {
		t.Fatalf("the name ends the script element:\n%s", page)
	}
	m := regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no JSON-LD in\n%s", page)
	}
	var ld struct {
		Context string `json:"@context"`
		Type    string `json:"@type"`
		Name    string
		URL     string
		Page    string `json:"mainEntityOfPage"`
		SameAs  []string
		Address struct{ StreetAddress, PostalCode, AddressLocality string }
		Geo     struct{ Latitude, Longitude float64 }
	}
	if err := json.Unmarshal(m[1], &ld); err != nil {
		t.Fatalf("%v in %s", err, m[1])
	}
	if ld.Context != "https://schema.org" || ld.Type != "Organization" || ld.Name != name ||
		ld.URL != "https://atelier.example.org" || ld.Page != fmt.Sprintf("https://carte.example.org/acteurs/%d", a.ID) ||
		ld.Address.PostalCode != "29200" || ld.Address.AddressLocality != "Brest" || ld.Geo.Latitude != 48.39 ||
		len(ld.SameAs) != 2 || ld.SameAs[1] != "https://annuaire-entreprises.data.gouv.fr/etablissement/73282932000074" {
		t.Errorf("JSON-LD %+v", ld)
	}
}
