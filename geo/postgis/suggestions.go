package postgis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// SuggestionStore keeps the public's suggestions and their moderation.
type SuggestionStore struct {
	db *DB
}

// NewSuggestionStore returns a store of suggestions on db.
func NewSuggestionStore(db *DB) *SuggestionStore { return &SuggestionStore{db: db} }

// EmailRetention is how long a proposer's email is kept after the
// decision.
const EmailRetention = 30 * 24 * time.Hour

// DuplicateSimilarity is the least trigram similarity of folded names
// that makes an actor within DuplicateRadius a duplicate candidate.
const (
	DuplicateSimilarity = 0.5
	DuplicateRadius     = 300 // metres
)

// findDuplicate returns the actor that a structure of siret, name and
// point may repeat: the same SIRET, else the most similar folded name
// within DuplicateRadius; nil when none. exclude is an actor not to
// return (the one a correction is about).
func findDuplicate(ctx context.Context, q querier, siret, name string, p *[2]float64, exclude int64) (*geo.Duplicate, error) {
	var lon, lat *float64
	if p != nil {
		lon, lat = &p[0], &p[1]
	}
	d := &geo.Duplicate{}
	err := q.QueryRow(ctx, `
		SELECT id, name, reason FROM (
			SELECT a.id, a.name, 'siret' AS reason, 2.0 AS score
			FROM actors a WHERE $1 <> '' AND a.siret = $1 AND a.id <> $5
			UNION ALL
			SELECT a.id, a.name, 'name', similarity(maillage_fold(a.name), maillage_fold($2))
			FROM actors a
			WHERE $3::float8 IS NOT NULL AND $2 <> '' AND a.id <> $5
				AND ST_DWithin(a.location, ST_SetSRID(ST_MakePoint($3, $4), 4326), 0.01)
				AND ST_DWithin(a.location::geography, ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography, $6)
				AND similarity(maillage_fold(a.name), maillage_fold($2)) >= $7
		) c ORDER BY score DESC, id LIMIT 1`,
		siret, name, lon, lat, exclude, DuplicateRadius, DuplicateSimilarity).Scan(&d.ActorID, &d.Name, &d.Reason)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// CreateSuggestion stores s as pending, with its duplicate candidate.
// Returns ENotFound when it corrects an actor that does not exist.
func (s *SuggestionStore) CreateSuggestion(ctx context.Context, sg *geo.Suggestion) error {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var exclude int64
	if sg.ActorID != nil {
		exclude = *sg.ActorID
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM actors WHERE id = $1 AND status = 'published')`, exclude).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return &geo.Error{Code: geo.ENotFound, Message: "no such actor", Fields: map[string]string{"actor_id": "no published actor has this id"}}
		}
	}
	if sg.ActorID == nil {
		sg.Duplicate, err = findDuplicate(ctx, tx, deref(sg.Fields.SIRET), deref(sg.Fields.Name), sg.Fields.Location, exclude)
		if err != nil {
			return err
		}
	}
	fields, err := json.Marshal(sg.Fields)
	if err != nil {
		return err
	}
	var dupID *int64
	dupReason := ""
	if sg.Duplicate != nil {
		dupID, dupReason = &sg.Duplicate.ActorID, sg.Duplicate.Reason
	}
	var email *string
	if sg.Email != "" {
		email = &sg.Email
	}
	sg.State = geo.SuggestionPending
	err = tx.QueryRow(ctx, `
		INSERT INTO suggestions (actor_id, fields, email, duplicate_id, duplicate_reason)
		VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at`,
		sg.ActorID, fields, email, dupID, dupReason).Scan(&sg.ID, &sg.CreatedAt)
	if err != nil {
		return err
	}
	return tx.Commit(ctx)
}

const suggestionColumns = `s.id, s.actor_id, s.fields, coalesce(s.email, '') AS email, s.state, s.reason,
	s.duplicate_id, s.duplicate_reason, coalesce(d.name, '') AS duplicate_name, s.decided_by, s.decided_at, s.created_at`

type suggestionRow struct {
	ID              int64
	ActorID         *int64 `db:"actor_id"`
	Fields          []byte
	Email           string
	State           string
	Reason          string
	DuplicateID     *int64     `db:"duplicate_id"`
	DuplicateReason string     `db:"duplicate_reason"`
	DuplicateName   string     `db:"duplicate_name"`
	DecidedBy       string     `db:"decided_by"`
	DecidedAt       *time.Time `db:"decided_at"`
	CreatedAt       time.Time  `db:"created_at"`
}

func (r suggestionRow) suggestion() (geo.Suggestion, error) {
	sg := geo.Suggestion{ID: r.ID, ActorID: r.ActorID, Email: r.Email, State: r.State, Reason: r.Reason,
		DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt, CreatedAt: r.CreatedAt}
	if r.DuplicateID != nil {
		sg.Duplicate = &geo.Duplicate{ActorID: *r.DuplicateID, Name: r.DuplicateName, Reason: r.DuplicateReason}
	}
	return sg, json.Unmarshal(r.Fields, &sg.Fields)
}

func collectSuggestions(rows pgx.Rows) ([]geo.Suggestion, error) {
	rs, err := pgx.CollectRows(rows, pgx.RowToStructByName[suggestionRow])
	if err != nil {
		return nil, err
	}
	out := make([]geo.Suggestion, len(rs))
	for i, r := range rs {
		if out[i], err = r.suggestion(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PendingSuggestions returns the pending suggestions, oldest first, at
// most limit, and how many are pending.
func (s *SuggestionStore) PendingSuggestions(ctx context.Context, limit int) ([]geo.Suggestion, int, error) {
	rows, _ := s.db.Pool.Query(ctx, `
		SELECT `+suggestionColumns+` FROM suggestions s LEFT JOIN actors d ON d.id = s.duplicate_id
		WHERE s.state = 'pending' ORDER BY s.id LIMIT $1`, limit)
	out, err := collectSuggestions(rows)
	if err != nil {
		return nil, 0, err
	}
	n, err := s.CountPending(ctx)
	return out, n, err
}

// CountPending returns how many suggestions wait for a moderator.
func (s *SuggestionStore) CountPending(ctx context.Context) (int, error) {
	var n int
	err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM suggestions WHERE state = 'pending'`).Scan(&n)
	return n, err
}

