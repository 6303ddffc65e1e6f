package actorfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/internal/shareddata"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sharedData returns the directory of real public data shared by the
// project's tests, ../shared/data from the repository root.
func sharedData(t testing.TB) string {
	t.Helper()
	return shareddata.Dir(t)
}

// sectorsFixture keeps the sectors that the migrations seed, so that the
// parse tests run without a database; TestSectorsFixture checks it against
// a fresh one.
var sectorsFixture = filepath.Join("testdata", "sectors.json")

// seededSectors returns the sectors of sectorsFixture.
func seededSectors(tb testing.TB) []geo.Sector {
	tb.Helper()
	b, err := os.ReadFile(sectorsFixture)
	if err != nil {
		tb.Fatal(err)
	}
	var sectors []geo.Sector
	if err := json.Unmarshal(b, &sectors); err != nil {
		tb.Fatalf("%s: %v", sectorsFixture, err)
	}
	return sectors
}

// seededTaxonomy returns the sectors seeded by the migrations and, when
// withINSEE, the INSEE legal forms.
func seededTaxonomy(t testing.TB, defaultSector string, withINSEE bool) Taxonomy {
	t.Helper()
	tax := Taxonomy{Sectors: geo.NewSectorMatcher(seededSectors(t)), DefaultSector: defaultSector}
	if withINSEE {
		f, err := os.Open(filepath.Join(sharedData(t), "taxonomies", "annuaire-entreprises_categories-juridiques.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if tax.LegalForms, err = geo.LoadLegalForms(f); err != nil {
			t.Fatal(err)
		}
	}
	return tax
}

func parseFile(t *testing.T, path string, opt Options, tax Taxonomy) ([]Row, *Report) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, rep, err := Parse(f, filepath.Base(path), opt, tax)
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	if rep.Valid != len(rows) {
		t.Errorf("report says %d valid rows, got %d", rep.Valid, len(rows))
	}
	return rows, rep
}

// goldenRow is what the golden files keep of a row.
type goldenRow struct {
	Line        int
	Name        string
	Sectors     []string
	LegalForm   geo.LegalForm `json:",omitzero"`
	Kind        string        `json:",omitempty"`
	NAF         string        `json:",omitempty"`
	SIRET       string        `json:",omitempty"`
	Address     geo.Address
	Location    *geo.Point `json:",omitempty"`
	Geocoding   string     // source or state
	Description string     `json:",omitempty"`
	Website     string     `json:",omitempty"`
	Email       string     `json:",omitempty"`
	Phone       string     `json:",omitempty"`
	Status      geo.Status
	Source      string
	ExternalID  string `json:",omitempty"`
}

func checkGolden(t *testing.T, name string, rows []Row, rep *Report) {
	t.Helper()
	out := struct {
		Report *Report
		Rows   []goldenRow
	}{Report: rep}
	for _, r := range rows {
		a := r.Actor
		out.Rows = append(out.Rows, goldenRow{r.Line, a.Name, a.Sectors, a.LegalForm, a.Kind, a.NAF, a.SIRET,
			a.Address, a.Location, a.Geocoding.Source + a.Geocoding.State, a.Description, a.Website, a.Email,
			a.Phone, a.Status, a.Source, a.ExternalID})
	}
	got, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the parse; run go test -update and review the diff.\ngot:\n%s", path, got)
	}
}

func TestParseGolden(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		opt     Options
		deflt   string
		insee   bool
		wantErr bool
	}{
		{name: "cress-windows-1252", file: "cress-windows-1252.csv", insee: true},
		{name: "english-utf8-bom", file: "english-utf8-bom.csv", insee: true, opt: Options{Source: "ESS Charente-Maritime"}},
		{name: "bad-rows", file: "bad-rows.csv"},
		{name: "mapped", file: "mapped.csv", insee: true, opt: Options{
			Map:    map[string]string{"Intitulé": "name", "lieu": "city", "Domaine": "sector", "GPS lat": "latitude", "GPS lon": "longitude", "Type": "ignore"},
			Status: geo.StatusDraft, Source: "cress-na"}},
		{name: "mapped-sector", file: "mapped.csv", opt: Options{
			Map:    map[string]string{"Intitulé": "name", "Domaine": "sector"},
			Sector: "accompagnement-ess"}},
		{name: "features", file: "features.geojson", deflt: "autres", insee: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, rep := parseFile(t, filepath.Join("testdata", tt.file), tt.opt, seededTaxonomy(t, tt.deflt, tt.insee))
			checkGolden(t, tt.name, rows, rep)
		})
	}
}

