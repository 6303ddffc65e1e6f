package actorfile

import (
	"context"
	"strings"
	"testing"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
)

// TestImportFlagsDuplicates: a row repeating an actor of the directory by
// SIRET (with another structure type), or by a similar name within 300 m,
// is imported and flagged in the report's warnings.
func TestImportFlagsDuplicates(t *testing.T) {
	db := postgistest.New(t)
	im := &Importer{Store: postgis.NewActorStore(db), Sectors: postgis.NewSectorStore(db), DefaultSector: "autres"}
	ctx := context.Background()
	first := "nom;siret;type;latitude;longitude\nLa Recyclerie du Marais;80746931700018;ACI;46,3239;-0,4588\n"
	if _, err := im.Import(ctx, strings.NewReader(first), "a.csv", Options{Source: "A"}, nil); err != nil {
		t.Fatal(err)
	}
	second := "nom;siret;type;commune;latitude;longitude\n" +
		"Recyclerie du Marais;;;Niort;46,3240;-0,4575\n" + // similar name, 100 m away
		"Atelier vélo;80746931700018;AI;Niort;47,0;0,1\n" + // same SIRET, another structure type
		"Recyclerie du Marais;;;Parthenay;46,5;-0,4588\n" + // similar name, 20 km away
		"Épicerie solidaire;;;Niort;46,3239;-0,4588\n" // another name, same place
	res, err := im.Import(ctx, strings.NewReader(second), "b.csv", Options{Source: "B"}, nil)
	if err != nil || res.Created != 4 {
		t.Fatalf("import: %v %+v", err, res)
	}
	var got []string
	for _, w := range res.Report.Warnings {
		if w.Field == "duplicate" {
			got = append(got, w.Reason)
		}
	}
	if len(got) != 2 || !strings.Contains(got[0], "a similar name within 300 m") || !strings.Contains(got[1], "the same SIRET") ||
		!strings.Contains(got[0], `"La Recyclerie du Marais"`) {
		t.Errorf("duplicate warnings = %q", got)
	}
}
