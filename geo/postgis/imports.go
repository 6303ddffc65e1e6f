package postgis

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/maillage/maillage/geo"
)

// ImportActors creates or updates each actor, matched to an existing one by
// SIRET and structure type, else by source and external_id. Importing the
// same actors twice changes nothing the second time. An actor that fails
// (an invalid field, an unknown sector, a conflict) is reported in its
// outcome and skipped; the others are kept. With dryRun nothing is written
// but the outcomes are the same. progress, if not nil, is called after
// each batch of actors with the number done.
func (s *ActorStore) ImportActors(ctx context.Context, actors []*geo.Actor, dryRun bool, progress func(done int)) ([]geo.ImportOutcome, error) {
	out := make([]geo.ImportOutcome, 0, len(actors))
	err := s.ImportBatches(ctx, dryRun, "", func(put func([]*geo.Actor) ([]geo.ImportOutcome, error)) error {
		for start := 0; start < len(actors); start += ImportBatchSize {
			o, err := put(actors[start:min(start+ImportBatchSize, len(actors))])
			if err != nil {
				return err
			}
			out = append(out, o...)
			if progress != nil {
				progress(len(out))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ImportBatchSize is the number of actors ImportActors writes at a time.
const ImportBatchSize = 1000

// ImportBatches opens one transaction and calls fill with put, which
// imports a batch of actors in it as ImportActors does and returns their
// outcomes. When fill returns nil, attribution (unless "") is recorded for
// the source of every actor stored, and the transaction commits (unless
// dryRun): an import is stored whole or not at all. When the commit itself
// fails for the connection, whether it was stored is unknown: the error
// is then an EUnavailable saying so. Each batch costs a few
// statements: the actors it names are read at once, new ones are copied
// in together, changed ones updated in one round trip, unchanged ones not
// written; a batch where the database refuses a row is done again row by
// row, each in a savepoint, to tell which row and why.
func (s *ActorStore) ImportBatches(ctx context.Context, dryRun bool, attribution string, fill func(put func([]*geo.Actor) ([]geo.ImportOutcome, error)) error) error {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `
		CREATE TEMP TABLE import_new (
			id bigint, name text, legal_form_code text, legal_form_label text, ess_family text, kind text,
			naf text, siret text, street text, postcode text, city text, citycode text,
			lon float8, lat float8, location_source text, geocoder text, geocode_score float8,
			geocode_label text, geocode_state text, description text, website text, email text,
			phone text, contact_public boolean, networks text[], projects text[], expertise text[],
			status text, source text, external_id text, sectors text[]
		) ON COMMIT DROP`)
	if err != nil {
		return err
	}
	var stored, analyzed int
	sources := map[string]bool{}
	put := func(actors []*geo.Actor) ([]geo.ImportOutcome, error) {
		// The planner reads the size of actors from its statistics, which
		// know nothing of the rows this import adds: refreshed each time
		// the import doubles them (ANALYZE counts the transaction's own
		// rows), its plans stay index lookups instead of scans.
		if stored >= 2*analyzed+ImportBatchSize {
			if _, err := tx.Exec(ctx, `ANALYZE actors, actor_sectors`); err != nil {
				return nil, err
			}
			analyzed = stored
		}
		stored += len(actors)
		out := make([]geo.ImportOutcome, len(actors))
		var valid []int
		for i, a := range actors {
			a.Normalize()
			if err := a.ValidateImported(); err != nil {
				out[i] = geo.ImportOutcome{Change: geo.ImportFailed, Err: err}
				continue
			}
			valid = append(valid, i)
		}
		// Rows naming the same actor are done in order, in separate groups.
		for len(valid) > 0 {
			n := distinctPrefix(actors, valid)
			if err := importGroup(ctx, tx, actors, valid[:n], out); err != nil {
				return nil, err
			}
			valid = valid[n:]
		}
		for i, o := range out {
			if o.Change != geo.ImportFailed && actors[i].Source != "" {
				sources[actors[i].Source] = true
			}
		}
		if err := flagDuplicates(ctx, tx, out); err != nil {
			return nil, err
		}
		return out, ctx.Err()
	}
	if err := fill(put); err != nil {
		return err
	}
	if dryRun {
		return nil
	}
	for _, src := range slices.Sorted(maps.Keys(sources)) {
		if err := setAttribution(ctx, tx, src, attribution); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		if _, refused := errors.AsType[*pgconn.PgError](err); refused || pgconn.SafeToRetry(err) {
			return err // rolled back
		}
		return &geo.Error{Code: geo.EUnavailable, Message: "the connection to the database failed while the import " +
			"was being committed: it may or may not be stored; importing the same file again is safe (nothing is stored twice)"}
	}
	return nil
}

// distinctPrefix returns how many of the actors at idx, from the first,
// name no actor twice (by SIRET and structure type, or source and
// external_id).
func distinctPrefix(actors []*geo.Actor, idx []int) int {
	seen := map[string]bool{}
	for n, i := range idx {
		a := actors[i]
		var keys []string
		if a.SIRET != "" {
			keys = append(keys, "s\x00"+a.SIRET+"\x00"+a.Kind, "s\x00"+a.SIRET)
		}
		if a.ExternalID != "" {
			keys = append(keys, "e\x00"+a.Source+"\x00"+a.ExternalID)
		}
		for _, k := range keys {
			if seen[k] {
				return n
			}
		}
		for _, k := range keys {
			seen[k] = true
		}
	}
	return len(idx)
}

// importGroup imports the actors at idx, which name distinct actors, and
// sets their outcomes. A row the database refuses makes the whole group
// be done again row by row.
func importGroup(ctx context.Context, tx pgx.Tx, actors []*geo.Actor, idx []int, out []geo.ImportOutcome) error {
	existing, err := findImported(ctx, tx, actors, idx)
	if err != nil {
		return err
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return err
	}
	if err := writeGroup(ctx, sp, actors, idx, existing, out); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := sp.Rollback(ctx); err != nil {
			return err
		}
		for _, i := range idx {
			out[i] = importActor(ctx, tx, actors[i])
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	}
	return sp.Commit(ctx)
}

// importedActors are the stored actors a group of imported rows names.
type importedActors struct {
	bySIRET, byExternal map[[2]string]*geo.Actor
}

// match returns the actor a designates, by SIRET and structure type first,
// then by source and external_id; nil if none.
func (m importedActors) match(a *geo.Actor) *geo.Actor {
	if a.SIRET != "" {
		if e := m.bySIRET[[2]string{a.SIRET, a.Kind}]; e != nil {
			return e
		}
	}
	if a.ExternalID != "" {
		return m.byExternal[[2]string{a.Source, a.ExternalID}]
	}
	return nil
}

// findImported reads at once the stored actors that the actors at idx
// name. Each key is looked up in its index (OFFSET 0 keeps the planner
// from turning the lookups into a join): in the middle of an import, the
// statistics of actors still say it is as small as before, and a join
// planned on them scans every row of the import once per key.
func findImported(ctx context.Context, tx pgx.Tx, actors []*geo.Actor, idx []int) (importedActors, error) {
	var sirets, kinds, sources, externals []string
	for _, i := range idx {
		a := actors[i]
		if a.SIRET != "" {
			sirets, kinds = append(sirets, a.SIRET), append(kinds, a.Kind)
		}
		if a.ExternalID != "" {
			sources, externals = append(sources, a.Source), append(externals, a.ExternalID)
		}
	}
	m := importedActors{bySIRET: map[[2]string]*geo.Actor{}, byExternal: map[[2]string]*geo.Actor{}}
	rows, _ := tx.Query(ctx, `
		SELECT `+actorColumns+` FROM actors a WHERE a.id = ANY(ARRAY(
			SELECT b.id FROM unnest($1::text[], $2::text[]) k(siret, kind), LATERAL (
				SELECT id FROM actors b WHERE b.siret = k.siret AND b.kind = k.kind AND b.siret <> '' OFFSET 0) b
			UNION
			SELECT b.id FROM unnest($3::text[], $4::text[]) k(source, external_id), LATERAL (
				SELECT id FROM actors b WHERE b.source = k.source AND b.external_id = k.external_id
					AND b.external_id <> '' OFFSET 0) b))`,
		sirets, kinds, sources, externals)
	found, err := pgx.CollectRows(rows, pgx.RowToStructByName[actorRow])
	if err != nil {
		return m, err
	}
	for _, r := range found {
		a := r.actor()
		if a.SIRET != "" {
			m.bySIRET[[2]string{a.SIRET, a.Kind}] = a
		}
		if a.ExternalID != "" {
			m.byExternal[[2]string{a.Source, a.ExternalID}] = a
		}
	}
	return m, nil
}

// writeGroup creates and updates the actors at idx in tx and sets their
// outcomes; it returns the first error of the database.
func writeGroup(ctx context.Context, tx pgx.Tx, actors []*geo.Actor, idx []int, m importedActors, out []geo.ImportOutcome) error {
	var creates []*geo.Actor
	var createdAt []int
	batch := &pgx.Batch{}
	for _, i := range idx {
		a := actors[i]
		e := m.match(a)
		if e == nil {
			if a.Location == nil && a.Geocoding.State == geo.GeocodeNone {
				a.Geocoding.State = geo.GeocodePending
			}
			creates, createdAt = append(creates, a), append(createdAt, i)
			continue
		}
		merged := geo.MergeImported(e, a)
		if merged.Location == nil && merged.Geocoding.State == geo.GeocodeNone {
			merged.Geocoding.State = geo.GeocodePending
		}
		out[i] = geo.ImportOutcome{ID: e.ID, Change: geo.ImportUnchanged}
		if sameStored(e, merged) {
			continue
		}
		out[i].Change = geo.ImportUpdated
		args := actorArgs(merged)
		args["id"] = merged.ID
		batch.Queue(updateActorSQL, args)
		// The new sectors first, as setActorSectors does.
		batch.Queue(`INSERT INTO actor_sectors (actor_id, sector_slug) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
			merged.ID, merged.Sectors)
		batch.Queue(`DELETE FROM actor_sectors WHERE actor_id = $1 AND NOT sector_slug = ANY($2)`, merged.ID, merged.Sectors)
		// A change of sectors only still moves updated_at.
		batch.Queue(`UPDATE actors SET updated_at = now() WHERE id = $1 AND updated_at < now()`, merged.ID)
	}
	if batch.Len() > 0 {
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return mapError(err, "actor")
		}
	}
	if len(creates) == 0 {
		return nil
	}
	if err := createActors(ctx, tx, creates); err != nil {
		return err
	}
	for k, i := range createdAt {
		out[i] = geo.ImportOutcome{ID: creates[k].ID, Change: geo.ImportCreated}
	}
	return nil
}

// sameStored reports whether storing b over a would change nothing.
func sameStored(a, b *geo.Actor) bool {
	fa, fb := actorArgs(a), actorArgs(b)
	for k, va := range fa {
		if !reflect.DeepEqual(va, fb[k]) {
			return false
		}
	}
	return sameSlugs(a.Sectors, b.Sectors)
}

func sameSlugs(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// createActors stores new actors, setting their ids, in three statements:
// their ids are taken from the identity sequence, the rows are copied
// into import_new, then moved to actors and actor_sectors.
func createActors(ctx context.Context, tx pgx.Tx, actors []*geo.Actor) error {
	rows, _ := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('actors', 'id')) FROM generate_series(1, $1)`, len(actors))
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	for i, a := range actors {
		a.ID = ids[i]
	}
	i := 0
	var row []any
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"import_new"}, importNewColumns, pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(actors) {
			return nil, nil
		}
		a := actors[i]
		i++
		var lon, lat *float64
		if a.Location != nil {
			lon, lat = &a.Location.Lon, &a.Location.Lat
		}
		row = append(row[:0], a.ID, a.Name, a.LegalForm.Code, a.LegalForm.Label, a.LegalForm.Family, a.Kind,
			a.NAF, a.SIRET, a.Address.Street, a.Address.Postcode, a.Address.City, a.Address.Citycode,
			lon, lat, a.Geocoding.Source, a.Geocoding.Geocoder, a.Geocoding.Score,
			a.Geocoding.Label, a.Geocoding.State, a.Description, a.Website, a.Email,
			a.Phone, a.ContactPublic, nonNil(a.Networks), nonNil(a.Projects), nonNil(a.Expertise),
			string(a.Status), a.Source, a.ExternalID, nonNil(a.Sectors))
		return row, nil
	}))
	if err != nil {
		return err
	}
	batch := &pgx.Batch{}
	batch.Queue(`
		INSERT INTO actors (id, name, legal_form_code, legal_form_label, ess_family, kind, naf, siret,
			street, postcode, city, citycode, location, location_source, geocoder, geocode_score,
			geocode_label, geocode_state, description, website, email, phone, contact_public,
			networks, projects, expertise, status, source, external_id, sector_slugs)
		OVERRIDING SYSTEM VALUE
		SELECT id, name, legal_form_code, legal_form_label, ess_family, kind, naf, siret,
			street, postcode, city, citycode, ST_SetSRID(ST_MakePoint(lon, lat), 4326), location_source,
			geocoder, geocode_score, geocode_label, geocode_state, description, website, email, phone,
			contact_public, networks, projects, expertise, status, source, external_id, ` + sectorSlugsOf("import_new.sectors") + `
		FROM import_new ORDER BY id`)
	batch.Queue(`
		INSERT INTO actor_sectors (actor_id, sector_slug)
		SELECT DISTINCT id, unnest(sectors) FROM import_new`)
	batch.Queue(`TRUNCATE import_new`)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return mapError(err, "actor")
	}
	return nil
}

