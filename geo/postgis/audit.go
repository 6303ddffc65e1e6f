package postgis

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// authorData keys the author a pooled connection's settings name.
const authorData = "maillage.author"

// prepareAuthor gives the connection about to serve ctx the settings the
// history triggers read (maillage.who, maillage.route, maillage.audit):
// those of ctx's geo.Author, or none. A round trip only when they
// change, so that reads without an author cost nothing more.
func prepareAuthor(ctx context.Context, conn *pgx.Conn) (bool, error) {
	a, _ := geo.AuthorOf(ctx)
	off := ""
	if a.Off {
		off = "off"
	}
	want := a.Who + "\x00" + a.Route + "\x00" + off
	data := conn.PgConn().CustomData()
	have, ok := data[authorData].(string)
	if !ok {
		have = "\x00\x00"
	}
	if have == want {
		return true, nil
	}
	_, err := conn.Exec(ctx, `SELECT set_config('maillage.who', $1, false), set_config('maillage.route', $2, false),
		set_config('maillage.audit', $3, false)`, a.Who, a.Route, off)
	if err != nil {
		return false, err
	}
	data[authorData] = want
	return true, nil
}

// ActorHistory returns the changes of actor id, oldest first; a deleted
// actor keeps its history. Returns ENotFound when it has none.
func (s *ActorStore) ActorHistory(ctx context.Context, id int64) ([]geo.Change, error) {
	rows, _ := s.db.Pool.Query(ctx, `
		SELECT id, at, who, route, action, coalesce(before, 'null') AS before, coalesce(after, 'null') AS after
		FROM audit_log WHERE entity = 'actor' AND entity_id = $1
		ORDER BY id`, id)
	cs, err := pgx.CollectRows(rows, pgx.RowToStructByName[geo.Change])
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, geo.Errorf(geo.ENotFound, "actor %d has no history", id)
	}
	return cs, nil
}

// restoredColumns are the columns of actors a restore writes back: those
// audit_actor_state keeps, but the id and the point (set apart).
const restoredColumns = `name, legal_form_code, legal_form_label, ess_family, kind, naf, siret, street, postcode,
	city, citycode, location_source, geocoder, geocode_score, geocode_label, geocode_state, description, website,
	email, phone, contact_public, networks, projects, expertise, status, source, external_id`

// RestoreActor gives actor id back the state it had after its change
// version (the state before it, for a deletion), re-creating it if it
// was deleted; the restore is itself a change of the history. Returns
// ENotFound for a version that is not one of the actor's, EConflict when
// the restored SIRET or external id is now another actor's.
func (s *ActorStore) RestoreActor(ctx context.Context, id, version int64) (*geo.Actor, error) {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	rows, _ := tx.Query(ctx, `
		SELECT id, at, who, route, action, coalesce(before, 'null') AS before, coalesce(after, 'null') AS after
		FROM audit_log WHERE entity = 'actor' AND entity_id = $1 AND id <= $2
		ORDER BY id`, id, version)
	cs, err := pgx.CollectRows(rows, pgx.RowToStructByName[geo.Change])
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 || cs[len(cs)-1].ID != version {
		return nil, geo.Errorf(geo.ENotFound, "actor %d has no version %d", id, version)
	}
	state := map[string]json.RawMessage{}
	for _, c := range cs {
		var part map[string]json.RawMessage
		src := c.After
		if c.Action == "delete" {
			src = c.Before
		}
		if err := json.Unmarshal(src, &part); err != nil {
			return nil, fmt.Errorf("audit_log %d: %w", c.ID, err)
		}
		if c.Action == "create" || c.Action == "delete" {
			sectors := state["sectors"]
			state = map[string]json.RawMessage{}
			if sectors != nil {
				state["sectors"] = sectors
			}
		}
		maps.Copy(state, part)
	}
	var sectors []string
	if raw, ok := state["sectors"]; ok {
		if err := json.Unmarshal(raw, &sectors); err != nil {
			return nil, err
		}
	}
	delete(state, "sectors")
	location := state["location"]
	delete(state, "location")
	row, err := json.Marshal(state)
	if err != nil {
		return nil, err
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM actors WHERE id = $1)`, id).Scan(&exists); err != nil {
		return nil, err
	}
	if !exists {
		_, err = tx.Exec(ctx, `
			INSERT INTO actors (id, `+restoredColumns+`)
			OVERRIDING SYSTEM VALUE
			SELECT $1, `+restoredColumns+` FROM jsonb_populate_record(NULL::actors, $2::jsonb)`, id, row)
	} else {
		_, err = tx.Exec(ctx, `
			UPDATE actors SET (`+restoredColumns+`) = (
				SELECT `+restoredColumns+` FROM jsonb_populate_record(NULL::actors, $2::jsonb)),
				updated_at = now()
			WHERE id = $1`, id, row)
	}
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("actor %d", id))
	}
	if _, err := tx.Exec(ctx, `
		UPDATE actors SET location = ST_SetSRID(ST_GeomFromGeoJSON(nullif($2::jsonb, 'null'::jsonb)), 4326)
		WHERE id = $1 AND location IS DISTINCT FROM ST_SetSRID(ST_GeomFromGeoJSON(nullif($2::jsonb, 'null'::jsonb)), 4326)`,
		id, nullJSON(location)); err != nil {
		return nil, err
	}
	if sectors != nil {
		if _, err := setActorSectors(ctx, tx, id, sectors); err != nil {
			return nil, err
		}
	}
	a, err := findActorByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	return a, tx.Commit(ctx)
}

func nullJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	return string(raw)
}
