package main

import (
	"log/slog"

	"github.com/maillage/maillage/geo/postgis"
)

// openWorkshopEvents returns the hub that passes workshop events to the
// event streams of this process, heard through l, the process's listener.
// stop ends every open stream, so that a graceful shutdown does not wait
// for them (the clients reconnect elsewhere and replay); calling it again
// does nothing.
func openWorkshopEvents(a *app, l *postgis.Listener, logger *slog.Logger) (*postgis.WorkshopHub, func()) {
	hub := postgis.NewWorkshopHub(a.db, logger, 64)
	hub.ListenOn(l)
	return hub, hub.Stop
}
