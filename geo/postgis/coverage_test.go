package postgis_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/geo/territoryfile"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/shareddata"
)

// finistere asks for the communes of Finistère covered by sectors.
func finistere(sectors ...string) geo.CoverageQuery {
	return geo.CoverageQuery{Within: &geo.TerritoryRef{Level: geo.LevelDepartement, Code: "29"},
		Level: geo.LevelCommune, Sectors: sectors, RadiusKm: 10}
}

// coverageFrom reads q from src and tells whether it came from the stored
// coverage.
func coverageFrom(t *testing.T, cov *postgis.CoverageStore, q geo.CoverageQuery, src postgis.CoverageSource) (*geo.CommuneCoverage, bool) {
	t.Helper()
	cc, err := cov.CoverageFrom(context.Background(), q, src)
	if err != nil {
		t.Fatal(err)
	}
	return cc, cc.ComputedAt != nil
}

// sameCoverage fails unless the stored and live figures of q agree: the
// same counts, distances within a millimetre.
func sameCoverage(t *testing.T, cov *postgis.CoverageStore, q geo.CoverageQuery) {
	t.Helper()
	stored, ok := coverageFrom(t, cov, q, postgis.CoverageStored)
	live, _ := coverageFrom(t, cov, q, postgis.CoverageLive)
	if !ok || len(stored.Communes) != len(live.Communes) || len(live.Communes) == 0 {
		t.Fatalf("%v: stored %v, %d communes stored, %d live", q.Sectors, ok, len(stored.Communes), len(live.Communes))
	}
	for i, l := range live.Communes {
		s := stored.Communes[i]
		if s.Code != l.Code || s.Actors != l.Actors || (s.NearestM == nil) != (l.NearestM == nil) ||
			s.NearestM != nil && math.Abs(*s.NearestM-*l.NearestM) > 1e-3 {
			t.Errorf("%v %s: stored %d actors, %v m; live %d actors, %v m", q.Sectors, l.Code, s.Actors, ptr(s.NearestM), l.Actors, ptr(l.NearestM))
		}
	}
}

