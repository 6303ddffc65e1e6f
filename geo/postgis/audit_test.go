package postgis_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
)

// TestActorHistory: every change of an actor is in its history with who
// and the route; a version restores, a deleted actor too.
func TestActorHistory(t *testing.T) {
	db := postgistest.New(t)
	s := postgis.NewActorStore(db)
	api := geo.WithAuthor(context.Background(), geo.Author{Who: "user:marie@cress.example", Route: "PATCH /api/actors/:id"})

	a := newActor("Recyclerie du Marais", "reemploi")
	a.Location = &geo.Point{Lon: -0.4588, Lat: 46.3239}
	a.Description = "Première version"
	if err := s.CreateActor(geo.WithAuthor(context.Background(), geo.Author{Who: "cli", Route: "import"}), a); err != nil {
		t.Fatal(err)
	}
	name, desc := "Recyclerie du Marais poitevin", "Deuxième version"
	if _, err := s.UpdateActor(api, a.ID, geo.ActorUpdate{Name: &name, Description: &desc,
		Sectors: &[]string{"reemploi", "insertion"}, Location: &geo.Point{Lon: -0.46, Lat: 46.33}}); err != nil {
		t.Fatal(err)
	}
	// An update that changes nothing writes no history.
	if _, err := s.UpdateActor(api, a.ID, geo.ActorUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	hist, err := s.ActorHistory(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, c := range hist {
		actions = append(actions, c.Action+" by "+c.Who+" via "+c.Route)
	}
	want := []string{"create by cli via import", "sectors by cli via import",
		"update by user:marie@cress.example via PATCH /api/actors/:id", "sectors by user:marie@cress.example via PATCH /api/actors/:id"}
	if strings.Join(actions, "\n") != strings.Join(want, "\n") {
		t.Fatalf("history:\n%s\nwant:\n%s", strings.Join(actions, "\n"), strings.Join(want, "\n"))
	}
	var before, after map[string]any
	json.Unmarshal(hist[2].Before, &before)
	json.Unmarshal(hist[2].After, &after)
	if before["name"] != "Recyclerie du Marais" || after["name"] != name || before["description"] != "Première version" ||
		after["location"] == nil || len(after) != len(before) || after["status"] != nil {
		t.Errorf("update entry: before %v after %v; want the changed fields only", before, after)
	}

	// Restore the first version (after the import's sectors).
	r, err := s.RestoreActor(api, a.ID, hist[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "Recyclerie du Marais" || r.Description != "Première version" || len(r.Sectors) != 1 ||
		r.Location == nil || r.Location.Lon != -0.4588 {
		t.Errorf("restored = %+v", r)
	}

	// Deleted, then restored with its id and history.
	if err := s.DeleteActor(api, a.ID); err != nil {
		t.Fatal(err)
	}
	hist, err = s.ActorHistory(context.Background(), a.ID)
	if err != nil || hist[len(hist)-1].Action != "delete" {
		t.Fatalf("history after delete: %v %v", hist, err)
	}
	r, err = s.RestoreActor(api, a.ID, hist[len(hist)-1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != a.ID || r.Name != "Recyclerie du Marais" || len(r.Sectors) != 1 || r.Sectors[0] != "reemploi" {
		t.Errorf("restored after delete = %+v", r)
	}
	if _, err := s.RestoreActor(api, a.ID, 999999); geo.ErrorCode(err) != geo.ENotFound {
		t.Errorf("unknown version: %v, want not found", err)
	}
	// A new actor takes a fresh id after the restored one.
	b := newActor("Autre", "reemploi")
	if err := s.CreateActor(context.Background(), b); err != nil || b.ID == a.ID {
		t.Errorf("next actor: id %d, %v", b.ID, err)
	}
}

// TestAuditLogAppendOnly: the application's role appends to audit_log
// (through the triggers) but cannot change or remove its rows.
func TestAuditLogAppendOnly(t *testing.T) {
	ctx := context.Background()
	db := postgistest.New(t)
	if err := db.EnsureAppRole(ctx, ""); err != nil {
		t.Fatal(err)
	}
	conn := connectAsApp(t, db)
	if _, err := conn.Exec(ctx, `INSERT INTO actors (name) VALUES ('Essai')`); err != nil {
		t.Fatal(err)
	}
	var n int
	conn.QueryRow(ctx, `SELECT count(*) FROM audit_log`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d audit rows after an insert as %s, want 1", n, postgis.AppRole)
	}
	for _, q := range []string{
		`UPDATE audit_log SET who = 'quelqu''un d''autre'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
	} {
		_, err := conn.Exec(ctx, q)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("as %s: %s = %v, want permission denied (42501)", postgis.AppRole, q, err)
		}
	}
	// Even granted the right by mistake, the trigger refuses.
	if _, err := db.Pool.Exec(ctx, `GRANT UPDATE, DELETE ON audit_log TO `+postgis.AppRole); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_log SET who = 'x'`, `DELETE FROM audit_log`} {
		_, err := conn.Exec(ctx, q)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("granted, as %s: %s = %v, want refused (42501)", postgis.AppRole, q, err)
		}
	}
	conn.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE who = 'system'`).Scan(&n)
	if n != 1 {
		t.Errorf("audit rows = %d after the refused changes, want the 1 written", n)
	}
}

// TestWorkshopModerationHistory: an animator hiding an annotation is in
// the history, with who and the route.
func TestWorkshopModerationHistory(t *testing.T) {
	db := postgistest.New(t)
	store := postgis.NewWorkshopStore(db)
	w, participant := openWorkshop(t, store)
	addAnnotation(t, store, w, participant, "Une idée")
	var id int64
	db.Pool.QueryRow(context.Background(), `SELECT id FROM annotations WHERE workshop_id = $1`, w.ID).Scan(&id)
	hidden := geo.AnnotationHidden
	ctx := geo.WithAuthor(context.Background(), geo.Author{Who: "user:anim@example.org", Route: "PATCH /api/workshops/:id/annotations/:aid"})
	if _, err := store.UpdateAnnotation(ctx, w.ID, id, geo.WorkshopAccess{Role: geo.RoleAnimator}, geo.AnnotationUpdate{State: &hidden}); err != nil {
		t.Fatal(err)
	}
	var who, route string
	var before, after string
	err := db.Pool.QueryRow(context.Background(), `
		SELECT who, route, before::text, after::text FROM audit_log
		WHERE entity = 'annotation' AND entity_id = $1 AND action = 'update'`, id).Scan(&who, &route, &before, &after)
	if err != nil {
		t.Fatal(err)
	}
	if who != "user:anim@example.org" || route != "PATCH /api/workshops/:id/annotations/:aid" ||
		before != `{"state": "visible"}` || after != `{"state": "hidden"}` {
		t.Errorf("moderation entry: %s %s %s -> %s", who, route, before, after)
	}
}
