package postgis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twpayne/go-geom"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
)

// openWorkshop stores an open workshop and returns it with a participant.
func openWorkshop(t *testing.T, store *postgis.WorkshopStore) (*geo.Workshop, geo.WorkshopAccess) {
	t.Helper()
	ctx := context.Background()
	w := &geo.Workshop{Title: "Diagnostic", Date: time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC),
		Status: geo.WorkshopOpen, BBox: geo.BBox{MinLon: -0.52, MinLat: 46.29, MaxLon: -0.40, MaxLat: 46.35}}
	if _, err := store.CreateWorkshop(ctx, w); err != nil {
		t.Fatal(err)
	}
	token, _, err := store.JoinWorkshop(ctx, w.Code)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := store.WorkshopAccess(ctx, w.ID, token)
	if err != nil || acc.Role != geo.RoleParticipant {
		t.Fatalf("access %+v %v", acc, err)
	}
	return w, acc
}

func addAnnotation(t *testing.T, store *postgis.WorkshopStore, w *geo.Workshop, by geo.WorkshopAccess, text string) {
	t.Helper()
	a := &geo.Annotation{WorkshopID: w.ID, Kind: "idee", Text: text,
		Geometry: geom.NewPointFlat(geom.XY, []float64{-0.46, 46.32})}
	if err := store.CreateAnnotation(context.Background(), by, a); err != nil {
		t.Fatal(err)
	}
}

// receive returns the next event of ch, or fails after a generous wait.
func receive(t *testing.T, ch <-chan *geo.WorkshopEvent) (*geo.WorkshopEvent, bool) {
	t.Helper()
	select {
	case e, ok := <-ch:
		return e, ok
	case <-time.After(20 * time.Second):
		t.Fatal("no event within 20 s")
		return nil, false
	}
}

func startHub(t *testing.T, db *postgis.DB, buffer int) *postgis.WorkshopHub {
	hub := postgis.NewWorkshopHub(db, nil, buffer)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(ctx, 200*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-done })
	return hub
}

// TestWorkshopHubSlowSubscriber: a subscriber that stops reading is
// dropped (its channel closed) once its buffer is full, and the others
// receive every event.
func TestWorkshopHubSlowSubscriber(t *testing.T) {
	db := postgistest.New(t)
	store := postgis.NewWorkshopStore(db)
	w, alice := openWorkshop(t, store)
	hub := startHub(t, db, 4)
	ctx := context.Background()
	slow, cancelSlow, err := hub.Subscribe(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer cancelSlow()
	fast, cancelFast, err := hub.Subscribe(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer cancelFast()
	for i := range 10 {
		addAnnotation(t, store, w, alice, fmt.Sprint("n", i))
		if e, ok := receive(t, fast); !ok || e.Name != geo.EventAnnotationAdded {
			t.Fatalf("fast subscriber: %+v %v", e, ok)
		}
	}
	n := 0
	for {
		_, ok := receive(t, slow)
		if !ok {
			break
		}
		n++
	}
	if n != 4 {
		t.Errorf("the slow subscriber had %d events before being dropped, want its buffer's 4", n)
	}
	if got := hub.Subscribers(); got != 1 {
		t.Errorf("%d subscribers, want 1", got)
	}
}

// TestWorkshopHubReconnects: when its LISTEN connection dies, the hub
// reconnects and hands out the events committed meanwhile.
func TestWorkshopHubReconnects(t *testing.T) {
	db := postgistest.New(t)
	store := postgis.NewWorkshopStore(db)
	w, alice := openWorkshop(t, store)
	hub := startHub(t, db, 64)
	ch, cancel, err := hub.Subscribe(context.Background(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	addAnnotation(t, store, w, alice, "avant")
	first, _ := receive(t, ch)

	// Kill the listening backend, and write before it is back.
	tag, err := db.Pool.Exec(context.Background(), `
		SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, postgis.ListenerName)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("terminating the listener: %v %v", tag, err)
	}
	for i := range 3 {
		addAnnotation(t, store, w, alice, fmt.Sprint("pendant ", i))
	}
	last := first.ID
	for i := range 3 {
		e, ok := receive(t, ch)
		if !ok || e.ID <= last || e.Name != geo.EventAnnotationAdded {
			t.Fatalf("event %d after the reconnection: %+v %v", i, e, ok)
		}
		last = e.ID
	}
}
