package postgis

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"

	"github.com/maillage/maillage/geo"
)

// WorkshopStore keeps workshops, their participants, annotations, votes
// and events in PostGIS. Every change of a workshop adds a row to
// workshop_events and notifies workshopsChannel in the same transaction;
// a WorkshopHub passes them on to the event streams.
type WorkshopStore struct {
	db *DB
}

// NewWorkshopStore returns a store of workshops on db.
func NewWorkshopStore(db *DB) *WorkshopStore {
	return &WorkshopStore{db: db}
}

func newWorkshopToken(prefix string) string {
	return prefix + base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

// toEWKB encodes g as EWKB with the SRID of WGS 84, for ST_GeomFromEWKB
// through pgx's binary protocol.
func toEWKB(g geom.T) ([]byte, error) {
	g, err := geom.SetSRID(g, geo.SRID)
	if err != nil {
		return nil, err
	}
	return ewkb.Marshal(g, ewkb.NDR)
}

// workshopColumns is the select list that workshopRow scans. Kinds are the
// default ones with the workshop's own over them; counts are of visible
// annotations.
const workshopColumns = `w.id, w.code, w.title, w.description, w.date, w.status, w.published,
	w.min_lon, w.min_lat, w.max_lon, w.max_lat, ST_AsEWKB(w.zone) AS zone,
	w.view_lon, w.view_lat, w.view_zoom, w.view_annotation_id, w.created_at, w.updated_at,
	ARRAY(SELECT s.sector_slug FROM workshop_sectors s JOIN sectors sec ON sec.slug = s.sector_slug
		WHERE s.workshop_id = w.id ORDER BY sec.position, s.sector_slug) AS sectors,
	(SELECT coalesce(jsonb_agg(jsonb_build_object('slug', k.slug, 'label', k.label, 'color', k.color,
			'icon', k.icon, 'position', k.position) ORDER BY k.position, k.slug), '[]')
		FROM (SELECT DISTINCT ON (slug) slug, label, color, icon, position FROM annotation_kinds
			WHERE workshop_id = w.id OR workshop_id IS NULL
			ORDER BY slug, workshop_id NULLS LAST) k) AS kinds,
	(SELECT coalesce(jsonb_object_agg(c.kind, c.n), '{}')
		FROM (SELECT kind, count(*) AS n FROM annotations
			WHERE workshop_id = w.id AND state = 'visible' GROUP BY kind) c) AS counts,
	(SELECT coalesce(max(e.id), 0) FROM workshop_events e WHERE e.workshop_id = w.id) AS last_event_id`

type workshopRow struct {
	ID               int64
	Code             string
	Title            string
	Description      string
	Date             time.Time
	Status           string
	Published        bool
	MinLon           float64 `db:"min_lon"`
	MinLat           float64 `db:"min_lat"`
	MaxLon           float64 `db:"max_lon"`
	MaxLat           float64 `db:"max_lat"`
	Zone             []byte
	ViewLon          *float64  `db:"view_lon"`
	ViewLat          *float64  `db:"view_lat"`
	ViewZoom         *int      `db:"view_zoom"`
	ViewAnnotationID *int64    `db:"view_annotation_id"`
	CreatedAt        time.Time `db:"created_at"`
	UpdatedAt        time.Time `db:"updated_at"`
	Sectors          []string
	Kinds            []geo.AnnotationKind
	Counts           map[string]int
	LastEventID      int64 `db:"last_event_id"`
}

func (r workshopRow) workshop() (*geo.Workshop, error) {
	w := &geo.Workshop{ID: r.ID, Code: r.Code, Title: r.Title, Description: r.Description, Date: r.Date,
		Status: geo.WorkshopStatus(r.Status), Published: r.Published,
		BBox:    geo.BBox{MinLon: r.MinLon, MinLat: r.MinLat, MaxLon: r.MaxLon, MaxLat: r.MaxLat},
		Sectors: r.Sectors, Kinds: r.Kinds, Counts: r.Counts, LastEventID: r.LastEventID,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.Zone != nil {
		g, err := ewkb.Unmarshal(r.Zone)
		if err != nil {
			return nil, fmt.Errorf("workshop %d zone: %w", r.ID, err)
		}
		p, ok := g.(*geom.Polygon)
		if !ok {
			return nil, fmt.Errorf("workshop %d zone: %T", r.ID, g)
		}
		w.Zone = p
	}
	if r.ViewLon != nil && r.ViewLat != nil && r.ViewZoom != nil {
		w.View = &geo.WorkshopView{Center: geo.Point{Lon: *r.ViewLon, Lat: *r.ViewLat}, Zoom: *r.ViewZoom,
			AnnotationID: r.ViewAnnotationID}
	}
	return w, nil
}

// querier runs statements on a pool or in a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func findWorkshop(ctx context.Context, q querier, where string, arg any) (*geo.Workshop, error) {
	rows, _ := q.Query(ctx, `SELECT `+workshopColumns+` FROM workshops w WHERE `+where, arg)
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[workshopRow])
	if err != nil {
		return nil, mapError(err, "workshop")
	}
	return r.workshop()
}