func TestParseWindows1252Semicolon(t *testing.T) {
	rows, rep := parseFile(t, filepath.Join("testdata", "cress-windows-1252.csv"), Options{}, seededTaxonomy(t, "", true))
	if rep.Format != "csv" || rep.Encoding != "windows-1252" || rep.Delimiter != ";" {
		t.Errorf("format %s, encoding %s, delimiter %q; want csv, windows-1252, ;", rep.Format, rep.Encoding, rep.Delimiter)
	}
	if !slices.Equal(rep.Ignored, []string{"Observations"}) {
		t.Errorf("ignored %q, want [Observations]", rep.Ignored)
	}
	if rep.Columns["N° SIRET"] != "siret" || rep.Columns["Secteur d'activité"] != "sector" || rep.Columns["Courriel"] != "email" {
		t.Errorf("columns %v", rep.Columns)
	}
	if len(rows) != 4 || rep.Rows != 4 || len(rep.Failed) != 0 {
		t.Fatalf("%d rows, report %+v", len(rows), rep)
	}
	jardin := rows[0].Actor
	if jardin.Name != "Le Jardin des Cœurs" || jardin.Address.Street != "12 rue de l’Église" {
		t.Errorf("text not decoded from Windows-1252: %q, %q", jardin.Name, jardin.Address.Street)
	}
	if p := jardin.Location; p == nil || *p != (geo.Point{Lon: -0.4588, Lat: 46.3231}) || jardin.Geocoding.Source != geo.LocationFromFile {
		t.Errorf("decimal-comma point: %v, %+v", p, jardin.Geocoding)
	}
	if jardin.SIRET != "81234567800013" || jardin.Kind != "ACI" || jardin.LegalForm.Code != "9220" || jardin.Status != geo.StatusPublished {
		t.Errorf("jardin: %+v", jardin)
	}
	if rows[1].Actor.LegalForm.Code != "5458" {
		t.Errorf("SCOP SARL: %+v", rows[1].Actor.LegalForm)
	}
	cafe := rows[2].Actor
	if !slices.Equal(cafe.Sectors, []string{"culture", "tiers-lieux"}) || cafe.Location != nil || cafe.Geocoding.State != geo.GeocodePending {
		t.Errorf("café: sectors %q, location %v, geocoding %+v", cafe.Sectors, cafe.Location, cafe.Geocoding)
	}
	if got := rows[3].Actor.Address.Street; got != "Bâtiment A; 45 avenue de la Venise verte" {
		t.Errorf("quoted delimiter: street %q", got)
	}
	if got := rows[3].Actor.LegalForm; got != (geo.LegalForm{Label: "SCIC SAS", Family: geo.FamilyCooperative}) {
		t.Errorf("SCIC SAS: %+v", got)
	}
	for _, r := range rows {
		if r.Actor.Source != "cress-windows-1252" {
			t.Errorf("row %d: source %q, want the file name", r.Line, r.Actor.Source)
		}
	}
}

func TestParseUTF8BOMComma(t *testing.T) {
	rows, rep := parseFile(t, filepath.Join("testdata", "english-utf8-bom.csv"), Options{Source: "ESS 17"}, seededTaxonomy(t, "", false))
	if rep.Encoding != "utf-8-bom" || rep.Delimiter != "," {
		t.Errorf("encoding %s, delimiter %q", rep.Encoding, rep.Delimiter)
	}
	if rep.Columns["Name"] != "name" || rep.Columns["Lng"] != "longitude" || rep.Columns["E-mail"] != "email" || rep.Columns["ID"] != "external_id" {
		t.Errorf("columns %v (the BOM must not stick to the first header)", rep.Columns)
	}
	if len(rows) != 5 {
		t.Fatalf("%d rows, report %+v", len(rows), rep)
	}
	lines := []int{}
	for _, r := range rows {
		lines = append(lines, r.Line)
	}
	if !slices.Equal(lines, []int{2, 3, 4, 6, 7}) { // row 4 spans two lines
		t.Errorf("lines %v", lines)
	}
	if a := rows[1].Actor; a.Name != `Monnaie locale "La Cagouille"` || a.Source != "ESS 17" || a.ExternalID != "ML-2" {
		t.Errorf("row 3: %+v", a)
	}
	if a := rows[0].Actor; !slices.Equal(a.Sectors, []string{"mobilite", "accompagnement-ess"}) || a.LegalForm.Code != "5710" {
		t.Errorf("row 2: sectors %q, legal form %+v", a.Sectors, a.LegalForm)
	}
	if a := rows[4].Actor; a.Address.Postcode != "01000" || a.SIRET != "01234567800028" {
		t.Errorf("leading zeros not restored: %+v, %q", a.Address, a.SIRET)
	}
}

