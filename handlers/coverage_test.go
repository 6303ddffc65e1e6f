package handlers_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/geo/territoryfile"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/shareddata"
)

// coverageServer is the real router on a database holding the polygons of
// Finistère and Charente-Maritime, the national commune table and points,
// the SIAE of France and the Transiscope actors.
type coverageServer struct {
	*httptest.Server
	actors *postgis.ActorStore
	db     *postgis.DB
	cov    *postgis.CoverageStore
}

func newCoverageServer(t *testing.T) *coverageServer {
	t.Helper()
	ctx := context.Background()
	db := postgistest.New(t)
	actors, sectors, tokens := postgis.NewActorStore(db), postgis.NewSectorStore(db), postgis.NewTokenStore(db)
	terr := postgis.NewTerritoryStore(db)
	tim := &territoryfile.Importer{Store: terr}
	for _, name := range []string{"communes-29-finistere.geojson", "communes-17-charente-maritime.geojson",
		"communes-france-points-2018.csv", "communes-france-2026.csv"} {
		path := shareddata.Dir(t, "territories", name)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tim.Import(ctx, f, path, territoryfile.Options{Attribution: "IGN / COG (Licence Ouverte 2.0)"}, nil)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	im := &actorfile.Importer{Store: actors, Sectors: sectors, DefaultSector: "autres"}
	for _, a := range []struct {
		name string
		opt  actorfile.Options
	}{
		{"siae-france.geojson", actorfile.Options{Sector: "insertion", Source: "ASP", Attribution: "Liste des SIAE"}},
		{"transiscope-niort-2020.geojson", actorfile.Options{Source: "Transiscope", Attribution: "Transiscope (ODbL)"}},
	} {
		path := shareddata.Dir(t, "actors", a.name)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = im.Import(ctx, f, path, a.opt, nil)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", a.name, err)
		}
	}
	cov := postgis.NewCoverageStore(db)
	if _, err := cov.RefreshCoverage(ctx, 2); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handlers.NewServer(slog.New(slog.DiscardHandler), handlers.Deps{
		Actors: actors, Sectors: sectors, Auth: tokens, Importer: im, DB: db,
		Territories: terr, TerritoryImporter: tim, Coverage: cov,
	}, handlers.DefaultOptions()))
	t.Cleanup(srv.Close)
	return &coverageServer{Server: srv, actors: actors, db: db, cov: cov}
}

// sameCoverage fails unless the stored figures of the communes of dep for
// sectors agree with those computed live: the same counts, distances
// within a millimetre.
func (s *coverageServer) sameCoverage(t *testing.T, dep string, sectors []string) {
	t.Helper()
	q := geo.CoverageQuery{Within: &geo.TerritoryRef{Level: geo.LevelDepartement, Code: dep}, Level: geo.LevelCommune,
		Sectors: sectors, RadiusKm: 10}
	stored, err := s.cov.CoverageFrom(context.Background(), q, postgis.CoverageStored)
	if err != nil {
		t.Fatal(err)
	}
	live, err := s.cov.CoverageFrom(context.Background(), q, postgis.CoverageLive)
	if err != nil {
		t.Fatal(err)
	}
	if stored.ComputedAt == nil || live.ComputedAt != nil || len(stored.Communes) != len(live.Communes) {
		t.Fatalf("%s %v: stored at %v, %d communes; live %d", dep, sectors, stored.ComputedAt, len(stored.Communes), len(live.Communes))
	}
	for i, l := range live.Communes {
		st := stored.Communes[i]
		if st.Code != l.Code || st.Actors != l.Actors || (st.NearestM == nil) != (l.NearestM == nil) ||
			st.NearestM != nil && math.Abs(*st.NearestM-*l.NearestM) > 1e-3 {
			t.Errorf("%s %v, %s: stored %+v, live %+v", dep, sectors, l.Code, st, l)
		}
	}
}

