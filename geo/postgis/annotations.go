package postgis

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"

	"github.com/maillage/maillage/geo"
)

// annotationColumns is the select list that annotationRow scans, with
// @pid the reader's participant id (0 for others). The name of a linked
// actor shows only while the actor is published.
const annotationColumns = `a.id, a.workshop_id, a.kind, ST_AsEWKB(a.geom) AS geom, a.text, a.author_name,
	coalesce(a.sector, '') AS sector, a.actor_id,
	coalesce(CASE WHEN act.status = 'published' THEN act.name END, '') AS actor_name,
	(SELECT count(*) FROM annotation_votes v WHERE v.annotation_id = a.id)::int AS votes,
	EXISTS (SELECT 1 FROM annotation_votes v WHERE v.annotation_id = a.id AND v.participant_id = @pid) AS voted,
	a.state, a.pinned, coalesce(a.participant_id, 0) AS participant_id, a.created_at, a.updated_at`

const annotationFrom = ` FROM annotations a LEFT JOIN actors act ON act.id = a.actor_id`

// annotationSeen is the condition for the reader of the named arguments
// @moderator and @pid to see annotation a.
const annotationSeen = `(@moderator OR a.state = 'visible' OR (@pid > 0 AND a.participant_id = @pid))`

type annotationRow struct {
	ID            int64
	WorkshopID    int64 `db:"workshop_id"`
	Kind          string
	Geom          []byte
	Text          string
	AuthorName    string `db:"author_name"`
	Sector        string
	ActorID       *int64 `db:"actor_id"`
	ActorName     string `db:"actor_name"`
	Votes         int
	Voted         bool
	State         string
	Pinned        bool
	ParticipantID int64     `db:"participant_id"`
	CreatedAt     time.Time `db:"created_at"`
	UpdatedAt     time.Time `db:"updated_at"`
}

func (r annotationRow) annotation(reader geo.WorkshopAccess) (*geo.Annotation, error) {
	g, err := ewkb.Unmarshal(r.Geom)
	if err != nil {
		return nil, fmt.Errorf("annotation %d geometry: %w", r.ID, err)
	}
	a := &geo.Annotation{ID: r.ID, WorkshopID: r.WorkshopID, Kind: r.Kind, Geometry: g, Text: r.Text,
		AuthorName: r.AuthorName, Sector: r.Sector, ActorID: r.ActorID, ActorName: r.ActorName,
		Votes: r.Votes, Voted: r.Voted, State: geo.AnnotationState(r.State), Pinned: r.Pinned,
		ParticipantID: r.ParticipantID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	a.Mine = reader.Wrote(a)
	return a, nil
}

func readerArgs(reader geo.WorkshopAccess) pgx.NamedArgs {
	return pgx.NamedArgs{"moderator": reader.Moderates(), "pid": reader.ParticipantID}
}

// findAnnotation returns annotation id of workshop wid if reader sees it,
// or ENotFound. lock locks its row until tx ends.
func findAnnotation(ctx context.Context, q querier, wid, id int64, reader geo.WorkshopAccess, lock bool) (*geo.Annotation, error) {
	args := readerArgs(reader)
	args["wid"], args["id"] = wid, id
	sql := `SELECT ` + annotationColumns + annotationFrom + `
		WHERE a.id = @id AND a.workshop_id = @wid AND ` + annotationSeen
	if lock {
		sql += ` FOR UPDATE OF a`
	}
	rows, _ := q.Query(ctx, sql, args)
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[annotationRow])
	if err != nil {
		return nil, mapError(err, "annotation")
	}
	return r.annotation(reader)
}

// FindAnnotation returns annotation id of workshop wid as reader sees it,
// or ENotFound (also when reader may not see it).
func (s *WorkshopStore) FindAnnotation(ctx context.Context, wid, id int64, reader geo.WorkshopAccess) (*geo.Annotation, error) {
	return findAnnotation(ctx, s.db.Pool, wid, id, reader, false)
}

const annotationFilterWhere = ` WHERE a.workshop_id = @wid AND ` + annotationSeen + `
	AND (@kind = '' OR a.kind = @kind) AND (@sector = '' OR a.sector = @sector)`