// DecideSuggestion applies d to the pending suggestion id, in one
// transaction: accepting creates the actor (published, geocoded like any
// other) or corrects it; merging writes the suggestion's fields into the
// actor Into; rejecting keeps the reason. Returns the suggestion and the
// actor written (nil when rejected). ENotFound for no such pending
// suggestion or actor; EInvalid for a bad decision or actor.
func (s *SuggestionStore) DecideSuggestion(ctx context.Context, id int64, d geo.Decision) (*geo.Suggestion, *geo.Actor, error) {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback(ctx)
	rows, _ := tx.Query(ctx, `
		SELECT `+suggestionColumns+` FROM suggestions s LEFT JOIN actors d ON d.id = s.duplicate_id
		WHERE s.id = $1 AND s.state = 'pending' FOR UPDATE OF s`, id)
	sgs, err := collectSuggestions(rows)
	if err != nil {
		return nil, nil, err
	}
	if len(sgs) == 0 {
		return nil, nil, geo.Errorf(geo.ENotFound, "no pending suggestion %d", id)
	}
	sg := sgs[0]
	fields := sg.Fields
	if d.Edits != nil {
		fields = *d.Edits
	}
	var result *geo.Actor
	switch d.State {
	case geo.SuggestionRejected:
	case geo.SuggestionAccepted, geo.SuggestionMerged:
		target := int64(0)
		if d.State == geo.SuggestionMerged {
			target = d.Into
		} else if sg.ActorID != nil {
			target = *sg.ActorID
		}
		if err := fields.Validate(target != 0); err != nil {
			return nil, nil, err
		}
		upd := fields.Update()
		if target == 0 {
			a := &geo.Actor{Status: geo.StatusPublished, Source: "contribution"}
			upd.Apply(a)
			a.Normalize()
			if err := a.Validate(); err != nil {
				return nil, nil, err
			}
			if err := createActor(ctx, tx, a); err != nil {
				return nil, nil, err
			}
			target = a.ID
		} else {
			a, err := findActorByID(ctx, tx, target)
			if err != nil {
				return nil, nil, err
			}
			upd.Apply(a)
			a.Normalize()
			if err := a.ValidateImported(); err != nil {
				return nil, nil, err
			}
			if _, err := updateActor(ctx, tx, a); err != nil {
				return nil, nil, err
			}
		}
		if result, err = findActorByID(ctx, tx, target); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, &geo.Error{Code: geo.EInvalid, Message: "invalid decision", Fields: map[string]string{"state": "accepted, rejected or merged"}}
	}
	var resultID *int64
	if result != nil {
		resultID = &result.ID
	}
	if _, err := tx.Exec(ctx, `
		UPDATE suggestions SET state = $2, reason = $3, result_id = $4, decided_by = $5, decided_at = now()
		WHERE id = $1`, id, d.State, d.Reason, resultID, d.By); err != nil {
		return nil, nil, err
	}
	sg.State, sg.Reason, sg.DecidedBy = d.State, d.Reason, d.By
	if err := tx.Commit(ctx); err != nil {
		return nil, nil, err
	}
	return &sg, result, nil
}

// PurgeEmails deletes the proposers' emails of suggestions decided more
// than EmailRetention ago, and returns how many.
func (s *SuggestionStore) PurgeEmails(ctx context.Context) (int64, error) {
	tag, err := s.db.Pool.Exec(ctx, `
		UPDATE suggestions SET email = NULL
		WHERE email IS NOT NULL AND decided_at < now() - make_interval(secs => $1)`, EmailRetention.Seconds())
	if err != nil {
		return 0, fmt.Errorf("purging proposers' emails: %w", err)
	}
	return tag.RowsAffected(), nil
}
