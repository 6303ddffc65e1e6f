package actorfile

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maillage/maillage/geo"
)

// exported is an actor with every field that exports carry.
func exported() *geo.Actor {
	return &geo.Actor{ID: 7, Name: "La Collecterie", Sectors: []string{"insertion", "reemploi"},
		LegalForm: geo.LegalForm{Code: "9220", Label: "Association déclarée", Family: "association"},
		Kind:      "ACI", NAF: "88.99B", SIRET: "75187049400026",
		Address:  geo.Address{Street: "18 rue Saint-Antoine", Postcode: "93100", City: "Montreuil", Citycode: "93048"},
		Location: &geo.Point{Lon: 2.455, Lat: 48.865}, Geocoding: geo.Geocoding{Source: geo.LocationFromFile},
		Description: "Ressourcerie", Website: "https://example.org", Email: "contact@example.org", Phone: "01 02 03 04 05",
		ContactPublic: true, Networks: []string{"Réseau des ressourceries"}, Projects: []string{}, Expertise: []string{"réemploi"},
		Status: geo.StatusPublished, Source: "CRESS", ExternalID: "",
		CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), UpdatedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// TestCSVExportReadsBack writes an actor as CSV and imports the file
// again: every field the import reads comes back.
func TestCSVExportReadsBack(t *testing.T) {
	a := exported()
	var file bytes.Buffer
	w := csv.NewWriter(&file)
	w.Write(CSVHeader)
	w.Write(CSVRecord(a, "© CRESS", false))
	w.Flush()
	tax := Taxonomy{Sectors: geo.NewSectorMatcher([]geo.Sector{{Slug: "insertion", Label: "Insertion"},
		{Slug: "reemploi", Label: "Réemploi"}})}
	rows, rep, err := Parse(&file, "acteurs.csv", Options{}, tax)
	if err != nil || len(rows) != 1 || len(rep.Failed) != 0 {
		t.Fatalf("%v, %d rows, report %+v", err, len(rows), rep)
	}
	got := rows[0].Actor
	if got.Name != a.Name || !slices.Equal(got.Sectors, a.Sectors) || got.LegalForm != a.LegalForm ||
		got.Kind != a.Kind || got.NAF != a.NAF || got.SIRET != a.SIRET || got.Address != a.Address ||
		got.Location == nil || *got.Location != *a.Location || got.Description != a.Description ||
		got.Website != a.Website || got.Email != a.Email || got.Phone != a.Phone ||
		got.Status != a.Status || got.Source != a.Source || got.ExternalID != "7" {
		t.Errorf("read back\n%+v\nwant\n%+v", got, *a)
	}
}

// TestExportFeature checks the GeoJSON form of an exported actor.
func TestExportFeature(t *testing.T) {
	b, err := json.Marshal(ExportFeature(exported(), "© CRESS"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Type     string
		ID       int64
		Geometry struct {
			Type        string
			Coordinates []float64
		}
		Properties map[string]any
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	p := f.Properties
	if f.Type != "Feature" || f.ID != 7 || f.Geometry.Type != "Point" || !slices.Equal(f.Geometry.Coordinates, []float64{2.455, 48.865}) ||
		p["name"] != "La Collecterie" || p["attribution"] != "© CRESS" || p["email"] != "contact@example.org" || p["siret_valid"] != true {
		t.Errorf("feature %s", b)
	}
	a := exported()
	a.Location = nil
	if b, _ := json.Marshal(ExportFeature(a, "")); !strings.Contains(string(b), `"geometry":null`) {
		t.Errorf("an actor without a point: %s", b)
	}
}

func TestJoinAttributions(t *testing.T) {
	got := JoinAttributions(map[string]string{"asp": "© ASP", "transiscope": "© Transiscope, ODbL", "cress": "© ASP"})
	if got != "© ASP ; © Transiscope, ODbL" {
		t.Errorf("JoinAttributions = %q", got)
	}
}

// TestExportHidesPrivateContacts checks that contacts without consent
// leave no trace in either format.
func TestExportHidesPrivateContacts(t *testing.T) {
	a := exported()
	a.ContactPublic = false
	rec := CSVRecord(a, "", false)
	b, err := json.Marshal(ExportFeature(a, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(rec, string(b)) {
		if strings.Contains(s, a.Email) || strings.Contains(s, a.Phone) {
			t.Errorf("a private contact is exported: %s", s)
		}
	}
	if rec := CSVRecord(a, "", true); rec[slices.Index(CSVHeader, "email")] != a.Email || rec[slices.Index(CSVHeader, "phone")] != a.Phone {
		t.Errorf("a keeper's CSV lacks the contacts: %v", rec)
	}
}