// FindWorkshop returns workshop id as reader sees it (its role set), or
// ENotFound, or EUnauthorized when reader may not see it.
func (s *WorkshopStore) FindWorkshop(ctx context.Context, id int64, reader geo.WorkshopAccess) (*geo.Workshop, error) {
	w, err := findWorkshop(ctx, s.db.Pool, `w.id = $1`, id)
	if err != nil {
		return nil, err
	}
	if err := reader.CanRead(w); err != nil {
		return nil, err
	}
	w.Role = reader.Role
	return w, nil
}

// FindWorkshopByCode returns the workshop of a join code (any case,
// spaces and dashes ignored), without a role, or ENotFound.
func (s *WorkshopStore) FindWorkshopByCode(ctx context.Context, code string) (*geo.Workshop, error) {
	code, ok := geo.NormalizeWorkshopCode(code)
	if !ok {
		return nil, geo.Errorf(geo.ENotFound, "no workshop has this code")
	}
	w, err := findWorkshop(ctx, s.db.Pool, `w.code = $1`, code)
	if geo.ErrorCode(err) == geo.ENotFound {
		return nil, geo.Errorf(geo.ENotFound, "no workshop has this code")
	}
	return w, err
}

// FindWorkshops returns one page of workshops, latest date first, and the
// number of all workshops. For keepers.
func (s *WorkshopStore) FindWorkshops(ctx context.Context, limit, offset int) ([]*geo.Workshop, int, error) {
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback(ctx)
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM workshops`).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, _ := tx.Query(ctx, `SELECT `+workshopColumns+` FROM workshops w
		ORDER BY w.date DESC, w.id DESC LIMIT $1 OFFSET $2`, limit, offset)
	found, err := pgx.CollectRows(rows, pgx.RowToStructByName[workshopRow])
	if err != nil {
		return nil, 0, err
	}
	out := make([]*geo.Workshop, len(found))
	for i, r := range found {
		if out[i], err = r.workshop(); err != nil {
			return nil, 0, err
		}
		out[i].Role = geo.RoleKeeper
	}
	return out, total, nil
}

// CreateWorkshop validates and stores w with a new join code, and returns
// its animator secret: the only time it can be read. A zone sets the
// bounding box. Returns EInvalid naming the fields at fault.
func (s *WorkshopStore) CreateWorkshop(ctx context.Context, w *geo.Workshop) (string, error) {
	if w.Status == "" {
		w.Status = geo.WorkshopDraft
	}
	if w.Zone != nil {
		w.BBox = geo.Bounds(w.Zone)
	}
	if err := w.Validate(); err != nil {
		return "", err
	}
	if err := w.CheckPublication(); err != nil {
		return "", err
	}
	f := geo.FieldErrors{}
	for i, k := range w.Kinds {
		f.AddFrom(k.Validate(fmt.Sprintf("kinds[%d].", i)))
	}
	if err := f.Err(); err != nil {
		return "", err
	}
	var zone []byte
	if w.Zone != nil {
		var err error
		if zone, err = toEWKB(w.Zone); err != nil {
			return "", err
		}
	}
	secret := newWorkshopToken(geo.AnimatorTokenPrefix)
	// A new code meets a used one once in 887 million draws per workshop
	// stored; a few tries are plenty.
	for try := 0; ; try++ {
		w.Code = geo.NewWorkshopCode()
		err := s.insertWorkshop(ctx, w, zone, hashToken(secret))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "workshops_code_key" && try < 5 {
			continue
		}
		if err != nil {
			return "", err
		}
		return secret, nil
	}
}

func (s *WorkshopStore) insertWorkshop(ctx context.Context, w *geo.Workshop, zone, secretHash []byte) error {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if zone != nil {
		if err := checkGeometry(ctx, tx, zone, "zone"); err != nil {
			return err
		}
	}
	err = tx.QueryRow(ctx, `
		INSERT INTO workshops (code, title, description, date, status, published,
			min_lon, min_lat, max_lon, max_lat, zone, animator_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, ST_GeomFromEWKB($11), $12)
		RETURNING id`,
		w.Code, strings.TrimSpace(w.Title), w.Description, w.Date, w.Status, w.Published,
		w.BBox.MinLon, w.BBox.MinLat, w.BBox.MaxLon, w.BBox.MaxLat, zone, secretHash).Scan(&w.ID)
	if err != nil {
		return err
	}
	if err := setWorkshopSectors(ctx, tx, w.ID, w.Sectors); err != nil {
		return err
	}
	if err := setWorkshopKinds(ctx, tx, w.ID, w.Kinds); err != nil {
		return err
	}
	got, err := findWorkshop(ctx, tx, `w.id = $1`, w.ID)
	if err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	*w = *got
	w.Role = geo.RoleKeeper
	return nil
}

// checkGeometry asks PostGIS whether the EWKB geometry g is valid, and
// returns an EInvalid error naming field with ST_IsValidReason otherwise.
func checkGeometry(ctx context.Context, q querier, g []byte, field string) error {
	var valid bool
	var reason string
	err := q.QueryRow(ctx, `SELECT ST_IsValid(g), ST_IsValidReason(g) FROM ST_GeomFromEWKB($1) AS g`, g).
		Scan(&valid, &reason)
	if err != nil {
		return err
	}
	if !valid {
		return &geo.Error{Code: geo.EInvalid, Message: "invalid geometry",
			Fields: map[string]string{field: "not a valid geometry: " + reason}}
	}
	return nil
}

// setWorkshopSectors replaces the focus sectors of workshop id. Returns
// EInvalid for an unknown sector.
func setWorkshopSectors(ctx context.Context, tx pgx.Tx, id int64, sectors []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM workshop_sectors WHERE workshop_id = $1`, id); err != nil {
		return err
	}
	if len(sectors) == 0 {
		return nil
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO workshop_sectors (workshop_id, sector_slug)
		SELECT $1, slug FROM sectors WHERE slug = ANY($2)`, id, sectors)
	if err != nil {
		return err
	}
	if distinct := countDistinct(sectors); int(tag.RowsAffected()) != distinct {
		return &geo.Error{Code: geo.EInvalid, Message: "unknown sector",
			Fields: map[string]string{"sectors": "unknown sector slug"}}
	}
	return nil
}

func countDistinct(ss []string) int {
	seen := map[string]bool{}
	for _, s := range ss {
		seen[s] = true
	}
	return len(seen)
}

// setWorkshopKinds renames or adds the kinds of workshop id.
func setWorkshopKinds(ctx context.Context, tx pgx.Tx, id int64, kinds []geo.AnnotationKind) error {
	for _, k := range kinds {
		_, err := tx.Exec(ctx, `
			INSERT INTO annotation_kinds (workshop_id, slug, label, color, icon, position)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (workshop_id, slug) WHERE workshop_id IS NOT NULL
			DO UPDATE SET label = EXCLUDED.label, color = EXCLUDED.color, icon = EXCLUDED.icon,
				position = EXCLUDED.position`,
			id, k.Slug, strings.TrimSpace(k.Label), k.Color, k.Icon, k.Position)
		if err != nil {
			return err
		}
	}
	return nil
}

// lockWorkshop locks the row of workshop id until tx ends and returns its
// status. Every write to a workshop takes this lock before adding its
// event, so that the workshop's events are committed in the order of
// their ids: a stream that has sent event n never misses a later
// committed one below n. Returns ENotFound.
func lockWorkshop(ctx context.Context, tx pgx.Tx, id int64) (*geo.Workshop, error) {
	w := &geo.Workshop{ID: id}
	err := tx.QueryRow(ctx, `SELECT status, published FROM workshops WHERE id = $1 FOR NO KEY UPDATE`, id).
		Scan(&w.Status, &w.Published)
	if err != nil {
		return nil, mapError(err, "workshop")
	}
	return w, nil
}

// workshopsChannel is the LISTEN/NOTIFY channel of workshop events; the
// payload is the workshop id.
const workshopsChannel = "maillage_workshops"

// addEvent stores e, the change of a workshop locked by lockWorkshop, and
// notifies the listeners at commit.
func addEvent(ctx context.Context, tx pgx.Tx, workshopID int64, name string, data any, annotationID int64, hidden bool) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	var aid *int64
	if annotationID != 0 {
		aid = &annotationID
	}
	_, err = tx.Exec(ctx, `
		WITH e AS (
			INSERT INTO workshop_events (workshop_id, name, data, annotation_id, hidden)
			VALUES ($1, $2, $3, $4, $5)
			RETURNING workshop_id)
		SELECT pg_notify('`+workshopsChannel+`', workshop_id::text) FROM e`,
		workshopID, name, raw, aid, hidden)
	return err
}

// UpdateWorkshop applies upd to workshop id for a moderator. Returns
// EForbidden for others, ENotFound, EInvalid, or EConflict when the
// workshop would be published without being closed. A change of status
// or publication makes a "status" event, of anything else a
// "workshop.changed" one.
func (s *WorkshopStore) UpdateWorkshop(ctx context.Context, id int64, by geo.WorkshopAccess, upd geo.WorkshopUpdate) (*geo.Workshop, error) {
	if err := by.CanModerate(); err != nil {
		return nil, err
	}
	f := geo.FieldErrors{}
	for i, k := range upd.Kinds {
		f.AddFrom(k.Validate(fmt.Sprintf("kinds[%d].", i)))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	if _, err := lockWorkshop(ctx, tx, id); err != nil {
		return nil, err
	}
	old, err := findWorkshop(ctx, tx, `w.id = $1`, id)
	if err != nil {
		return nil, err
	}
	w := *old
	upd.Apply(&w)
	if err := w.Validate(); err != nil {
		return nil, err
	}
	if err := w.CheckPublication(); err != nil {
		return nil, err
	}
	var zone []byte
	if w.Zone != nil {
		if zone, err = toEWKB(w.Zone); err != nil {
			return nil, err
		}
		if upd.Zone != nil {
			if err := checkGeometry(ctx, tx, zone, "zone"); err != nil {
				return nil, err
			}
		}
	}
	tag, err := tx.Exec(ctx, `
		UPDATE workshops SET title = $2, description = $3, date = $4, status = $5, published = $6,
			min_lon = $7, min_lat = $8, max_lon = $9, max_lat = $10, zone = ST_GeomFromEWKB($11), updated_at = now()
		WHERE id = $1 AND ((title, description, date, status, published, min_lon, min_lat, max_lon, max_lat)
			IS DISTINCT FROM ($2, $3, $4, $5, $6, $7, $8, $9, $10)
			OR zone IS DISTINCT FROM ST_GeomFromEWKB($11))`,
		id, w.Title, w.Description, w.Date, w.Status, w.Published,
		w.BBox.MinLon, w.BBox.MinLat, w.BBox.MaxLon, w.BBox.MaxLat, zone)
	if err != nil {
		return nil, err
	}
	changed := tag.RowsAffected() > 0
	if upd.Sectors != nil && !sameSet(*upd.Sectors, old.Sectors) {
		if err := setWorkshopSectors(ctx, tx, id, *upd.Sectors); err != nil {
			return nil, err
		}
		changed = true
	}
	if len(upd.Kinds) > 0 {
		if err := setWorkshopKinds(ctx, tx, id, upd.Kinds); err != nil {
			return nil, err
		}
		changed = true
	}
	got, err := findWorkshop(ctx, tx, `w.id = $1`, id)
	if err != nil {
		return nil, err
	}
	statusChanged := got.Status != old.Status || got.Published != old.Published
	if statusChanged {
		data := map[string]any{"status": got.Status, "published": got.Published}
		if err := addEvent(ctx, tx, id, geo.EventStatus, data, 0, false); err != nil {
			return nil, err
		}
	}
	if changed && !onlyStatus(upd) {
		if err := addEvent(ctx, tx, id, geo.EventWorkshopChanged, got, 0, false); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	if changed || statusChanged {
		got.LastEventID, _ = s.LastEventID(ctx, id)
	}
	got.Role = by.Role
	return got, nil
}

// LastEventID returns the id of the latest event of workshop id, or 0.
func (s *WorkshopStore) LastEventID(ctx context.Context, id int64) (int64, error) {
	var last int64
	err := s.db.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM workshop_events WHERE workshop_id = $1`, id).Scan(&last)
	return last, err
}