func TestParseBadRows(t *testing.T) {
	rows, rep := parseFile(t, filepath.Join("testdata", "bad-rows.csv"), Options{}, seededTaxonomy(t, "", false))
	kept := map[string]geo.Actor{}
	var names []string
	for _, r := range rows {
		names = append(names, r.Actor.Name)
		kept[r.Actor.Name] = r.Actor
	}
	if want := []string{"Garage solidaire", "Ressourcerie bis", "AMAP du Lambon", "Point nul"}; !slices.Equal(names, want) {
		t.Errorf("kept %q, want %q", names, want)
	}
	if rep.Rows != 10 || rep.Valid != 4 { // the empty line is not a row
		t.Errorf("rows %d, valid %d; want 10, 4", rep.Rows, rep.Valid)
	}
	type rf struct {
		row   int
		field string
	}
	var failed []rf
	reasons := map[rf]string{}
	for _, p := range rep.Failed {
		failed = append(failed, rf{p.Row, p.Field})
		reasons[rf{p.Row, p.Field}] = p.Reason
	}
	want := []rf{{4, "latitude"}, {5, "name"}, {8, "latitude"}, {9, "sector"}, {10, "longitude"},
		{11, "postcode"}, {11, "siret"}}
	if !slices.Equal(failed, want) {
		t.Errorf("failed %v, want %v", failed, want)
	}
	var warned []rf
	for _, p := range rep.Warnings {
		warned = append(warned, rf{p.Row, p.Field})
	}
	// A SIRET of 14 digits whose checksum fails is kept, to check (official
	// lists hold some); one that is not 14 digits fails the row.
	if want := []rf{{3, "siret"}, {7, "legal_form"}, {7, "sector"}, {12, "latitude"}}; !slices.Equal(warned, want) {
		t.Errorf("warnings %v, want %v", warned, want)
	}
	if a := kept["Ressourcerie bis"]; a.SIRET != "44123456700029" || a.SIRETValid() {
		t.Errorf("SIRET failing its checksum: %q", a.SIRET)
	}
	if a := kept["Point nul"]; a.Location != nil || a.Geocoding.State != geo.GeocodePending {
		t.Errorf("0,0 must be taken as no point: %+v", a)
	}
	if r := reasons[rf{4, "latitude"}]; !strings.Contains(r, `"abc"`) {
		t.Errorf("reason should quote the value: %q", r)
	}
}

func TestParseMappedColumns(t *testing.T) {
	opt := Options{Map: map[string]string{"Intitulé": "name", "Domaine": "sector", "GPS lat": "latitude", "GPS lon": "longitude", "Type": "ignore"}}
	rows, rep := parseFile(t, filepath.Join("testdata", "mapped.csv"), opt, seededTaxonomy(t, "", false))
	if len(rows) != 2 || rows[0].Actor.Location == nil || rows[0].Actor.Sectors[0] != "commerce-equitable" || rows[1].Actor.Sectors[0] != "reemploi" {
		t.Fatalf("rows %+v, report %+v", rows, rep)
	}
	if !slices.Equal(rep.Ignored, []string{"Lieu", "Type", "Commentaire"}) {
		t.Errorf("ignored %q", rep.Ignored)
	}
	if rows[0].Actor.Kind != "" || len(rep.Warnings) != 0 {
		t.Errorf("Type=ignore: kind %q, warnings %v", rows[0].Actor.Kind, rep.Warnings)
	}
}

