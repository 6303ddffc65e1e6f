package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/maillage/maillage/geo/postgis"
)

// openWorkshopEvents starts the hub that passes workshop events to the
// event streams of this process, on one LISTEN connection. stop ends it
// and with it every open stream, so that a graceful shutdown does not
// wait for them (the clients reconnect elsewhere and replay); calling it
// again does nothing.
func openWorkshopEvents(a *app, logger *slog.Logger) (*postgis.WorkshopHub, func()) {
	hub := postgis.NewWorkshopHub(a.db, logger, 64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		hub.Run(ctx, 10*time.Second)
	}()
	var once sync.Once
	return hub, func() { once.Do(func() { cancel(); <-done }) }
}