func ptr(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func dirtySectors(t *testing.T, db *postgis.DB) []string {
	t.Helper()
	var out []string
	if err := db.Pool.QueryRow(context.Background(), `SELECT ARRAY(SELECT sector_slug FROM coverage_dirty ORDER BY 1)`).Scan(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCoverageRefresh follows the stored coverage through changes of
// several sectors, read by one server and refreshed by another on the
// same database.
func TestCoverageRefresh(t *testing.T) {
	ctx := context.Background()
	url := postgistest.NewURL(t)
	open := func() *postgis.DB {
		db, err := postgis.Open(ctx, postgis.Config{URL: url, NoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		return db
	}
	db1, db2 := open(), open()
	cov1, cov2 := postgis.NewCoverageStore(db1), postgis.NewCoverageStore(db2)
	actors := postgis.NewActorStore(db1)
	finistereFile := shareddata.Dir(t, "territories", "communes-29-finistere.geojson")
	importTerritoryFile(t, db1, finistereFile, territoryfile.Options{})
	inQuimper := newActor("Recyclerie de Quimper", "reemploi")
	inQuimper.Location = &geo.Point{Lon: -4.102, Lat: 47.996}
	if err := actors.CreateActor(ctx, inQuimper); err != nil {
		t.Fatal(err)
	}

	// Nothing computed yet: the figures are computed live.
	if _, stored := coverageFrom(t, cov1, finistere("reemploi"), postgis.CoverageAuto); stored {
		t.Fatal("read from the stored coverage before any refresh")
	}
	res, err := cov2.RefreshCoverage(ctx, 2)
	if err != nil || !res.Locked || !res.All || len(res.Sectors) != 16 {
		t.Fatalf("first refresh: %+v, %v", res, err)
	}
	for _, q := range []geo.CoverageQuery{finistere("reemploi"), finistere("insertion"), finistere()} {
		if _, stored := coverageFrom(t, cov1, q, postgis.CoverageAuto); !stored {
			t.Errorf("%v: not read from the stored coverage after a refresh", q.Sectors)
		}
		sameCoverage(t, cov1, q)
	}

	// Two sectors change: only they are computed live, then refreshed.
	// The actor is created with its sectors: the actors with no sector
	// ("") are not dirty.
	inBrest := newActor("Chantier d'insertion de Brest", "insertion", "culture")
	inBrest.Location = &geo.Point{Lon: -4.486, Lat: 48.390}
	if err := actors.CreateActor(ctx, inBrest); err != nil {
		t.Fatal(err)
	}
	if got := dirtySectors(t, db1); !slices.Equal(got, []string{"culture", "insertion"}) {
		t.Fatalf("dirty after a create: %v", got)
	}
	for _, c := range []struct {
		q      geo.CoverageQuery
		stored bool
	}{
		{finistere("reemploi"), true},
		{finistere("insertion"), false},
		{finistere("culture", "reemploi"), false},
		{finistere(), false},
	} {
		cc, stored := coverageFrom(t, cov1, c.q, postgis.CoverageAuto)
		if stored != c.stored {
			t.Errorf("%v: stored %v, want %v", c.q.Sectors, stored, c.stored)
		}
		if slices.Contains(c.q.Sectors, "insertion") {
			for _, f := range cc.Communes {
				if f.Code == "29019" && (f.Actors != 1 || f.NearestM == nil || *f.NearestM > 10000) {
					t.Errorf("Brest, live: %d actors, nearest %v", f.Actors, ptr(f.NearestM))
				}
			}
		}
	}

	// While one process holds the lock, another does nothing.
	conn, err := db1.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(postgis.CoverageLockKey)); err != nil {
		t.Fatal(err)
	}
	if res, err := cov2.RefreshCoverage(ctx, 2); err != nil || res.Locked || len(res.Sectors) > 0 {
		t.Fatalf("refresh while locked: %+v, %v", res, err)
	}
	if got := dirtySectors(t, db1); len(got) != 2 {
		t.Fatalf("dirty after a locked refresh: %v", got)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, int64(postgis.CoverageLockKey)); err != nil {
		t.Fatal(err)
	}

	res, err = cov2.RefreshCoverage(ctx, 2)
	if err != nil || !res.Locked || res.All || !slices.Equal(res.Sectors, []string{"culture", "insertion"}) {
		t.Fatalf("second refresh: %+v, %v", res, err)
	}
	for _, q := range []geo.CoverageQuery{finistere("insertion"), finistere("culture", "reemploi"), finistere()} {
		if _, stored := coverageFrom(t, cov1, q, postgis.CoverageAuto); !stored {
			t.Errorf("%v: not stored after the second refresh", q.Sectors)
		}
		sameCoverage(t, cov1, q)
	}

	// Given other sectors, deleted: the sectors before and after are
	// dirty, and not "": the store gives the new sectors before it takes
	// the old ones away.
	if _, err := actors.UpdateActor(ctx, inQuimper.ID, geo.ActorUpdate{Sectors: &[]string{"habitat"}}); err != nil {
		t.Fatal(err)
	}
	if got := dirtySectors(t, db1); !slices.Equal(got, []string{"habitat", "reemploi"}) {
		t.Errorf("dirty after a change of sectors: %v", got)
	}
	// A name changes nothing the coverage shows.
	name := "Recyclerie"
	if _, err := actors.UpdateActor(ctx, inBrest.ID, geo.ActorUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if got := dirtySectors(t, db1); len(got) != 2 {
		t.Errorf("dirty after a change of name: %v", got)
	}
	if err := actors.DeleteActor(ctx, inBrest.ID); err != nil {
		t.Fatal(err)
	}
	if got := dirtySectors(t, db1); !slices.Equal(got, []string{"culture", "habitat", "insertion", "reemploi"}) {
		t.Errorf("dirty after a delete: %v", got)
	}
	if res, err := cov1.RefreshCoverage(ctx, 1); err != nil || len(res.Sectors) != 4 {
		t.Fatalf("third refresh: %+v, %v", res, err)
	}
	for _, q := range []geo.CoverageQuery{finistere("insertion"), finistere("habitat", "reemploi"), finistere()} {
		sameCoverage(t, cov2, q)
	}

	// Territories imported again: everything is computed again.
	importTerritoryFile(t, db1, finistereFile, territoryfile.Options{})
	if got := dirtySectors(t, db1); !slices.Contains(got, "*") {
		t.Errorf("dirty after a territory import: %v", got)
	}
	if _, stored := coverageFrom(t, cov1, finistere("alimentation"), postgis.CoverageAuto); stored {
		t.Error("stored coverage read after a territory import")
	}
	if res, err := cov1.RefreshCoverage(ctx, 2); err != nil || !res.All {
		t.Fatalf("refresh after a territory import: %+v, %v", res, err)
	}
	sameCoverage(t, cov1, finistere())
	if got := dirtySectors(t, db1); len(got) != 0 {
		t.Errorf("dirty after the last refresh: %v", got)
	}
}