var importNewColumns = []string{"id", "name", "legal_form_code", "legal_form_label", "ess_family", "kind",
	"naf", "siret", "street", "postcode", "city", "citycode", "lon", "lat", "location_source", "geocoder",
	"geocode_score", "geocode_label", "geocode_state", "description", "website", "email", "phone",
	"contact_public", "networks", "projects", "expertise", "status", "source", "external_id", "sectors"}

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

// duplicateCandidates is how many of the nearest older actors within
// DuplicateRadius an imported actor's name is compared with.
const duplicateCandidates = 100

// flagDuplicates sets the Duplicate of the actors created in out: an
// older actor with the same SIRET, or with a folded name of trigram
// similarity at least DuplicateSimilarity within DuplicateRadius. One
// query for the batch; the two tests are two branches, so that each uses
// its index (actors_siret_kind, actors_location) where one OR read every
// older actor (hours for 3,853 rows at 1.5 M actors); "d.id + 0" keeps
// the planner from walking the primary key in order instead. Names are
// compared with the duplicateCandidates nearest older actors within the
// radius only, so that actors piled on one point (a commune's centre,
// when geocoding found no street) cost a bounded number of comparisons
// each, not one per actor of the pile.
func flagDuplicates(ctx context.Context, tx pgx.Tx, out []geo.ImportOutcome) error {
	var ids []int64
	at := map[int64]int{}
	for i, o := range out {
		if o.Change == geo.ImportCreated && o.ID != 0 {
			ids = append(ids, o.ID)
			at[o.ID] = i
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `
		SELECT a.id, d.id, d.name, d.reason
		FROM actors a
		CROSS JOIN LATERAL (
			SELECT c.id, c.name, c.reason FROM (
				(SELECT d.id, d.name, 'siret' AS reason, 1 AS rank
				 FROM actors d
				 WHERE a.siret <> '' AND d.siret <> '' AND d.siret = a.siret AND d.id < a.id
				 ORDER BY d.id + 0 LIMIT 1)
				UNION ALL
				(SELECT n.id, n.name, 'name', 2
				 FROM (
					SELECT d.id, d.name
					FROM actors d
					WHERE a.location IS NOT NULL AND d.id < a.id AND ST_DWithin(d.location, a.location, 0.01)
						AND ST_DWithin(d.location::geography, a.location::geography, $2)
					ORDER BY d.location <-> a.location
					LIMIT $4) n
				 WHERE similarity(maillage_fold(n.name), maillage_fold(a.name)) >= $3
				 ORDER BY n.id LIMIT 1)
			) c
			ORDER BY c.rank, c.id
			LIMIT 1
		) d
		WHERE a.id = ANY($1)`, ids, DuplicateRadius, DuplicateSimilarity, duplicateCandidates)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		d := &geo.Duplicate{}
		if err := rows.Scan(&id, &d.ActorID, &d.Name, &d.Reason); err != nil {
			return err
		}
		out[at[id]].Duplicate = d
	}
	return rows.Err()
}
