package postgis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// GeocodingStore keeps the geocoding of actors: the queue of pending
// actors, their candidates for review, and the cache of geocoders'
// answers.
type GeocodingStore struct {
	db *DB
}

// NewGeocodingStore returns the geocoding store of db.
func NewGeocodingStore(db *DB) *GeocodingStore {
	return &GeocodingStore{db: db}
}

// candidateJSON is a candidate as stored in jsonb.
type candidateJSON struct {
	Lon      float64 `json:"lon"`
	Lat      float64 `json:"lat"`
	Label    string  `json:"label"`
	Score    float64 `json:"score"`
	Type     string  `json:"type"`
	Postcode string  `json:"postcode,omitempty"`
	Citycode string  `json:"citycode,omitempty"`
	City     string  `json:"city,omitempty"`
	Geocoder string  `json:"geocoder"`
}

func toJSON(cands []geo.Candidate) []candidateJSON {
	out := make([]candidateJSON, len(cands))
	for i, c := range cands {
		out[i] = candidateJSON{Lon: c.Point.Lon, Lat: c.Point.Lat, Label: c.Label, Score: c.Score,
			Type: c.Type, Postcode: c.Postcode, Citycode: c.Citycode, City: c.City, Geocoder: c.Geocoder}
	}
	return out
}

func fromJSON(in []candidateJSON) []geo.Candidate {
	out := make([]geo.Candidate, len(in))
	for i, c := range in {
		out[i] = geo.Candidate{Point: geo.Point{Lon: c.Lon, Lat: c.Lat}, Label: c.Label, Score: c.Score,
			Type: c.Type, Postcode: c.Postcode, Citycode: c.Citycode, City: c.City, Geocoder: c.Geocoder}
	}
	return out
}

// CachedCandidates implements geocoding.Cache: the answers of geocoder
// kept for keys, by key.
func (s *GeocodingStore) CachedCandidates(ctx context.Context, geocoder string, keys []string) (map[string][]geo.Candidate, error) {
	rows, _ := s.db.Pool.Query(ctx, `
		SELECT query, candidates FROM geocode_cache WHERE geocoder = $1 AND query = ANY($2)`, geocoder, keys)
	type hit struct {
		Query      string
		Candidates []candidateJSON
	}
	hits, err := pgx.CollectRows(rows, pgx.RowToStructByName[hit])
	if err != nil {
		return nil, err
	}
	out := make(map[string][]geo.Candidate, len(hits))
	for _, h := range hits {
		out[h.Query] = fromJSON(h.Candidates)
	}
	return out, nil
}

// CacheCandidates implements geocoding.Cache; an answer already kept
// stays as it is.
func (s *GeocodingStore) CacheCandidates(ctx context.Context, geocoder string, answers map[string][]geo.Candidate) error {
	if len(answers) == 0 {
		return nil
	}
	keys := make([]string, 0, len(answers))
	values := make([]string, 0, len(answers))
	for k, c := range answers {
		b, err := json.Marshal(toJSON(c))
		if err != nil {
			return err
		}
		keys, values = append(keys, k), append(values, string(b))
	}
	_, err := s.db.Pool.Exec(ctx, `
		INSERT INTO geocode_cache (geocoder, query, candidates)
		SELECT $1, k, v::jsonb FROM unnest($2::text[], $3::text[]) AS t(k, v)
		ON CONFLICT DO NOTHING`, geocoder, keys, values)
	return err
}

// PendingGeocoding returns up to limit actors waiting for geocoding whose
// next attempt is due, in id order. Actors placed by hand are never
// among them.
func (s *GeocodingStore) PendingGeocoding(ctx context.Context, limit int) ([]geo.PendingActor, error) {
	rows, _ := s.db.Pool.Query(ctx, `
		SELECT id, street, postcode, city, citycode FROM actors
		WHERE geocode_state = 'pending' AND location_source <> 'manual'
			AND (geocode_next_attempt IS NULL OR geocode_next_attempt <= now())
		ORDER BY id LIMIT $1`, limit)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (geo.PendingActor, error) {
		var p geo.PendingActor
		err := row.Scan(&p.ID, &p.Address.Street, &p.Address.Postcode, &p.Address.City, &p.Address.Citycode)
		return p, err
	})
}

