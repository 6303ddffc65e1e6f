package postgis

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// ImportActors creates or updates each actor, matched to an existing one by
// SIRET and structure type, else by source and external_id. Importing the
// same actors twice changes nothing the second time. An actor that fails
// (an invalid field, an unknown sector, a conflict) is reported in its
// outcome and skipped; the others are kept. With dryRun nothing is written
// but the outcomes are the same. progress, if not nil, is called after each
// actor.
func (s *ActorStore) ImportActors(ctx context.Context, actors []*geo.Actor, dryRun bool, progress func(done int)) ([]geo.ImportOutcome, error) {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	out := make([]geo.ImportOutcome, len(actors))
	for i, a := range actors {
		out[i] = importActor(ctx, tx, a)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if progress != nil {
			progress(i + 1)
		}
	}
	if dryRun {
		return out, nil
	}
	return out, tx.Commit(ctx)
}

// importActor imports a inside a savepoint of tx, so that its failure
// leaves the rest of the import intact.
func importActor(ctx context.Context, tx pgx.Tx, a *geo.Actor) geo.ImportOutcome {
	a.Normalize()
	if err := a.ValidateImported(); err != nil {
		return geo.ImportOutcome{Change: geo.ImportFailed, Err: err}
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return geo.ImportOutcome{Change: geo.ImportFailed, Err: err}
	}
	o := upsertActor(ctx, sp, a)
	if o.Err != nil {
		if err := sp.Rollback(ctx); err != nil {
			o.Err = errors.Join(o.Err, err)
		}
		return o
	}
	if err := sp.Commit(ctx); err != nil {
		return geo.ImportOutcome{Change: geo.ImportFailed, Err: err}
	}
	return o
}

func upsertActor(ctx context.Context, tx pgx.Tx, a *geo.Actor) geo.ImportOutcome {
	id, err := matchActor(ctx, tx, a)
	if err != nil {
		return geo.ImportOutcome{Change: geo.ImportFailed, Err: err}
	}
	if id == 0 {
		if err := createActor(ctx, tx, a); err != nil {
			return geo.ImportOutcome{Change: geo.ImportFailed, Err: err}
		}
		return geo.ImportOutcome{ID: a.ID, Change: geo.ImportCreated}
	}
	existing, err := findActorByID(ctx, tx, id)
	if err != nil {
		return geo.ImportOutcome{ID: id, Change: geo.ImportFailed, Err: err}
	}
	changed, err := updateActor(ctx, tx, geo.MergeImported(existing, a))
	switch {
	case err != nil:
		return geo.ImportOutcome{ID: id, Change: geo.ImportFailed, Err: err}
	case changed:
		return geo.ImportOutcome{ID: id, Change: geo.ImportUpdated}
	}
	return geo.ImportOutcome{ID: id, Change: geo.ImportUnchanged}
}

// matchActor returns the id of the actor that a designates, by SIRET and
// structure type first, then by source and external_id; 0 if none.
func matchActor(ctx context.Context, tx pgx.Tx, a *geo.Actor) (int64, error) {
	var id int64
	if a.SIRET != "" {
		err := tx.QueryRow(ctx, `SELECT id FROM actors WHERE siret = $1 AND kind = $2`, a.SIRET, a.Kind).Scan(&id)
		if !errors.Is(err, pgx.ErrNoRows) {
			return id, err
		}
	}
	if a.ExternalID != "" {
		err := tx.QueryRow(ctx, `SELECT id FROM actors WHERE source = $1 AND external_id = $2`, a.Source, a.ExternalID).Scan(&id)
		if !errors.Is(err, pgx.ErrNoRows) {
			return id, err
		}
	}
	return 0, nil
}