func TestParseGeoJSONFixture(t *testing.T) {
	rows, rep := parseFile(t, filepath.Join("testdata", "features.geojson"), Options{}, seededTaxonomy(t, "autres", true))
	if rep.Format != "geojson" || rep.Rows != 7 || rep.Valid != 4 {
		t.Fatalf("report %+v", rep)
	}
	byName := map[string]geo.Actor{}
	for _, r := range rows {
		byName[r.Actor.Name] = r.Actor
	}
	fab := byName["La Fabrique"]
	if fab.ExternalID != "101" || fab.NAF != "56.21Z" || fab.Address.City != "Niort" || fab.Address.Street != "1 rue du Moulin" ||
		!slices.Equal(fab.Sectors, []string{"habitat", "tiers-lieux"}) || fab.Source != "presdecheznous" {
		t.Errorf("La Fabrique: %+v", fab)
	}
	if a := byName["Sans point"]; a.ExternalID != "b2" || a.Address.Postcode != "79000" || a.Location != nil ||
		a.Geocoding.State != geo.GeocodePending || !slices.Equal(a.Sectors, []string{"autres"}) {
		t.Errorf("Sans point: %+v", a)
	}
	if a := byName["Atelier de Pointe-à-Pitre"]; a.Location == nil || !slices.Equal(a.Sectors, []string{"insertion"}) {
		t.Errorf("a point outside France must be kept, the kind gives the sector: %+v", a)
	}
	if a := byName["Marque connue"]; a.LegalForm.Code != "9220" || a.Kind != "" || a.Website != "https://www.example.org" || a.Location != nil {
		t.Errorf("brand, kind read as legal form: %+v", a)
	}
	var failed []string
	for _, p := range rep.Failed {
		failed = append(failed, p.Field)
	}
	if !slices.Equal(failed, []string{"geometry", "geometry", ""}) || rep.Failed[0].Row != 3 || rep.Failed[2].Row != 7 {
		t.Errorf("failed %+v", rep.Failed)
	}
	if !slices.Equal(rep.Ignored, []string{"created_at", "open"}) {
		t.Errorf("ignored %q", rep.Ignored)
	}
}

// TestParseSIAE reads the national list of SIAE: every feature is kept,
// with its point when it has one. 13 structures have a SIRET that fails
// the checksum (among them 12345678901234): they are kept with a warning.
func TestParseSIAE(t *testing.T) {
	path := filepath.Join(sharedData(t), "actors", "siae-france.geojson")
	features, points := shareddata.CountFeatures(t, path)
	rows, rep := parseFile(t, path, Options{}, seededTaxonomy(t, "", true))
	if rep.Rows != features || rep.Valid != features || len(rep.Failed) != 0 {
		t.Errorf("rows %d, valid %d, failed %v; want %d, %d, none", rep.Rows, rep.Valid, rep.Failed, features, features)
	}
	warned := map[string]int{}
	for _, p := range rep.Warnings {
		warned[p.Field]++
	}
	// AUTRE, 3 times, is no legal form.
	if len(warned) != 2 || warned["siret"] != 13 || warned["legal_form"] != 3 {
		t.Errorf("warnings by field %v, want 13 siret and 3 legal_form", warned)
	}
	located, kinds := 0, map[string]int{}
	for _, r := range rows {
		a := r.Actor
		if a.Location != nil {
			located++
		} else if a.Geocoding.State != geo.GeocodePending {
			t.Errorf("row %d: no point and geocoding %+v", r.Line, a.Geocoding)
		}
		if !slices.Equal(a.Sectors, []string{"insertion"}) || a.SIRET == "" || a.Kind == "" || a.ExternalID == "" {
			t.Errorf("row %d: sectors %q, SIRET %q, kind %q, id %q", r.Line, a.Sectors, a.SIRET, a.Kind, a.ExternalID)
		}
		kinds[a.Kind]++
	}
	if located != points {
		t.Errorf("%d rows with a point, want %d", located, points)
	}
	if kinds["ACI"] == 0 || kinds["EI"] == 0 || kinds["GEIQ"] == 0 || kinds["EA"] == 0 {
		t.Errorf("kinds %v", kinds)
	}
	first := rows[0].Actor
	if first.Name != "Baluchon-À table citoyens" || first.SIRET != "80746931700018" || first.NAF != "56.21Z" ||
		first.Source != "ASP" || first.LegalForm.Code != "5499" {
		t.Errorf("first row: %+v", first)
	}
}