// CountPendingGeocoding returns the number of actors waiting for
// geocoding: due now, and postponed after a geocoder failed.
func (s *GeocodingStore) CountPendingGeocoding(ctx context.Context) (due, later int, err error) {
	err = s.db.Pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE geocode_next_attempt IS NULL OR geocode_next_attempt <= now()),
			count(*) FILTER (WHERE geocode_next_attempt > now())
		FROM actors WHERE geocode_state = 'pending' AND location_source <> 'manual'`).Scan(&due, &later)
	return due, later, err
}

// SaveGeocoding records the result of geocoding actor id, and reports
// whether it did: an actor that is no longer pending (placed by hand,
// deleted, geocoded by another run) is left as it is.
func (s *GeocodingStore) SaveGeocoding(ctx context.Context, id int64, r geo.GeocodeResult) (bool, error) {
	cands, err := json.Marshal(toJSON(r.Candidates))
	if err != nil {
		return false, err
	}
	args := pgx.NamedArgs{"id": id, "state": r.State, "candidates": string(cands),
		"lon": nil, "lat": nil, "geocoder": "", "score": nil, "label": "", "source": ""}
	if b := r.Best; b != nil {
		args["lon"], args["lat"], args["geocoder"], args["score"], args["label"] = b.Point.Lon, b.Point.Lat, b.Geocoder, b.Score, b.Label
		args["source"] = geo.LocationFromGeocoder
	}
	tag, err := s.db.Pool.Exec(ctx, `
		UPDATE actors SET location = ST_SetSRID(ST_MakePoint(@lon::float8, @lat::float8), 4326),
			location_source = @source, geocoder = @geocoder, geocode_score = @score,
			geocode_label = @label, geocode_state = @state, geocode_candidates = @candidates::jsonb,
			geocode_attempts = 0, geocode_next_attempt = NULL, updated_at = now()
		WHERE id = @id AND geocode_state = 'pending' AND location_source <> 'manual'`, args)
	if err != nil {
		return false, fmt.Errorf("saving the geocoding of actor %d: %w", id, err)
	}
	return tag.RowsAffected() > 0, nil
}

// PostponeGeocoding puts off the next attempt for actors ids, after a
// geocoder failed: by a minute, doubled at each failure up to a day, and
// at least by wait (a Retry-After).
func (s *GeocodingStore) PostponeGeocoding(ctx context.Context, ids []int64, wait time.Duration) error {
	_, err := s.db.Pool.Exec(ctx, `
		UPDATE actors SET geocode_attempts = geocode_attempts + 1,
			geocode_next_attempt = now() + greatest($2 * interval '1 second',
				least(interval '1 minute' * power(2, least(geocode_attempts, 11)), interval '1 day'))
		WHERE id = ANY($1) AND geocode_state = 'pending'`, ids, wait.Seconds())
	return err
}

// FindReviews returns one page of the actors whose point a person should
// check (state review) or that no geocoder found (state failed), in id
// order, with their candidates, and the number of all of them.
func (s *GeocodingStore) FindReviews(ctx context.Context, limit, offset int) ([]geo.Review, int, error) {
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback(ctx)
	var total int
	err = tx.QueryRow(ctx, `SELECT count(*) FROM actors WHERE geocode_state IN ('review', 'failed')`).Scan(&total)
	if err != nil {
		return nil, 0, err
	}
	rows, _ := tx.Query(ctx, `
		SELECT `+actorColumns+`, a.geocode_candidates AS candidates FROM actors a
		WHERE a.geocode_state IN ('review', 'failed')
		ORDER BY a.id LIMIT $1 OFFSET $2`, limit, offset)
	type reviewRow struct {
		actorRow
		Candidates []candidateJSON
	}
	found, err := pgx.CollectRows(rows, pgx.RowToStructByName[reviewRow])
	if err != nil {
		return nil, 0, err
	}
	out := make([]geo.Review, len(found))
	for i, r := range found {
		out[i] = geo.Review{Actor: r.actor(), Candidates: fromJSON(r.Candidates)}
	}
	return out, total, nil
}

// ChooseCandidate places actor id at its candidate of that index (0 is
// the best), as a person reviewing it decided: the actor leaves the
// review queue. Returns ENotFound for no such actor and EInvalid for no
// such candidate.
func (s *GeocodingStore) ChooseCandidate(ctx context.Context, id int64, index int) (*geo.Actor, error) {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	var stored []candidateJSON
	err = tx.QueryRow(ctx, `SELECT geocode_candidates FROM actors WHERE id = $1 FOR UPDATE`, id).Scan(&stored)
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("actor %d", id))
	}
	if index < 0 || index >= len(stored) {
		return nil, &geo.Error{Code: geo.EInvalid, Message: "no such candidate",
			Fields: map[string]string{"candidate": fmt.Sprintf("actor %d has %d candidates", id, len(stored))}}
	}
	c := stored[index]
	_, err = tx.Exec(ctx, `
		UPDATE actors SET location = ST_SetSRID(ST_MakePoint($2::float8, $3::float8), 4326),
			location_source = 'geocoder', geocoder = $4, geocode_score = $5, geocode_label = $6,
			geocode_state = '', geocode_next_attempt = NULL, updated_at = now()
		WHERE id = $1`, id, c.Lon, c.Lat, c.Geocoder, c.Score, c.Label)
	if err != nil {
		return nil, err
	}
	a, err := findActorByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	return a, tx.Commit(ctx)
}