func (s *coverageServer) getJSON(t *testing.T, path string, out any) {
	t.Helper()
	resp, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

type coverageAnswer struct {
	Items   []geo.CoverageItem  `json:"items"`
	Summary geo.CoverageSummary `json:"summary"`
	Sources []string            `json:"sources"`
	Stored  bool                `json:"stored"`
}

// reference is the coverage computed without PostGIS: point in polygon
// with orb's planar.PolygonContains, great-circle distances over every
// actor, the national table for citycodes and postcodes.
type reference struct {
	polygons   map[string]orb.MultiPolygon // commune -> polygon (both files)
	table      map[string][]string         // commune -> code_insee, nom, departement, region, epci_code, epci_nom, population, codes_postaux
	byPostcode map[string][]string         // postcode -> communes
	points     map[string]orb.Point        // commune -> point of the points file
	actors     []*geo.Actor                // published
}

func loadReference(t *testing.T, actors *postgis.ActorStore) *reference {
	t.Helper()
	ref := &reference{polygons: map[string]orb.MultiPolygon{}, table: map[string][]string{},
		byPostcode: map[string][]string{}, points: map[string]orb.Point{}}
	for _, name := range []string{"communes-29-finistere.geojson", "communes-17-charente-maritime.geojson"} {
		b, err := os.ReadFile(shareddata.Dir(t, "territories", name))
		if err != nil {
			t.Fatal(err)
		}
		fc, err := geojson.UnmarshalFeatureCollection(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fc.Features {
			code := f.Properties.MustString("code")
			switch g := f.Geometry.(type) {
			case orb.Polygon:
				ref.polygons[code] = orb.MultiPolygon{g}
			case orb.MultiPolygon:
				ref.polygons[code] = g
			}
		}
	}
	readCSV := func(name string, fn func(rec []string)) {
		f, err := os.Open(shareddata.Dir(t, "territories", name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs[1:] {
			fn(rec)
		}
	}
	readCSV("communes-france-2026.csv", func(rec []string) {
		ref.table[rec[0]] = rec
		for _, pc := range strings.Fields(rec[7]) {
			ref.byPostcode[pc] = append(ref.byPostcode[pc], rec[0])
		}
	})
	readCSV("communes-france-points-2018.csv", func(rec []string) {
		lon, _ := strconv.ParseFloat(rec[2], 64)
		lat, _ := strconv.ParseFloat(rec[3], 64)
		ref.points[rec[0]] = orb.Point{lon, lat}
	})
	err := actors.EachActor(context.Background(), geo.ActorFilter{Statuses: []geo.Status{geo.StatusPublished}},
		func(a *geo.Actor) error {
			ref.actors = append(ref.actors, a)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func (ref *reference) population(code string) *int {
	if rec, ok := ref.table[code]; ok {
		if n, err := strconv.Atoi(rec[6]); err == nil {
			return &n
		}
	}
	return nil
}

// commune places an actor: the polygon holding its point (smallest code),
// else its citycode, else its postcode (the commune named like its city,
// else the most populated, else the smallest code).
func (ref *reference) commune(a *geo.Actor) string {
	if a.Location != nil {
		p := orb.Point{a.Location.Lon, a.Location.Lat}
		var in []string
		for code, mp := range ref.polygons {
			if planar.MultiPolygonContains(mp, p) {
				in = append(in, code)
			}
		}
		if len(in) > 0 {
			slices.Sort(in)
			return in[0]
		}
	}
	if cc := a.Address.Citycode; cc != "" {
		_, inTable := ref.table[cc]
		_, inPolygons := ref.polygons[cc]
		_, inPoints := ref.points[cc]
		if inTable || inPolygons || inPoints {
			return cc
		}
	}
	cands := slices.Clone(ref.byPostcode[a.Address.Postcode])
	if len(cands) == 0 {
		return ""
	}
	pop := func(c string) int {
		if p := ref.population(c); p != nil {
			return *p
		}
		return -1
	}
	slices.SortFunc(cands, func(x, y string) int {
		nx, ny := geo.Fold(ref.table[x][1]) == geo.Fold(a.Address.City), geo.Fold(ref.table[y][1]) == geo.Fold(a.Address.City)
		if nx != ny {
			if nx {
				return -1
			}
			return 1
		}
		if pop(x) != pop(y) {
			return pop(y) - pop(x)
		}
		return strings.Compare(x, y)
	})
	return cands[0]
}

// haversine is the great-circle distance in metres on the sphere of
// PostGIS (mean radius 6,371,008.7714 m).
func haversine(a, b orb.Point) float64 {
	const r = 6371008.7714
	rad := math.Pi / 180
	dlat, dlon := (b[1]-a[1])*rad, (b[0]-a[0])*rad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(a[1]*rad)*math.Cos(b[1]*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

func hasAny(a *geo.Actor, sectors []string) bool {
	for _, s := range a.Sectors {
		if slices.Contains(sectors, s) {
			return true
		}
	}
	return false
}

// checkCoverage compares /api/coverage for the communes of département dep
// and sectors with the reference: counts and populations exactly,
// distances within 1 m. stored tells whether the answer must come from
// the stored coverage or be computed live.
func checkCoverage(t *testing.T, s *coverageServer, ref *reference, dep string, sectors []string, stored bool) {
	t.Helper()
	const radiusKm = 10
	var got coverageAnswer
	s.getJSON(t, "/api/coverage?"+url.Values{"within": {dep}, "level": {"commune"},
		"sectors": {strings.Join(sectors, ",")}, "radius_km": {strconv.Itoa(radiusKm)}}.Encode(), &got)
	if got.Stored != stored {
		t.Errorf("%s %v: stored %v, want %v", dep, sectors, got.Stored, stored)
	}

	counts := map[string]int{}
	for _, a := range ref.actors {
		if hasAny(a, sectors) {
			if c := ref.commune(a); c != "" {
				counts[c]++
			}
		}
	}
	var communes []string
	for code, rec := range ref.table {
		if rec[2] == dep {
			communes = append(communes, code)
		}
	}
	for _, codes := range []map[string]orb.Point{ref.points} {
		for code := range codes {
			if geo.DepartementOfCommune(code) == dep && ref.table[code] == nil {
				communes = append(communes, code) // merged since 2018: kept, no population
			}
		}
	}
	for code := range ref.polygons {
		if geo.DepartementOfCommune(code) == dep && ref.table[code] == nil && !slices.Contains(communes, code) {
			communes = append(communes, code)
		}
	}
	slices.Sort(communes)
	byCode := map[string]geo.CoverageItem{}
	for _, it := range got.Items {
		byCode[it.Code] = it
	}
	if len(got.Items) != len(communes) {
		t.Fatalf("%s: %d items, want %d communes", dep, len(got.Items), len(communes))
	}
	var population, beyond, without, actorsIn int
	for _, code := range communes {
		it, ok := byCode[code]
		if !ok {
			t.Errorf("%s: commune %s missing", dep, code)
			continue
		}
		// The reference point: inside the polygon when there is one (the
		// API's point on surface), else the points file's.
		var pt orb.Point
		var terr struct {
			Point *struct {
				Coordinates [2]float64 `json:"coordinates"`
			} `json:"point"`
		}
		if mp, ok := ref.polygons[code]; ok {
			s.getJSON(t, "/api/territories/"+code+"?level=commune", &terr)
			pt = orb.Point(terr.Point.Coordinates)
			if !planar.MultiPolygonContains(mp, pt) {
				t.Errorf("%s: reference point %v outside its polygon", code, pt)
			}
		} else if p, ok := ref.points[code]; ok {
			pt = p
		} else {
			t.Errorf("%s: no reference point in the reference", code)
			continue
		}
		nearest := math.Inf(1)
		for _, a := range ref.actors {
			if a.Location != nil && hasAny(a, sectors) {
				nearest = min(nearest, haversine(pt, orb.Point{a.Location.Lon, a.Location.Lat}))
			}
		}
		pop := ref.population(code)
		zb := nearest > radiusKm*1000
		if it.Actors != counts[code] {
			t.Errorf("%s %s: %d actors, want %d", dep, code, it.Actors, counts[code])
		}
		if (it.Population == nil) != (pop == nil) || pop != nil && *it.Population != *pop {
			t.Errorf("%s %s: population %v, want %v", dep, code, it.Population, pop)
		}
		if it.NearestKm == nil || math.Abs(*it.NearestKm*1000-nearest) > 1 {
			t.Errorf("%s %s: nearest %v km, want %.4f km", dep, code, it.NearestKm, nearest/1000)
		}
		if it.ZoneBlanche != zb {
			t.Errorf("%s %s: zone blanche %v, want %v (nearest %.1f m)", dep, code, it.ZoneBlanche, zb, nearest)
		}
		want := 0
		if zb && pop != nil {
			want = *pop
		}
		if it.BeyondRadius != want {
			t.Errorf("%s %s: %d beyond the radius, want %d", dep, code, it.BeyondRadius, want)
		}
		if pop != nil {
			population += *pop
		}
		beyond += want
		actorsIn += counts[code]
		if zb {
			without++
		}
	}
	sum := got.Summary
	if sum.Population != population || sum.PopulationBeyond != beyond || sum.CommunesWithout != without ||
		sum.Communes != len(communes) || sum.Actors != actorsIn {
		t.Errorf("%s summary %+v, want population %d, beyond %d, communes %d, without %d, actors %d",
			dep, sum, population, beyond, len(communes), without, actorsIn)
	}
	if sum.ShareBeyond == nil || math.Abs(*sum.ShareBeyond-float64(beyond)/float64(population)) > 1e-12 {
		t.Errorf("%s share %v", dep, sum.ShareBeyond)
	}
	if without == 0 || without == len(communes) {
		t.Errorf("%s %v: %d zones blanches of %d communes: a test that cannot tell", dep, sectors, without, len(communes))
	}
	t.Logf("%s %v: %d communes, %d actors, %d zones blanches, %d of %d inhabitants beyond %d km",
		dep, sectors, len(communes), actorsIn, without, beyond, population, radiusKm)
}

// TestCoverageMatchesReference checks /api/coverage against an
// independent computation in Go on real data.
func TestCoverageMatchesReference(t *testing.T) {
	s := newCoverageServer(t)
	ref := loadReference(t, s.actors)
	cases := []struct {
		name, dep string
		sectors   []string
	}{
		{"Finistère, SIAE", "29", []string{"insertion"}},
		{"Charente-Maritime, Transiscope", "17", []string{"alimentation"}},
		{"Charente-Maritime, two sectors", "17", []string{"alimentation", "insertion"}},
	}
	// From the stored coverage, which agrees with the live computation...
	for _, c := range cases {
		t.Run(c.name+", stored", func(t *testing.T) {
			checkCoverage(t, s, ref, c.dep, c.sectors, true)
			s.sameCoverage(t, c.dep, c.sectors)
		})
	}
	t.Run("every sector, stored and live agree", func(t *testing.T) { s.sameCoverage(t, "17", nil) })
	// ... and computed live, once the sectors are marked changed.
	if _, err := s.db.Pool.Exec(context.Background(), `INSERT INTO coverage_dirty VALUES ('insertion'), ('alimentation')`); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name+", live", func(t *testing.T) { checkCoverage(t, s, ref, c.dep, c.sectors, false) })
	}
	t.Run("EPCI sum their communes", func(t *testing.T) {
		var communes, epcis coverageAnswer
		s.getJSON(t, "/api/coverage?within=29&sectors=insertion", &communes)
		s.getJSON(t, "/api/coverage?within=29&level=epci&sectors=insertion", &epcis)
		sums := map[string][2]int{}
		var terr struct {
			Items []struct {
				Code string `json:"code"`
				EPCI string `json:"epci"`
			} `json:"items"`
		}
		s.getJSON(t, "/api/territories?level=commune&within=29&limit=1000", &terr)
		epciOf := map[string]string{}
		for _, c := range terr.Items {
			epciOf[c.Code] = c.EPCI
		}
		for _, it := range communes.Items {
			v := sums[epciOf[it.Code]]
			sums[epciOf[it.Code]] = [2]int{v[0] + it.Actors, v[1] + it.BeyondRadius}
		}
		if len(epcis.Items) < 20 {
			t.Fatalf("%d EPCI in Finistère", len(epcis.Items))
		}
		for _, it := range epcis.Items {
			if sums[it.Code] != [2]int{it.Actors, it.BeyondRadius} {
				t.Errorf("EPCI %s: actors, beyond = %d, %d; its communes sum to %v", it.Code, it.Actors, it.BeyondRadius, sums[it.Code])
			}
		}
		if epcis.Summary.PopulationBeyond != communes.Summary.PopulationBeyond {
			t.Errorf("summary by EPCI %+v, by commune %+v", epcis.Summary, communes.Summary)
		}
	})
	t.Run("exports", func(t *testing.T) {
		var fc struct {
			Type     string `json:"type"`
			Features []struct {
				Geometry struct {
					Type string `json:"type"`
				} `json:"geometry"`
				Properties geo.CoverageItem `json:"properties"`
			} `json:"features"`
			Attribution string `json:"attribution"`
		}
		s.getJSON(t, "/api/coverage.geojson?within=29&sectors=insertion", &fc)
		if fc.Type != "FeatureCollection" || len(fc.Features) != 279 || !strings.Contains(fc.Attribution, "Licence Ouverte") ||
			!strings.Contains(fc.Attribution, "Liste des SIAE") {
			t.Fatalf("geojson: %s, %d features, attribution %q", fc.Type, len(fc.Features), fc.Attribution)
		}
		if g := fc.Features[0].Geometry.Type; g != "MultiPolygon" {
			t.Errorf("first feature is a %s", g)
		}
		resp, err := http.Get(s.URL + "/api/coverage.csv?within=29&sectors=insertion")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		recs, err := csv.NewReader(resp.Body).ReadAll()
		if err != nil || len(recs) != 280 || recs[0][0] != "code" || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("csv: %d lines, %v, %v", len(recs), err, recs[0])
		}
	})
}

// newTerritoryTestServer is newTestServer with the territory and coverage
// stores, on an empty database.
func newTerritoryTestServer(t *testing.T) *testServer {
	t.Helper()
	db := postgistest.New(t)
	actors, sectors, tokens := postgis.NewActorStore(db), postgis.NewSectorStore(db), postgis.NewTokenStore(db)
	token, err := tokens.CreateToken(context.Background(), "test-keeper")
	if err != nil {
		t.Fatal(err)
	}
	terr := postgis.NewTerritoryStore(db)
	srv := httptest.NewServer(handlers.NewServer(slog.New(slog.DiscardHandler), handlers.Deps{
		Actors: actors, Sectors: sectors, Auth: tokens, DB: db,
		Importer:    &actorfile.Importer{Store: actors, Sectors: sectors, DefaultSector: "autres"},
		Territories: terr, TerritoryImporter: &territoryfile.Importer{Store: terr}, Coverage: postgis.NewCoverageStore(db),
	}, handlers.DefaultOptions()))
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, token: token}
}

func TestCoverageBadInput(t *testing.T) {
	s := newTerritoryTestServer(t)
	for _, c := range []struct{ query, field string }{
		{"within=ZZ", "within"},
		{"within=12345678901", "within"},
		{"within=region:xx", "within"},
		{"within=29", "within"}, // no territory imported
		{"level=quartier", "level"},
		{"sectors=nope", "sectors"},
		{"radius_km=-3", "radius_km"},
		{"radius_km=0", "radius_km"},
		{"radius_km=10000", "radius_km"},
		{"radius_km=dix", "radius_km"},
		{"radius_km=NaN", "radius_km"},
		{"radius=10", "radius"},
	} {
		for _, path := range []string{"/api/coverage", "/api/coverage.csv", "/api/coverage.geojson"} {
			var body struct {
				Fields map[string]string `json:"fields"`
			}
			if code := s.do(t, "GET", path+"?"+c.query, nil, false, &body); code != 400 || body.Fields[c.field] == "" {
				t.Errorf("%s?%s = %d %v, want 400 naming %s", path, c.query, code, body.Fields, c.field)
			}
		}
	}
	if code := s.do(t, "GET", "/api/territories/29019", nil, false, nil); code != 404 {
		t.Errorf("unknown territory = %d, want 404", code)
	}
	if code := s.do(t, "GET", "/api/territories/nope", nil, false, nil); code != 404 {
		t.Errorf("malformed territory code = %d, want 404", code)
	}
}