// FindAnnotations returns the annotations of f's workshop that its reader
// sees, in id order after f.After, at most f.Limit, and the number of
// all of them (After and Limit aside).
func (s *WorkshopStore) FindAnnotations(ctx context.Context, f geo.AnnotationFilter) ([]*geo.Annotation, int, error) {
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback(ctx)
	args := readerArgs(f.Reader)
	args["wid"], args["kind"], args["sector"], args["after"] = f.WorkshopID, f.Kind, f.Sector, f.After
	args["limit"] = nil
	if f.Limit > 0 {
		args["limit"] = f.Limit
	}
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*)`+annotationFrom+annotationFilterWhere, args).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, _ := tx.Query(ctx, `SELECT `+annotationColumns+annotationFrom+annotationFilterWhere+`
		AND a.id > @after ORDER BY a.id LIMIT @limit`, args)
	found, err := pgx.CollectRows(rows, pgx.RowToStructByName[annotationRow])
	if err != nil {
		return nil, 0, err
	}
	out := make([]*geo.Annotation, len(found))
	for i, r := range found {
		if out[i], err = r.annotation(f.Reader); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// checkAnnotation checks in the database what a.Validate cannot: the kind
// is one of the workshop's, the sector exists, the actor is published,
// and PostGIS finds the geometry valid. Returns EInvalid naming every
// field at fault.
func checkAnnotation(ctx context.Context, tx pgx.Tx, a *geo.Annotation, g []byte) error {
	var kindOK, sectorOK, actorOK bool
	var kinds []string
	var actor *int64
	if a.ActorID != nil {
		actor = a.ActorID
	}
	err := tx.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM annotation_kinds WHERE slug = $2 AND (workshop_id = $1 OR workshop_id IS NULL)),
			$3 = '' OR EXISTS (SELECT 1 FROM sectors WHERE slug = $3),
			$4::bigint IS NULL OR EXISTS (SELECT 1 FROM actors WHERE id = $4 AND status = 'published'),
			ARRAY(SELECT DISTINCT ON (slug) slug FROM annotation_kinds
				WHERE workshop_id = $1 OR workshop_id IS NULL ORDER BY slug)`,
		a.WorkshopID, a.Kind, a.Sector, actor).Scan(&kindOK, &sectorOK, &actorOK, &kinds)
	if err != nil {
		return err
	}
	f := geo.FieldErrors{}
	if !kindOK {
		f.Add("kind", "unknown kind; this workshop's kinds: "+strings.Join(kinds, ", "))
	}
	if !sectorOK {
		f.Add("sector", "unknown sector")
	}
	if !actorOK {
		f.Add("actor_id", "no published actor has this id")
	}
	if _, point := a.Geometry.(*geom.Point); !point {
		if err := checkGeometry(ctx, tx, g, "geometry"); err != nil && !f.AddFrom(err) {
			return err
		}
	}
	return f.Err()
}

// CreateAnnotation validates and stores a, written by by, in its
// workshop, and sends it as an "annotation.added" event. The public
// cannot write (EUnauthorized). Returns ENotFound, EInvalid naming the
// fields at fault, or EConflict unless the workshop is open.
func (s *WorkshopStore) CreateAnnotation(ctx context.Context, by geo.WorkshopAccess, a *geo.Annotation) error {
	if by.Role == geo.RolePublic || by.Role == "" {
		return geo.Errorf(geo.EUnauthorized, "join the workshop with its code to add to it")
	}
	a.State, a.Pinned, a.ParticipantID = geo.AnnotationVisible, false, by.ParticipantID
	a.Text = strings.TrimSpace(a.Text)
	a.AuthorName = strings.TrimSpace(a.AuthorName)
	if err := a.Validate(); err != nil {
		return err
	}
	g, err := toEWKB(a.Geometry)
	if err != nil {
		return err
	}
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	w, err := lockWorkshop(ctx, tx, a.WorkshopID)
	if err != nil {
		return err
	}
	if err := w.CheckOpen(); err != nil {
		return err
	}
	if err := checkAnnotation(ctx, tx, a, g); err != nil {
		return err
	}
	var pid *int64
	if by.ParticipantID != 0 {
		pid = &by.ParticipantID
	}
	var id int64
	err = tx.QueryRow(ctx, `
		INSERT INTO annotations (workshop_id, kind, geom, text, author_name, sector, actor_id, participant_id)
		VALUES ($1, $2, ST_GeomFromEWKB($3), $4, $5, NULLIF($6, ''), $7, $8)
		RETURNING id`,
		a.WorkshopID, a.Kind, g, a.Text, a.AuthorName, a.Sector, a.ActorID, pid).Scan(&id)
	if err != nil {
		return mapError(err, "annotation")
	}
	got, err := findAnnotation(ctx, tx, a.WorkshopID, id, by, false)
	if err != nil {
		return err
	}
	if err := addEvent(ctx, tx, a.WorkshopID, geo.EventAnnotationAdded, forEveryone(got), id, false); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	*a = *got
	return nil
}

