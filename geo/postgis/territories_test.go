package postgis_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/geo/territoryfile"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/shareddata"
)

// importTerritoryFile imports a file of territories into db.
func importTerritoryFile(t testing.TB, db *postgis.DB, path string, opt territoryfile.Options) *geo.TerritoryImportResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im := &territoryfile.Importer{Store: postgis.NewTerritoryStore(db)}
	res, err := im.Import(context.Background(), f, path, opt, nil)
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	return res
}

func TestImportTerritoriesFinistere(t *testing.T) {
	ctx := context.Background()
	db := postgistest.New(t)
	store := postgis.NewTerritoryStore(db)
	path := shareddata.Dir(t, "territories", "communes-29-finistere.geojson")

	res := importTerritoryFile(t, db, path, territoryfile.Options{})
	if res.Rows != 279 || res.Created != 279 || len(res.Failed) != 0 {
		t.Fatalf("first import: rows %d created %d failed %v", res.Rows, res.Created, res.Failed)
	}
	if res.Derived == 0 {
		t.Errorf("no EPCI or département polygon built from the communes")
	}
	// The two 2018 communes merged since have no population.
	if !slices.Equal(res.CommunesWithoutPopulation, []string{"29129", "29219"}) {
		t.Errorf("communes without population %v", res.CommunesWithoutPopulation)
	}
	again := importTerritoryFile(t, db, path, territoryfile.Options{})
	if again.Created != 0 || again.Updated != 0 || again.Unchanged != 279 || again.Derived != 0 {
		t.Errorf("second import changed something: %+v", again)
	}

	brest, err := store.FindTerritory(ctx, "", "29019", true)
	if err != nil {
		t.Fatal(err)
	}
	if brest.Name != "Brest" || brest.Level != geo.LevelCommune || brest.Departement != "29" || brest.EPCI == "" ||
		brest.Population == nil || *brest.Population < 100000 || len(brest.Geometry) == 0 || brest.Point == nil {
		t.Fatalf("Brest = %+v", brest)
	}
	dep, err := store.FindTerritory(ctx, geo.LevelDepartement, "29", true)
	if err != nil {
		t.Fatal(err)
	}
	if dep.GeomSource != "union" || dep.Population == nil || *dep.Population < 900000 {
		t.Errorf("département 29 = %+v", dep)
	}
	epci, err := store.FindTerritory(ctx, "", brest.EPCI, false)
	if err != nil {
		t.Fatal(err)
	}
	if epci.Level != geo.LevelEPCI || !strings.Contains(epci.Name, "Brest") || epci.GeomSource != "union" {
		t.Errorf("Brest's EPCI = %+v", epci)
	}
	if _, err := store.FindTerritory(ctx, "", "99999", false); geo.ErrorCode(err) != geo.ENotFound {
		t.Errorf("unknown code: %v", err)
	}
	found, err := store.FindTerritories(ctx, geo.TerritoryFilter{Levels: []string{geo.LevelCommune},
		Within: &geo.TerritoryRef{Level: geo.LevelEPCI, Code: brest.EPCI}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 8 || found[0].Code != "29019" {
		t.Errorf("communes of Brest métropole: %d, first %+v", len(found), found[0])
	}
	found, err = store.FindTerritories(ctx, geo.TerritoryFilter{Q: "quimper", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 || !strings.HasPrefix(strings.ToLower(found[0].Name), "quimper") && !strings.Contains(found[0].Name, "Quimper") {
		t.Errorf("search quimper: %+v", found)
	}
}

func TestImportTerritoriesBadRows(t *testing.T) {
	db := postgistest.New(t)
	res := importTerritoryFile(t, db, "../territoryfile/testdata/bad-communes.geojson", territoryfile.Options{})
	if res.Rows != 8 || res.Created != 3 {
		t.Errorf("rows %d created %d, want 8 and 3 (Bonne, Papillon, Sans polygone)", res.Rows, res.Created)
	}
	want := map[int]string{
		3: "no area left",    // a flat polygon
		4: "missing code",    // no code
		5: "duplicated code", // 29901 again
		6: "number",          // population "beaucoup"
		7: "not closed",      // an open ring
	}
	for _, f := range res.Failed {
		if w, ok := want[f.Row]; !ok || !strings.Contains(f.Reason, w) {
			t.Errorf("row %d failed: %s (want %q)", f.Row, f.Reason, want[f.Row])
		}
		delete(want, f.Row)
	}
	for row, w := range want {
		t.Errorf("row %d not reported (%s)", row, w)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Row != 2 || !strings.Contains(res.Warnings[0].Reason, "ST_MakeValid") {
		t.Errorf("warnings %+v, want the bow tie of row 2 repaired", res.Warnings)
	}
	var n int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM territories WHERE level = 'commune'`).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d communes stored (%v), want 3", n, err)
	}
	if !slices.Equal(res.CommunesWithoutPoint, []string{"29906"}) {
		t.Errorf("communes without point %v", res.CommunesWithoutPoint)
	}
}

func TestActorPlaces(t *testing.T) {
	ctx := context.Background()
	db := postgistest.New(t)
	actors := postgis.NewActorStore(db)
	importTerritoryFile(t, db, shareddata.Dir(t, "territories", "communes-29-finistere.geojson"), territoryfile.Options{})
	importTerritoryFile(t, db, shareddata.Dir(t, "territories", "communes-france-2026.csv"), territoryfile.Options{})

	inBrest := newActor("Dans Brest", "insertion")
	inBrest.Location = &geo.Point{Lon: -4.486, Lat: 48.390}
	inBrest.Address = geo.Address{Postcode: "29200", City: "Brest"}
	byCitycode := newActor("Par code commune", "insertion")
	byCitycode.Address = geo.Address{City: "Niort", Citycode: "79191"}
	byPostcode := newActor("Par code postal", "insertion")
	byPostcode.Address = geo.Address{Postcode: "17000", City: "La Rochelle"}
	nowhere := newActor("Nulle part", "insertion")
	for _, a := range []*geo.Actor{inBrest, byCitycode, byPostcode, nowhere} {
		if err := actors.CreateActor(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		a    *geo.Actor
		want *geo.ActorPlace
	}{
		{inBrest, &geo.ActorPlace{Commune: "29019", EPCI: "242900314", Departement: "29", Method: "polygon"}},
		{byCitycode, &geo.ActorPlace{Commune: "79191", EPCI: "200041317", Departement: "79", Method: "citycode"}},
		{byPostcode, &geo.ActorPlace{Commune: "17300", EPCI: "241700434", Departement: "17", Method: "postcode"}},
		{nowhere, nil},
	} {
		got, err := actors.FindActorByID(ctx, c.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if (got.Place == nil) != (c.want == nil) || got.Place != nil && *got.Place != *c.want {
			t.Errorf("%s placed in %+v, want %+v", c.a.Name, got.Place, c.want)
		}
	}
	// Moving an actor (to Quimper) places it again.
	upd := geo.ActorUpdate{Location: &geo.Point{Lon: -4.102, Lat: 47.996}}
	if _, err := actors.UpdateActor(ctx, inBrest.ID, upd); err != nil {
		t.Fatal(err)
	}
	got, _ := actors.FindActorByID(ctx, inBrest.ID)
	if got.Place == nil || got.Place.Commune != "29232" {
		t.Errorf("moved to Quimper, placed in %+v", got.Place)
	}
}

// TestTerritoryZone reads the configured territory from the imported
// polygons: once per version of their rows, again after an import.
func TestTerritoryZone(t *testing.T) {
	ctx := context.Background()
	db := postgistest.New(t)
	importTerritoryFile(t, db, shareddata.Dir(t, "territories", "communes-29-finistere.geojson"), territoryfile.Options{})
	refs, err := geo.ParseTerritoryRefs("29, 29019,departement:17", "territory")
	if err != nil {
		t.Fatal(err)
	}
	zone := postgis.NewTerritoryZone(db, refs)
	areas, err := zone.Areas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	missing, err := zone.Missing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(areas) != 2 || areas[1].Name != "Brest" || !slices.Equal(missing, []string{"17"}) {
		t.Fatalf("areas %d (%v), missing %v; want 29 and Brest, 17 missing", len(areas), areas, missing)
	}
	quimper, niort, laRochelle := geo.Point{Lon: -4.10, Lat: 47.996}, geo.Point{Lon: -0.46, Lat: 46.32}, geo.Point{Lon: -1.15, Lat: 46.16}
	if w := geo.OutsideWarning(quimper, areas); w != "" {
		t.Errorf("Quimper: %q", w)
	}
	if w := geo.OutsideWarning(niort, areas); !strings.Contains(w, "configured territory") || !strings.Contains(w, "Brest") {
		t.Errorf("Niort: %q", w)
	}
	if areas[1].Contains(quimper) {
		t.Errorf("Quimper lies in Brest's polygon")
	}
	again, err := zone.Areas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if &again[0] != &areas[0] {
		t.Errorf("the polygons were read again while their rows did not change")
	}
	importTerritoryFile(t, db, shareddata.Dir(t, "territories", "departements-simplified.geojson"),
		territoryfile.Options{Level: geo.LevelDepartement})
	areas, err = zone.Areas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if missing, _ := zone.Missing(ctx); len(areas) != 3 || len(missing) != 0 {
		t.Fatalf("after importing the départements: %d areas, missing %v", len(areas), missing)
	}
	if w := geo.OutsideWarning(laRochelle, areas); w != "" {
		t.Errorf("La Rochelle: %q", w)
	}
	if w := geo.OutsideWarning(niort, areas); w == "" {
		t.Errorf("Niort (Deux-Sèvres) is not warned of")
	}
	if _, err := geo.ParseTerritoryRefs("29,Finistère", "territory"); geo.ErrorCode(err) != geo.EInvalid {
		t.Errorf("a name instead of a code: %v", err)
	}
}

// TestFindCommunesByName searches the 35,000 communes of the national
// points file by name as people type it: accents, case, hyphens and
// apostrophes ignored, names starting with the words first, and the
// trigram index used rather than a scan of every commune.
func TestFindCommunesByName(t *testing.T) {
	ctx := context.Background()
	db := postgistest.New(t)
	store := postgis.NewTerritoryStore(db)
	importTerritoryFile(t, db, shareddata.Dir(t, "territories", "communes-france-points-2018.csv"), territoryfile.Options{})
	if _, err := db.Pool.Exec(ctx, `ANALYZE territories`); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		q, first, code string
	}{
		{"evreux", "Évreux", "27229"},
		{"ÉVREUX", "Évreux", "27229"},
		{"saint malo", "Saint-Malo", "35288"},
		{"ile d yeu", "Île-d'Yeu", "85113"},
		{"ÎLE-D’YEU", "Île-d'Yeu", "85113"},
		{"niort", "Niort", "79191"},
		{"79191", "Niort", "79191"},
	} {
		found, err := store.FindTerritories(ctx, geo.TerritoryFilter{Levels: []string{geo.LevelCommune}, Q: tt.q, Limit: 8})
		if err != nil {
			t.Fatal(err)
		}
		if len(found) == 0 || found[0].Name != tt.first || found[0].Code != tt.code || found[0].Point == nil {
			var names []string
			for _, f := range found {
				names = append(names, f.Code+" "+f.Name)
			}
			t.Errorf("q=%q: %v, want %s %s first", tt.q, names, tt.code, tt.first)
		}
	}
	// "%" and "_" are letters here, not wildcards.
	if found, err := store.FindTerritories(ctx, geo.TerritoryFilter{Levels: []string{geo.LevelCommune}, Q: "%_%", Limit: 5}); err != nil || len(found) != 0 {
		t.Errorf("q=%%_%%: %d communes, %v", len(found), err)
	}

	// The plan of a name search reads the trigram index.
	rows, err := db.Pool.Query(ctx, `EXPLAIN `+postgis.FindTerritoriesSQL, pgx.NamedArgs{"levels": []string{"commune"},
		"wlevel": nil, "wcode": nil, "q": "%saint_malo%", "qstart": "saint_malo%", "qcode": "SAINT MALO", "limit": 8})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(plan, "\n"); !strings.Contains(text, "territories_name") {
		t.Errorf("the name search does not use the index territories_name:\n%s", text)
	}
}
