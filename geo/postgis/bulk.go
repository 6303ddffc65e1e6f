package postgis

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// CopyActors stores the actors next returns until it returns nil, in one
// transaction, through COPY: the way to load hundreds of thousands of
// generated actors in minutes. The actors are taken as they are (no
// normalisation, no validation beyond the schema's) and must each have a
// source and an external_id. Returns how many were stored.
//
// The actors are stored in the order of their location (PostGIS sorts
// geometries along a space-filling curve), so that the actors of a tile
// share a few heap pages and their ids are near each other; then the
// tables are vacuumed, so that tile_clusters is read with index-only
// scans at once.
func (s *ActorStore) CopyActors(ctx context.Context, next func() *geo.Actor) (int64, error) {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `
		CREATE TEMP TABLE actors_copy (
			name text, kind text, legal_form_code text, legal_form_label text, ess_family text,
			city text, lon float8, lat float8, location_source text, status text,
			source text, external_id text, sectors text[]
		) ON COMMIT DROP`)
	if err != nil {
		return 0, err
	}
	var row []any
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"actors_copy"},
		[]string{"name", "kind", "legal_form_code", "legal_form_label", "ess_family", "city", "lon", "lat",
			"location_source", "status", "source", "external_id", "sectors"},
		pgx.CopyFromFunc(func() ([]any, error) {
			a := next()
			if a == nil {
				return nil, nil
			}
			var lon, lat *float64
			if a.Location != nil {
				lon, lat = &a.Location.Lon, &a.Location.Lat
			}
			row = append(row[:0], a.Name, a.Kind, a.LegalForm.Code, a.LegalForm.Label, a.LegalForm.Family,
				a.Address.City, lon, lat, a.Geocoding.Source, string(a.Status), a.Source, a.ExternalID, a.Sectors)
			return row, nil
		}))
	if err != nil {
		return 0, err
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO actors (name, kind, legal_form_code, legal_form_label, ess_family, city, location,
			location_source, status, source, external_id)
		SELECT name, kind, legal_form_code, legal_form_label, ess_family, city,
			ST_SetSRID(ST_MakePoint(lon, lat), 4326), location_source, status, source, external_id
		FROM actors_copy
		ORDER BY ST_SetSRID(ST_MakePoint(lon, lat), 4326)`)
	if err != nil {
		return 0, mapError(err, "actors")
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO actor_sectors (actor_id, sector_slug)
		SELECT DISTINCT a.id, unnest(c.sectors)
		FROM actors_copy c JOIN actors a ON a.source = c.source AND a.external_id = c.external_id`)
	if err != nil {
		return 0, mapError(err, "actor sectors")
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	_, err = s.db.Pool.Exec(ctx, `VACUUM (ANALYZE) actors, actor_sectors, actor_places, tile_clusters`)
	return n, err
}