// forEveryone returns a copy of a as events show it: nobody's in
// particular.
func forEveryone(a *geo.Annotation) *geo.Annotation {
	c := *a
	c.Mine, c.Voted = false, false
	return &c
}

// UpdateAnnotation applies upd to annotation id of workshop wid for by,
// and sends an event: "annotation.hidden" when it becomes hidden,
// "annotation.changed" otherwise. Returns ENotFound (also for an
// annotation by does not see), EForbidden for another participant's
// annotation or a participant moderating, EInvalid, or EConflict unless
// the workshop is open.
func (s *WorkshopStore) UpdateAnnotation(ctx context.Context, wid, id int64, by geo.WorkshopAccess, upd geo.AnnotationUpdate) (*geo.Annotation, error) {
	if by.Role == geo.RolePublic || by.Role == "" {
		return nil, geo.Errorf(geo.EUnauthorized, "join the workshop with its code to change it")
	}
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	w, err := lockWorkshop(ctx, tx, wid)
	if err != nil {
		return nil, err
	}
	old, err := findAnnotation(ctx, tx, wid, id, by, true)
	if err != nil {
		return nil, err
	}
	if err := by.CanChange(old, &upd); err != nil {
		return nil, err
	}
	if err := w.CheckOpen(); err != nil {
		return nil, err
	}
	a := *old
	upd.Apply(&a)
	a.Text, a.AuthorName = strings.TrimSpace(a.Text), strings.TrimSpace(a.AuthorName)
	if err := a.Validate(); err != nil {
		return nil, err
	}
	g, err := toEWKB(a.Geometry)
	if err != nil {
		return nil, err
	}
	oldG, err := toEWKB(old.Geometry)
	if err != nil {
		return nil, err
	}
	if err := checkAnnotation(ctx, tx, &a, g); err != nil {
		return nil, err
	}
	if a.Kind == old.Kind && a.Text == old.Text && a.AuthorName == old.AuthorName && a.Sector == old.Sector &&
		sameID(a.ActorID, old.ActorID) && a.State == old.State && a.Pinned == old.Pinned && bytes.Equal(g, oldG) {
		return old, nil
	}
	_, err = tx.Exec(ctx, `
		UPDATE annotations SET kind = $2, geom = ST_GeomFromEWKB($3), text = $4, author_name = $5,
			sector = NULLIF($6, ''), actor_id = $7, state = $8, pinned = $9, updated_at = now()
		WHERE id = $1`,
		id, a.Kind, g, a.Text, a.AuthorName, a.Sector, a.ActorID, a.State, a.Pinned)
	if err != nil {
		return nil, mapError(err, "annotation")
	}
	got, err := findAnnotation(ctx, tx, wid, id, by, false)
	if err != nil {
		return nil, err
	}
	hidden := got.State == geo.AnnotationHidden
	if hidden && old.State != geo.AnnotationHidden {
		err = addEvent(ctx, tx, wid, geo.EventAnnotationHidden, map[string]int64{"id": id}, id, false)
	} else {
		err = addEvent(ctx, tx, wid, geo.EventAnnotationChanged, forEveryone(got), id, hidden)
	}
	if err != nil {
		return nil, err
	}
	return got, tx.Commit(ctx)
}

func sameID(a, b *int64) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// DeleteAnnotation deletes annotation id of workshop wid for its author
// or a moderator, and sends "annotation.removed". Returns ENotFound,
// EForbidden, or EConflict unless the workshop is open.
func (s *WorkshopStore) DeleteAnnotation(ctx context.Context, wid, id int64, by geo.WorkshopAccess) error {
	if by.Role == geo.RolePublic || by.Role == "" {
		return geo.Errorf(geo.EUnauthorized, "join the workshop with its code to change it")
	}
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	w, err := lockWorkshop(ctx, tx, wid)
	if err != nil {
		return err
	}
	a, err := findAnnotation(ctx, tx, wid, id, by, true)
	if err != nil {
		return err
	}
	if err := by.CanChange(a, nil); err != nil {
		return err
	}
	if err := w.CheckOpen(); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM annotations WHERE id = $1`, id); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE workshops SET view_annotation_id = NULL WHERE id = $1 AND view_annotation_id = $2`, wid, id); err != nil {
		return err
	}
	if err := addEvent(ctx, tx, wid, geo.EventAnnotationRemoved, map[string]int64{"id": id}, id, false); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Vote gives (on) or takes back (!on) the vote of participant by for
