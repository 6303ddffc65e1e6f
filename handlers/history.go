package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// HistoryStore reads the history of actors and restores their versions.
type HistoryStore interface {
	ActorHistory(ctx context.Context, id int64) ([]geo.Change, error)
	RestoreActor(ctx context.Context, id, version int64) (*geo.Actor, error)
}

// actorHistory answers GET /api/actors/{id}/history (keepers): the
// actor's changes, oldest first, {"items": [{id, at, who, route, action,
// before, after}]}; a deleted actor keeps its history. 404 for an actor
// that never was.
func (s *Server) actorHistory(c *echo.Context) error {
	id, err := pathID(c, "id", "actor")
	if err != nil {
		return err
	}
	if err := readParams(c).err(); err != nil {
		return err
	}
	cs, err := s.History.ActorHistory(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": cs})
}

// restoreActor answers POST /api/actors/{id}/restore {"version": N}
// (keepers): the actor takes back the state it had after change N of its
// history (before it, for a deletion), re-created if it was deleted. The
// restore is itself a change. 404 for a version not of this actor.
func (s *Server) restoreActor(c *echo.Context) error {
	id, err := pathID(c, "id", "actor")
	if err != nil {
		return err
	}
	var in struct {
		Version int64 `json:"version"`
	}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if in.Version <= 0 {
		return &geo.Error{Code: geo.EInvalid, Message: "invalid input", Fields: map[string]string{"version": "the id of a change of the history"}}
	}
	a, err := s.History.RestoreActor(c.Request().Context(), id, in.Version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.writtenActorJSON(c.Request().Context(), a, keeper(c)))
}