func TestParseTransiscope(t *testing.T) {
	path := filepath.Join(sharedData(t), "actors", "transiscope-niort-2020.geojson")
	features, _ := shareddata.CountFeatures(t, path)
	rows, rep := parseFile(t, path, Options{}, seededTaxonomy(t, "autres", false))
	if rep.Rows != features || rep.Valid != features || len(rep.Warnings) != 0 {
		t.Errorf("report %+v, want %d valid rows", rep, features)
	}
	if rep.Columns["title"] != "name" || rep.Columns["categories"] != "sector" || rep.Columns["postalCode"] != "postcode" {
		t.Errorf("columns %v", rep.Columns)
	}
	count := map[string]int{}
	for _, r := range rows {
		for _, s := range r.Actor.Sectors {
			count[s]++
		}
		if r.Actor.Source != "transiscope-niort-2020" || r.Actor.Location == nil {
			t.Errorf("row %d: %+v", r.Line, r.Actor)
		}
	}
	want := map[string]int{"alimentation": 51, "autres": 16, "education-populaire": 12, "habitat": 11,
		"accompagnement-ess": 6, "culture": 5, "reemploi": 5, "tiers-lieux": 4, "solidarites": 3, "finance-solidaire": 2}
	for s, n := range want {
		if count[s] != n {
			t.Errorf("%d actors in %s, want %d", count[s], s, n)
		}
	}
	a := rows[1].Actor // Les Paniers de la Sésinière
	if a.Name != "Les Paniers de la Sésinière" || !slices.Equal(a.Sectors, []string{"alimentation"}) || a.ExternalID != "3oEt" {
		t.Errorf("row 2: %+v", a)
	}
}

func TestParseFileErrors(t *testing.T) {
	tests := []struct {
		name, filename, content string
		opt                     Options
		field, want             string
	}{
		{"empty", "a.csv", "", Options{}, "file", "empty file"},
		{"blank", "a.csv", " \r\n\n", Options{}, "file", "empty file"},
		{"xlsx", "a.xlsx", "PK\x03\x04\x14\x00rest", Options{}, "file", "save it as CSV"},
		{"binary", "a.bin", "\x00\x01\x02abc", Options{}, "file", "binary"},
		{"json array", "a.json", `[{"name":"x"}]`, Options{}, "file", "not GeoJSON"},
		{"geojson not json", "a.geojson", "nom;ville\nx;y\n", Options{}, "file", "not GeoJSON"},
		{"bad json", "a.geojson", `{"type": "FeatureCollection", "features": [`, Options{}, "file", "not GeoJSON"},
		{"geometry only", "a.geojson", `{"type": "Point", "coordinates": [0, 45]}`, Options{}, "file", "not a GeoJSON FeatureCollection"},
		{"no name column", "a.csv", "ville;cp\nNiort;79000\n", Options{}, "file", "no name column"},
		{"no name property", "a.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"city":"Niort"}}]}`, Options{}, "file", "no name property"},
		{"unknown field", "a.csv", "nom\nx\n", Options{Map: map[string]string{"nom": "nam"}}, "map", `unknown field "nam"`},
		{"missing column", "a.csv", "nom\nx\n", Options{Map: map[string]string{"Raison": "name"}}, "map", `column "Raison" is not in the file`},
		{"missing property", "a.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"nom":"x"}}]}`,
			Options{Map: map[string]string{"titre": "name"}}, "map", `column "titre" is not in the file`},
		{"bad status", "a.csv", "nom\nx\n", Options{Status: "online"}, "status", "draft, published or archived"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, rep, err := Parse(strings.NewReader(tt.content), tt.filename, tt.opt, Taxonomy{})
			e, ok := errors.AsType[*geo.Error](err)
			if !ok || e.Code != geo.EInvalid || !strings.Contains(e.Fields[tt.field], tt.want) {
				t.Fatalf("Parse: %v; want EInvalid on %s containing %q", err, tt.field, tt.want)
			}
			if rows != nil || rep != nil {
				t.Errorf("rows %v, report %v on a whole-file error", rows, rep)
			}
		})
	}
}