// annotation id of workshop wid, and returns its votes and whether by
// voted. A participant has one vote per annotation: voting twice changes
// nothing. A change sends a "vote" event. Returns EForbidden for
// non-participants, ENotFound, or EConflict unless the workshop is open.
func (s *WorkshopStore) Vote(ctx context.Context, wid, id int64, by geo.WorkshopAccess, on bool) (int, bool, error) {
	if by.Role != geo.RoleParticipant || by.ParticipantID == 0 {
		return 0, false, geo.Errorf(geo.EForbidden, "only participants vote: join the workshop with its code")
	}
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback(ctx)
	w, err := lockWorkshop(ctx, tx, wid)
	if err != nil {
		return 0, false, err
	}
	a, err := findAnnotation(ctx, tx, wid, id, by, false)
	if err != nil {
		return 0, false, err
	}
	if err := w.CheckOpen(); err != nil {
		return 0, false, err
	}
	sql := `INSERT INTO annotation_votes (annotation_id, participant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`
	if !on {
		sql = `DELETE FROM annotation_votes WHERE annotation_id = $1 AND participant_id = $2`
	}
	tag, err := tx.Exec(ctx, sql, id, by.ParticipantID)
	if err != nil {
		return 0, false, err
	}
	votes := a.Votes
	if tag.RowsAffected() > 0 {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM annotation_votes WHERE annotation_id = $1`, id).Scan(&votes); err != nil {
			return 0, false, err
		}
		data := map[string]int64{"id": id, "votes": int64(votes)}
		if err := addEvent(ctx, tx, wid, geo.EventVote, data, id, a.State == geo.AnnotationHidden); err != nil {
			return 0, false, err
		}
	}
	return votes, on, tx.Commit(ctx)
}

// PublishedAnnotations returns the visible annotations of published
// workshops that meet bbox (all when nil) and the polygon of the territory
// within (any place when nil; none when that territory has no polygon), at
// most limit, in id order.
func (s *WorkshopStore) PublishedAnnotations(ctx context.Context, bbox *geo.BBox, within *geo.TerritoryRef, limit int) ([]geo.OverlayAnnotation, error) {
	args := readerArgs(geo.WorkshopAccess{Role: geo.RolePublic})
	args["minlon"], args["minlat"], args["maxlon"], args["maxlat"] = nil, nil, nil, nil
	if bbox != nil {
		args["minlon"], args["minlat"], args["maxlon"], args["maxlat"] = bbox.MinLon, bbox.MinLat, bbox.MaxLon, bbox.MaxLat
	}
	args["wlevel"], args["wcode"] = nil, nil
	if within != nil {
		args["wlevel"], args["wcode"] = within.Level, within.Code
	}
	args["limit"] = limit
	rows, err := s.db.Pool.Query(ctx, `
		SELECT `+annotationColumns+`, w.title AS workshop_title,
			coalesce(k.label, a.kind) AS kind_label, coalesce(k.color, '#6b7280') AS kind_color,
			coalesce(k.icon, '') AS kind_icon
		`+annotationFrom+`
		JOIN workshops w ON w.id = a.workshop_id
		LEFT JOIN LATERAL (SELECT label, color, icon FROM annotation_kinds
			WHERE slug = a.kind AND (workshop_id = w.id OR workshop_id IS NULL)
			ORDER BY workshop_id NULLS LAST LIMIT 1) k ON true
		WHERE w.published AND a.state = 'visible'
			AND (@minlon::float8 IS NULL OR a.geom && ST_MakeEnvelope(@minlon, @minlat, @maxlon, @maxlat, 4326))
			AND (@wlevel::text IS NULL OR EXISTS (SELECT 1 FROM territories t
				WHERE t.level = @wlevel AND t.code = @wcode AND ST_Intersects(t.geom, a.geom)))
		ORDER BY a.id
		LIMIT @limit`, args)
	if err != nil {
		return nil, err
	}
	type row struct {
		annotationRow
		WorkshopTitle string `db:"workshop_title"`
		KindLabel     string `db:"kind_label"`
		KindColor     string `db:"kind_color"`
		KindIcon      string `db:"kind_icon"`
	}
	found, err := pgx.CollectRows(rows, pgx.RowToStructByName[row])
	if err != nil {
		return nil, err
	}
	out := make([]geo.OverlayAnnotation, len(found))
	for i, r := range found {
		a, err := r.annotation(geo.WorkshopAccess{Role: geo.RolePublic})
		if err != nil {
			return nil, err
		}
		out[i] = geo.OverlayAnnotation{Annotation: a, WorkshopTitle: r.WorkshopTitle,
			Kind: geo.AnnotationKind{Slug: a.Kind, Label: r.KindLabel, Color: r.KindColor, Icon: r.KindIcon}}
	}
	return out, nil
}