// onlyStatus reports whether upd changes nothing but the status and the
// publication.
func onlyStatus(upd geo.WorkshopUpdate) bool {
	return upd.Title == nil && upd.Description == nil && upd.Date == nil && upd.BBox == nil &&
		upd.Zone == nil && !upd.ClearZone && upd.Sectors == nil && len(upd.Kinds) == 0
}

func sameSet(a, b []string) bool {
	if countDistinct(a) != countDistinct(b) {
		return false
	}
	in := map[string]bool{}
	for _, s := range b {
		in[s] = true
	}
	for _, s := range a {
		if !in[s] {
			return false
		}
	}
	return true
}

// DeleteWorkshop deletes workshop id with its annotations, participants
// and events. Returns ENotFound.
func (s *WorkshopStore) DeleteWorkshop(ctx context.Context, id int64) error {
	tag, err := s.db.Pool.Exec(ctx, `DELETE FROM workshops WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return geo.Errorf(geo.ENotFound, "workshop not found")
	}
	return nil
}

// JoinWorkshop gives a new participant of the workshop of code a token,
// returned once, and the workshop. Any status may be joined: a phone
// waits for a draft workshop to open, and reads a closed one. Returns
// ENotFound for an unknown code.
func (s *WorkshopStore) JoinWorkshop(ctx context.Context, code string) (string, *geo.Workshop, error) {
	w, err := s.FindWorkshopByCode(ctx, code)
	if err != nil {
		return "", nil, err
	}
	token := newWorkshopToken(geo.ParticipantTokenPrefix)
	_, err = s.db.Pool.Exec(ctx, `INSERT INTO workshop_participants (workshop_id, token_hash) VALUES ($1, $2)`,
		w.ID, hashToken(token))
	if err != nil {
		return "", nil, mapError(err, "workshop")
	}
	w.Role = geo.RoleParticipant
	return token, w, nil
}

// WorkshopAccess returns the role that token (an animator secret or a
// participant token) gives on workshop id; an empty token is the
// public's. Returns ENotFound when there is no such workshop, and
// EUnauthorized for a token that is not one of this workshop's.
func (s *WorkshopStore) WorkshopAccess(ctx context.Context, id int64, token string) (geo.WorkshopAccess, error) {
	if token == "" {
		var found bool
		err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM workshops WHERE id = $1)`, id).Scan(&found)
		if err != nil {
			return geo.WorkshopAccess{}, err
		}
		if !found {
			return geo.WorkshopAccess{}, geo.Errorf(geo.ENotFound, "workshop not found")
		}
		return geo.WorkshopAccess{Role: geo.RolePublic}, nil
	}
	var animator bool
	var participant *int64
	err := s.db.Pool.QueryRow(ctx, `
		SELECT w.animator_hash = $2,
			(SELECT p.id FROM workshop_participants p WHERE p.workshop_id = w.id AND p.token_hash = $2)
		FROM workshops w WHERE w.id = $1`, id, hashToken(token)).Scan(&animator, &participant)
	if err != nil {
		return geo.WorkshopAccess{}, mapError(err, "workshop")
	}
	switch {
	case animator && strings.HasPrefix(token, geo.AnimatorTokenPrefix):
		return geo.WorkshopAccess{Role: geo.RoleAnimator}, nil
	case participant != nil && strings.HasPrefix(token, geo.ParticipantTokenPrefix):
		return geo.WorkshopAccess{Role: geo.RoleParticipant, ParticipantID: *participant}, nil
	}
	return geo.WorkshopAccess{}, geo.Errorf(geo.EUnauthorized, "this token is not valid for this workshop: join it again with its code")
}