func TestParseInMemory(t *testing.T) {
	tax := seededTaxonomy(t, "autres", false)
	t.Run("tab, sniffed without extension", func(t *testing.T) {
		rows, rep, err := Parse(strings.NewReader("Nom\tVille\tSecteurs\nLa Cagette\tNiort\tAMAP / Culture\n"), "", Options{}, tax)
		if err != nil || rep.Delimiter != "\t" || len(rows) != 1 || !slices.Equal(rows[0].Actor.Sectors, []string{"alimentation", "culture"}) {
			t.Fatalf("rows %+v, report %+v, err %v", rows, rep, err)
		}
		if rows[0].Actor.Source != "" {
			t.Errorf("source %q without a file name", rows[0].Actor.Source)
		}
	})
	t.Run("geojson content in a .csv", func(t *testing.T) {
		_, rep, err := Parse(strings.NewReader(` {"type":"Feature","geometry":null,"properties":{"name":"x"}}`), "export.csv", Options{}, tax)
		if err != nil || rep.Format != "geojson" || rep.Valid != 1 {
			t.Fatalf("report %+v, err %v", rep, err)
		}
	})
	t.Run("utf-16 with sep line", func(t *testing.T) {
		text := "sep=;\r\nNom;Latitude;Longitude\r\nÉcole du vélo;46,1;-0,4\r\n"
		data := []byte{0xff, 0xfe}
		for _, r := range text {
			data = append(data, byte(r), byte(r>>8))
		}
		rows, rep, err := Parse(bytes.NewReader(data), "export.txt", Options{}, tax)
		if err != nil || rep.Encoding != "utf-16le" || rep.Delimiter != ";" || len(rows) != 1 ||
			rows[0].Actor.Name != "École du vélo" || rows[0].Line != 3 || rows[0].Actor.Location == nil {
			t.Fatalf("rows %+v, report %+v, err %v", rows, rep, err)
		}
	})
	t.Run("coordinates cell and ragged rows", func(t *testing.T) {
		rows, rep, err := Parse(strings.NewReader("nom,geo_point_2d\n\"A\",\"46.32, -0.46\"\n\"B\"\n\"C\",\"46,32;-0,46\",extra\n"), "a.csv", Options{}, tax)
		if err != nil || len(rows) != 3 || *rows[0].Actor.Location != (geo.Point{Lon: -0.46, Lat: 46.32}) ||
			rows[1].Actor.Location != nil || *rows[2].Actor.Location != (geo.Point{Lon: -0.46, Lat: 46.32}) {
			t.Fatalf("rows %+v, report %+v, err %v", rows, rep, err)
		}
	})
	t.Run("duplicate columns: best alias first", func(t *testing.T) {
		rows, _, err := Parse(strings.NewReader("url,nom,site web\nhttps://fiche.example/1,A,https://a.example\nhttps://fiche.example/2,B,\n"), "a.csv", Options{}, tax)
		if err != nil || rows[0].Actor.Website != "https://a.example" || rows[1].Actor.Website != "https://fiche.example/2" {
			t.Fatalf("rows %+v, err %v", rows, err)
		}
	})
}

func TestParseMap(t *testing.T) {
	m, err := ParseMap([]string{"Raison sociale=name", " GPS lat = latitude", "a=b=sector", "Type=ignore"})
	want := map[string]string{"Raison sociale": "name", "GPS lat": "latitude", "a=b": "sector", "Type": "ignore"}
	if err != nil || len(m) != len(want) {
		t.Fatalf("ParseMap = %v, %v", m, err)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("m[%q] = %q, want %q", k, m[k], v)
		}
	}
	if m, err := ParseMap(nil); err != nil || len(m) != 0 {
		t.Errorf("ParseMap(nil) = %v, %v", m, err)
	}
	for _, specs := range [][]string{{"nom"}, {"=name"}, {"nom=nam"}, {"nom="}, {"Nom=name", "NOM=city"}} {
		_, err := ParseMap(specs)
		if e, ok := errors.AsType[*geo.Error](err); !ok || e.Code != geo.EInvalid || e.Fields["map"] == "" {
			t.Errorf("ParseMap(%q) = %v, want EInvalid on map", specs, err)
		}
	}
}

func TestHeaderMatch(t *testing.T) {
	hm, err := newHeaderMatcher(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"Nom": "name", "RAISON SOCIALE": "name", "Dénomination": "name", "Nom de la structure": "name",
		"Enseigne": "brand", "Adresse postale": "address", "code_postal": "postcode", "Code Postal": "postcode",
		"CP": "postcode", "postalCode": "postcode", "post_code": "postcode", "Localité": "city",
		"Code INSEE": "citycode", "N° SIRET": "siret", "Secteurs": "sector", "Catégories": "sector",
		"Thématique": "sector", "Type de structure": "kind", "Forme juridique": "legal_form",
		"Catégorie juridique": "legal_form", "Code APE": "naf", "Latitude (WGS 84)": "latitude",
		"Y": "latitude", "long": "longitude", "Site Internet": "website", "E-mail": "email",
		"Tél.": "phone", "Téléphone": "phone", "Présentation": "description", "Identifiant": "external_id",
		"external_id": "external_id", "Observations": "", "": "", "department": "",
	}
	for h, want := range tests {
		if got := hm.match(h).field; got != want {
			t.Errorf("match(%q) = %q, want %q", h, got, want)
		}
	}
}

