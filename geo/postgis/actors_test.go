package postgis_test

import (
	"context"
	"testing"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
)

func newActor(name string, sectors ...string) *geo.Actor {
	return &geo.Actor{Name: name, Sectors: sectors, Status: geo.StatusPublished}
}

func TestActorStoreCRUD(t *testing.T) {
	ctx := context.Background()
	s := postgis.NewActorStore(postgistest.New(t))

	a := newActor("Ressourcerie de l'Élorn", "reemploi", "insertion")
	a.SIRET = "807 469 317 00018"
	a.Kind = "aci"
	a.Location = &geo.Point{Lon: -4.486, Lat: 48.390}
	a.Address = geo.Address{Street: "2 rue de Siam", Postcode: "29200", City: "Brest", Citycode: "29019"}
	if err := s.CreateActor(ctx, a); err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || a.SIRET != "80746931700018" || a.Kind != "ACI" {
		t.Fatalf("created actor not normalised: %+v", a)
	}
	got, err := s.FindActorByID(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != a.Name || got.Location == nil || got.Location.Lat != 48.390 || len(got.Sectors) != 2 {
		t.Fatalf("FindActorByID = %+v", got)
	}
	if got.Sectors[0] != "insertion" { // legend order, not input order
		t.Errorf("sectors = %v, want insertion first", got.Sectors)
	}

	dup := newActor("Autre nom", "insertion")
	dup.SIRET, dup.Kind = a.SIRET, "ACI"
	if err := s.CreateActor(ctx, dup); geo.ErrorCode(err) != geo.EConflict {
		t.Fatalf("duplicate SIRET and kind: err = %v, want conflict", err)
	}
	dup.Kind = "AI" // the same legal unit may run another structure type
	if err := s.CreateActor(ctx, dup); err != nil {
		t.Fatalf("same SIRET, other kind: %v", err)
	}
	if err := s.CreateActor(ctx, newActor("Sans secteur connu", "nope")); geo.ErrorCode(err) != geo.EInvalid {
		t.Fatalf("unknown sector: err = %v, want invalid", err)
	}

	name, archived := "Ressourcerie de l'Elorn", geo.StatusArchived
	upd, err := s.UpdateActor(ctx, a.ID, geo.ActorUpdate{Name: &name, Status: &archived, Sectors: &[]string{"reemploi"}})
	if err != nil {
		t.Fatal(err)
	}
	if upd.Name != name || upd.Status != archived || len(upd.Sectors) != 1 || !upd.UpdatedAt.After(got.UpdatedAt) {
		t.Fatalf("UpdateActor = %+v", upd)
	}
	bad := "not a siret"
	if _, err := s.UpdateActor(ctx, a.ID, geo.ActorUpdate{SIRET: &bad}); geo.ErrorCode(err) != geo.EInvalid {
		t.Fatalf("invalid update: err = %v", err)
	}
	if err := s.DeleteActor(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindActorByID(ctx, a.ID); geo.ErrorCode(err) != geo.ENotFound {
		t.Fatalf("after delete: err = %v, want not found", err)
	}
	if err := s.DeleteActor(ctx, a.ID); geo.ErrorCode(err) != geo.ENotFound {
		t.Fatalf("second delete: err = %v, want not found", err)
	}
}

func TestFindActorsFilters(t *testing.T) {
	ctx := context.Background()
	s := postgis.NewActorStore(postgistest.New(t))
	brest := &geo.Point{Lon: -4.486, Lat: 48.390}
	niort := &geo.Point{Lon: -0.459, Lat: 46.323}
	for _, a := range []*geo.Actor{
		{Name: "Épicerie solidaire", Sectors: []string{"alimentation"}, Location: brest, Status: geo.StatusPublished},
		{Name: "Café associatif", Sectors: []string{"tiers-lieux"}, Location: niort, Status: geo.StatusPublished},
		{Name: "Chantier d'insertion", Sectors: []string{"insertion"}, Location: niort, Status: geo.StatusDraft},
		{Name: "Épicerie à géocoder", Sectors: []string{"alimentation"}, Status: geo.StatusPublished},
	} {
		if err := s.CreateActor(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	published := []geo.Status{geo.StatusPublished}
	tests := []struct {
		name string
		f    geo.ActorFilter
		want []string
	}{
		{"accent and case folded", geo.ActorFilter{Q: "EPICERIE"}, []string{"Épicerie à géocoder", "Épicerie solidaire"}},
		{"like characters are literal", geo.ActorFilter{Q: "%"}, nil},
		{"sector", geo.ActorFilter{Sectors: []string{"tiers-lieux", "insertion"}}, []string{"Café associatif", "Chantier d'insertion"}},
		{"status", geo.ActorFilter{Statuses: published, Sectors: []string{"tiers-lieux", "insertion"}}, []string{"Café associatif"}},
		{"bbox", geo.ActorFilter{BBox: &geo.BBox{MinLon: -1, MinLat: 46, MaxLon: 0, MaxLat: 47}}, []string{"Café associatif", "Chantier d'insertion"}},
		{"located", geo.ActorFilter{Located: true, Sectors: []string{"alimentation"}}, []string{"Épicerie solidaire"}},
		{"page", geo.ActorFilter{Limit: 2, Offset: 1}, []string{"Chantier d'insertion", "Épicerie à géocoder"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			actors, total, err := s.FindActors(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, a := range actors {
				names = append(names, a.Name)
			}
			if len(names) != len(tt.want) || (len(names) > 0 && !equal(names, tt.want)) {
				t.Errorf("names = %q, want %q", names, tt.want)
			}
			if tt.f.Limit == 0 && total != len(tt.want) {
				t.Errorf("total = %d, want %d", total, len(tt.want))
			}
			if tt.f.Limit > 0 && total != 4 {
				t.Errorf("total = %d, want 4", total)
			}
		})
	}
	pending, _, _ := s.FindActors(ctx, geo.ActorFilter{Q: "géocoder"})
	if pending[0].Geocoding.State != geo.GeocodePending {
		t.Errorf("actor without a point: geocode state %q, want pending", pending[0].Geocoding.State)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestImportActorsIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := postgis.NewActorStore(postgistest.New(t))
	batch := func() []*geo.Actor {
		a := newActor("Régie de quartier", "insertion")
		a.SIRET, a.Kind = "75187049400026", "ACI"
		a.Location = &geo.Point{Lon: 2.45, Lat: 48.86}
		a.Geocoding.Source = geo.LocationFromFile
		b := newActor("Amap du marais", "alimentation")
		b.Source, b.ExternalID = "transiscope", "3paH"
		c := newActor("Sans nom valide", "insertion")
		c.SIRET = "123456789" // a SIREN, not a SIRET
		d := newActor("Secteur inconnu", "pas-un-secteur")
		return []*geo.Actor{a, b, c, d}
	}
	changes := func(out []geo.ImportOutcome) []string {
		var s []string
		for _, o := range out {
			s = append(s, o.Change)
		}
		return s
	}
	out, err := s.ImportActors(ctx, batch(), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{geo.ImportCreated, geo.ImportCreated, geo.ImportFailed, geo.ImportFailed}
	if got := changes(out); !equal(got, want) {
		t.Fatalf("dry run = %v, want %v", got, want)
	}
	if _, total, _ := s.FindActors(ctx, geo.ActorFilter{}); total != 0 {
		t.Fatalf("dry run wrote %d actors", total)
	}
	if out, err = s.ImportActors(ctx, batch(), false, nil); err != nil || !equal(changes(out), want) {
		t.Fatalf("first import = %v, %v", changes(out), err)
	}
	if geo.ErrorCode(out[2].Err) != geo.EInvalid || geo.ErrorCode(out[3].Err) != geo.EInvalid {
		t.Fatalf("failures: %v, %v", out[2].Err, out[3].Err)
	}
	first, _ := s.FindActorByID(ctx, out[0].ID)

	out, err = s.ImportActors(ctx, batch(), false, nil)
	want = []string{geo.ImportUnchanged, geo.ImportUnchanged, geo.ImportFailed, geo.ImportFailed}
	if err != nil || !equal(changes(out), want) {
		t.Fatalf("second import = %v, %v; want %v", changes(out), err, want)
	}
	again, _ := s.FindActorByID(ctx, out[0].ID)
	if !again.UpdatedAt.Equal(first.UpdatedAt) {
		t.Errorf("second import moved updated_at")
	}

	// A point set by hand survives a new import that carries another one.
	manual := &geo.Point{Lon: 2.46, Lat: 48.87}
	if _, err := s.UpdateActor(ctx, out[0].ID, geo.ActorUpdate{Location: manual}); err != nil {
		t.Fatal(err)
	}
	next := batch()
	next[0].Description = "Nouvelle description"
	out, err = s.ImportActors(ctx, next, false, nil)
	if err != nil || out[0].Change != geo.ImportUpdated {
		t.Fatalf("changed import = %v, %v", changes(out), err)
	}
	got, _ := s.FindActorByID(ctx, out[0].ID)
	if *got.Location != *manual || got.Geocoding.Source != geo.LocationManual || got.Description != "Nouvelle description" {
		t.Errorf("after import over a manual point: %+v %+v", got.Location, got.Geocoding)
	}
}

func TestSectorStore(t *testing.T) {
	ctx := context.Background()
	db := postgistest.New(t)
	s := postgis.NewSectorStore(db)
	all, err := s.FindSectors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 12 || all[0].Slug != "insertion" {
		t.Fatalf("seeded sectors: %d, first %q", len(all), all[0].Slug)
	}
	sec := &geo.Sector{Slug: "sport", Label: "Sport", Color: "#123456", Icon: "M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20z", Synonyms: []string{"Sport pour tous"}}
	if err := s.CreateSector(ctx, sec); err != nil {
		t.Fatal(err)
	}
	if sec.Synonyms[0] != "sport pour tous" {
		t.Errorf("synonyms not folded: %q", sec.Synonyms)
	}
	if err := s.CreateSector(ctx, sec); geo.ErrorCode(err) != geo.EConflict {
		t.Fatalf("duplicate slug: %v", err)
	}
	bad := "rouge"
	if _, err := s.UpdateSector(ctx, "sport", geo.SectorUpdate{Color: &bad}); geo.ErrorCode(err) != geo.EInvalid {
		t.Fatalf("bad colour: %v", err)
	}
	actors := postgis.NewActorStore(db)
	a := newActor("Club", "sport")
	if err := actors.CreateActor(ctx, a); err != nil {
		t.Fatal(err)
	}
	slug := "sport-loisirs"
	if _, err := s.UpdateSector(ctx, "sport", geo.SectorUpdate{Slug: &slug}); err != nil {
		t.Fatal(err)
	}
	if got, _ := actors.FindActorByID(ctx, a.ID); got.Sectors[0] != slug {
		t.Errorf("renamed sector not carried to actors: %v", got.Sectors)
	}
	if err := s.DeleteSector(ctx, slug); geo.ErrorCode(err) != geo.EConflict {
		t.Fatalf("deleting a used sector: %v", err)
	}
	actors.DeleteActor(ctx, a.ID)
	if err := s.DeleteSector(ctx, slug); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindSector(ctx, slug); geo.ErrorCode(err) != geo.ENotFound {
		t.Fatalf("deleted sector: %v", err)
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	s := postgis.NewTokenStore(postgistest.New(t))
	token, err := s.CreateToken(ctx, "cress-bretagne")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateToken(ctx, "cress-bretagne"); geo.ErrorCode(err) != geo.EConflict {
		t.Fatalf("duplicate name: %v", err)
	}
	k, err := s.Authenticate(ctx, token)
	if err != nil || k.Name != "cress-bretagne" {
		t.Fatalf("Authenticate = %v, %v", k, err)
	}
	if _, err := s.Authenticate(ctx, token+"x"); geo.ErrorCode(err) != geo.EUnauthorized {
		t.Fatalf("wrong token: %v", err)
	}
	if err := s.RevokeToken(ctx, "cress-bretagne"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, token); geo.ErrorCode(err) != geo.EUnauthorized {
		t.Fatalf("revoked token: %v", err)
	}
}