// SetWorkshopView stores the view the animator pushes to the phones and
// sends it as a "view" event. Returns EForbidden for others, ENotFound,
// EInvalid, or EConflict when the workshop is closed.
func (s *WorkshopStore) SetWorkshopView(ctx context.Context, id int64, by geo.WorkshopAccess, v geo.WorkshopView) (*geo.WorkshopView, error) {
	if err := by.CanModerate(); err != nil {
		return nil, err
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	w, err := lockWorkshop(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if w.Status == geo.WorkshopClosed {
		return nil, w.CheckOpen()
	}
	if v.AnnotationID != nil {
		var ok bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM annotations WHERE id = $1 AND workshop_id = $2)`,
			*v.AnnotationID, id).Scan(&ok)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &geo.Error{Code: geo.EInvalid, Message: "invalid view",
				Fields: map[string]string{"annotation_id": "no such annotation in this workshop"}}
		}
	}
	_, err = tx.Exec(ctx, `
		UPDATE workshops SET view_lon = $2, view_lat = $3, view_zoom = $4, view_annotation_id = $5
		WHERE id = $1`, id, v.Center.Lon, v.Center.Lat, v.Zoom, v.AnnotationID)
	if err != nil {
		return nil, err
	}
	if err := addEvent(ctx, tx, id, geo.EventView, &v, 0, false); err != nil {
		return nil, err
	}
	return &v, tx.Commit(ctx)
}

// EventsAfter returns up to limit events of workshop id with an id above
// after, in id order.
func (s *WorkshopStore) EventsAfter(ctx context.Context, id, after int64, limit int) ([]*geo.WorkshopEvent, error) {
	return eventsAfter(ctx, s.db.Pool, id, after, limit)
}

func eventsAfter(ctx context.Context, q querier, id, after int64, limit int) ([]*geo.WorkshopEvent, error) {
	rows, _ := q.Query(ctx, `
		SELECT id, workshop_id, name, data, coalesce(annotation_id, 0), hidden, created_at
		FROM workshop_events
		WHERE workshop_id = $1 AND id > $2
		ORDER BY id
		LIMIT $3`, id, after, limit)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*geo.WorkshopEvent, error) {
		e := &geo.WorkshopEvent{}
		err := row.Scan(&e.ID, &e.WorkshopID, &e.Name, &e.Data, &e.AnnotationID, &e.Hidden, &e.CreatedAt)
		return e, err
	})
}