func TestDetectDelimiter(t *testing.T) {
	tests := []struct {
		text string
		want rune
		sep  bool
	}{
		{"nom;ville\n", ';', false},
		{"nom,ville\n", ',', false},
		{"nom\tville\n", '\t', false},
		{"nom\n", ',', false},
		{"\"nom, prénom\";ville\n", ';', false},
		{"\"a;b;c\",d\n", ',', false},
		{"a;b,c\nx,y,z,w\n", ';', false},
		{"\r\n\r\nnom;ville", ';', false},
		{"sep=;\nnom,ville;x\n", ';', true},
		{"sep=,\r\nnom;ville\n", ',', true},
	}
	for _, tt := range tests {
		if got, sep := detectDelimiter(tt.text); got != tt.want || sep != tt.sep {
			t.Errorf("detectDelimiter(%q) = %q, %v; want %q, %v", tt.text, got, sep, tt.want, tt.sep)
		}
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"46.3231", 46.3231, true}, {"46,3231", 46.3231, true}, {" -0,4588 ", -0.4588, true},
		{"45", 45, true}, {"abc", 0, false}, {"1,234.5", 0, false}, {"1,2,3", 0, false},
		{"Inf", 0, false}, {"NaN", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		if got, ok := parseNumber(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("parseNumber(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzParse checks that Parse never panics and keeps its report consistent,
// whatever the file. Its seed corpus is the fixtures in testdata.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"cress-windows-1252.csv", "english-utf8-bom.csv", "bad-rows.csv", "mapped.csv", "features.geojson"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, filepath.Ext(name))
	}
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"geometry":{"type":"Point","coordinates":[1e400,"x"]},"properties":{"name":{"a":[1]}}}]}`), ".geojson")
	f.Add([]byte("nom;lat;lon\n\"x;1;2\n"), ".csv")
	tax := seededTaxonomy(f, "autres", false)
	f.Fuzz(func(t *testing.T, data []byte, ext string) {
		rows, rep, err := Parse(bytes.NewReader(data), "fuzz"+ext, Options{}, tax)
		if err != nil {
			if geo.ErrorCode(err) != geo.EInvalid {
				t.Fatalf("error %v is not EInvalid", err)
			}
			return
		}
		if rep.Valid != len(rows) || rep.Valid > rep.Rows {
			t.Fatalf("report %d valid of %d rows, %d rows returned", rep.Valid, rep.Rows, len(rows))
		}
		for _, r := range rows {
			if err := r.Actor.ValidateImported(); err != nil {
				t.Fatalf("row %d kept but invalid: %v", r.Line, err)
			}
		}
	})
}

// TestParseOwnExport reads back the CSV columns of maillage's export.
func TestParseOwnExport(t *testing.T) {
	in := "id,name,sectors,kind,legal_form_code,legal_form,ess_family,naf,siret,address,postcode,city,citycode,longitude,latitude,location_source,website,email,phone,description,networks,projects,expertise,status,source,attribution,created_at,updated_at\n" +
		"7,La Cagette,alimentation|culture,,9220,Association déclarée,association,56.10A,,1 rue X,79000,Niort,79191,-0.46,46.32,file,https://cagette.example,,,Épicerie,,,,published,cress,© CRESS,2026-01-01,2026-01-02\n"
	rows, rep, err := Parse(strings.NewReader(in), "export.csv", Options{}, seededTaxonomy(t, "", false))
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows %+v, report %+v, err %v", rows, rep, err)
	}
	a := rows[0].Actor
	if a.LegalForm.Code != "9220" || !slices.Equal(a.Sectors, []string{"alimentation", "culture"}) || a.Address.Citycode != "79191" ||
		a.Location == nil || a.Source != "cress" || a.ExternalID != "7" || a.NAF != "56.10A" || len(rep.Warnings) != 0 {
		t.Errorf("actor %+v, warnings %v", a, rep.Warnings)
	}
}
