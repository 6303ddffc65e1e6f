package postgis

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// ActorStore keeps actors in PostGIS.
type ActorStore struct {
	db *DB
}

// NewActorStore returns a store of actors on db.
func NewActorStore(db *DB) *ActorStore {
	return &ActorStore{db: db}
}

// actorColumns is the select list that actorRow scans.
const actorColumns = `a.id, a.name, a.legal_form_code, a.legal_form_label, a.ess_family, a.kind,
	a.naf, a.siret, a.street, a.postcode, a.city, a.citycode,
	ST_X(a.location) AS lon, ST_Y(a.location) AS lat,
	a.location_source, a.geocoder, a.geocode_score, a.geocode_label, a.geocode_state,
	a.description, a.website, a.email, a.phone, a.contact_public,
	a.networks, a.projects, a.expertise, a.status, a.source, a.external_id,
	a.created_at, a.updated_at,
	ARRAY(SELECT s.sector_slug FROM actor_sectors s JOIN sectors sec ON sec.slug = s.sector_slug
		WHERE s.actor_id = a.id ORDER BY sec.position, s.sector_slug) AS sectors,
	(SELECT jsonb_build_object('commune', p.commune, 'epci', coalesce(t.epci, ''),
			'departement', coalesce(t.departement, ''), 'method', p.method)
		FROM actor_places p LEFT JOIN territories t ON t.level = 'commune' AND t.code = p.commune
		WHERE p.actor_id = a.id) AS territories`

type actorRow struct {
	ID             int64
	Name           string
	LegalFormCode  string `db:"legal_form_code"`
	LegalFormLabel string `db:"legal_form_label"`
	ESSFamily      string `db:"ess_family"`
	Kind           string
	NAF            string
	SIRET          string
	Street         string
	Postcode       string
	City           string
	Citycode       string
	Lon            *float64
	Lat            *float64
	LocationSource string `db:"location_source"`
	Geocoder       string
	GeocodeScore   *float64 `db:"geocode_score"`
	GeocodeLabel   string   `db:"geocode_label"`
	GeocodeState   string   `db:"geocode_state"`
	Description    string
	Website        string
	Email          string
	Phone          string
	ContactPublic  bool `db:"contact_public"`
	Networks       []string
	Projects       []string
	Expertise      []string
	Status         string
	Source         string
	ExternalID     string    `db:"external_id"`
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`
	Sectors        []string
	Territories    *geo.ActorPlace
}

func (r actorRow) actor() *geo.Actor {
	a := &geo.Actor{
		ID:          r.ID,
		Name:        r.Name,
		Sectors:     r.Sectors,
		LegalForm:   geo.LegalForm{Code: r.LegalFormCode, Label: r.LegalFormLabel, Family: r.ESSFamily},
		Kind:        r.Kind,
		NAF:         r.NAF,
		SIRET:       r.SIRET,
		Address:     geo.Address{Street: r.Street, Postcode: r.Postcode, City: r.City, Citycode: r.Citycode},
		Description: r.Description,
		Website:     r.Website,
		Geocoding: geo.Geocoding{Source: r.LocationSource, Geocoder: r.Geocoder, Score: r.GeocodeScore,
			Label: r.GeocodeLabel, State: r.GeocodeState},
		Email:         r.Email,
		Phone:         r.Phone,
		ContactPublic: r.ContactPublic,
		Networks:      r.Networks,
		Projects:      r.Projects,
		Expertise:     r.Expertise,
		Status:        geo.Status(r.Status),
		Source:        r.Source,
		ExternalID:    r.ExternalID,
		CreatedAt:     r.CreatedAt,
		UpdatedAt:     r.UpdatedAt,
		Place:         r.Territories,
	}
	if r.Lon != nil && r.Lat != nil {
		a.Location = &geo.Point{Lon: *r.Lon, Lat: *r.Lat}
	}
	return a
}

// FindActorByID returns the actor with that id, or ENotFound.
func (s *ActorStore) FindActorByID(ctx context.Context, id int64) (*geo.Actor, error) {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	return findActorByID(ctx, tx, id)
}

func findActorByID(ctx context.Context, tx pgx.Tx, id int64) (*geo.Actor, error) {
	rows, _ := tx.Query(ctx, `SELECT `+actorColumns+` FROM actors a WHERE a.id = $1`, id)
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[actorRow])
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("actor %d", id))
	}
	return r.actor(), nil
}

// filterArgs turns f into the arguments of filterWhere.
func filterArgs(f geo.ActorFilter) pgx.NamedArgs {
	args := pgx.NamedArgs{"sectors": nil, "q": "", "statuses": nil, "located": f.Located,
		"minlon": nil, "minlat": nil, "maxlon": nil, "maxlat": nil}
	if len(f.Sectors) > 0 {
		args["sectors"] = f.Sectors
	}
	args["kinds"], args["families"] = nil, nil
	if len(f.Kinds) > 0 {
		args["kinds"] = f.Kinds
	}
	if len(f.Families) > 0 {
		args["families"] = f.Families
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		args["q"] = likeEscaper.Replace(q)
	}
	if len(f.Statuses) > 0 {
		st := make([]string, len(f.Statuses))
		for i, v := range f.Statuses {
			st[i] = string(v)
		}
		args["statuses"] = st
	}
	if b := f.BBox; b != nil {
		args["minlon"], args["minlat"], args["maxlon"], args["maxlat"] = b.MinLon, b.MinLat, b.MaxLon, b.MaxLat
	}
	return args
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// filterWhere is the WHERE clause of a geo.ActorFilter, with the named
// arguments of filterArgs. The text search folds case and accents on both
// sides and uses the trigram index actors_search.
const filterWhere = `
	(@sectors::text[] IS NULL OR EXISTS (
		SELECT 1 FROM actor_sectors s WHERE s.actor_id = a.id AND s.sector_slug = ANY(@sectors)))
	AND (@q = '' OR maillage_fold(a.name || ' ' || a.city || ' ' || a.postcode || ' ' || a.description)
		LIKE '%' || maillage_fold(@q) || '%')
	AND (@minlon::float8 IS NULL OR a.location && ST_MakeEnvelope(@minlon, @minlat, @maxlon, @maxlat, 4326))
	AND (@statuses::text[] IS NULL OR a.status = ANY(@statuses))
	AND (@kinds::text[] IS NULL OR a.kind = ANY(@kinds))
	AND (@families::text[] IS NULL OR a.ess_family = ANY(@families))
	AND (NOT @located OR a.location IS NOT NULL)`

// FacetActors counts the actors matching f (its limit, offset and order
// aside) by structure type and by legal family: the kinds ignoring
// f.Kinds, the families ignoring f.Families.
func (s *ActorStore) FacetActors(ctx context.Context, f geo.ActorFilter) (*geo.ActorFacets, error) {
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	out := &geo.ActorFacets{Kinds: map[string]int{}, Families: map[string]int{}}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM actors a WHERE `+filterWhere, filterArgs(f)).Scan(&out.Total); err != nil {
		return nil, err
	}
	byKind := f
	byKind.Kinds = nil
	rows, _ := tx.Query(ctx, `SELECT a.kind, count(*) FROM actors a WHERE `+filterWhere+` GROUP BY a.kind`, filterArgs(byKind))
	if err := collectCounts(rows, out.Kinds); err != nil {
		return nil, err
	}
	byFamily := f
	byFamily.Families = nil
	rows, _ = tx.Query(ctx, `SELECT a.ess_family, count(*) FROM actors a WHERE `+filterWhere+` GROUP BY a.ess_family`, filterArgs(byFamily))
	if err := collectCounts(rows, out.Families); err != nil {
		return nil, err
	}
	return out, nil
}

// collectCounts reads (value, count) rows into m.
func collectCounts(rows pgx.Rows, m map[string]int) error {
	var value string
	var n int
	_, err := pgx.ForEachRow(rows, []any{&value, &n}, func() error {
		m[value] = n
		return nil
	})
	return err
}

// FindActors returns one page of the actors matching f, ordered by name, and
// the number of all matching actors.
func (s *ActorStore) FindActors(ctx context.Context, f geo.ActorFilter) ([]*geo.Actor, int, error) {
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback(ctx)
	var total int
	args := filterArgs(f)
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM actors a WHERE `+filterWhere, args).Scan(&total); err != nil {
		return nil, 0, err
	}
	actors, err := findActors(ctx, tx, f)
	return actors, total, err
}

func findActors(ctx context.Context, tx pgx.Tx, f geo.ActorFilter) ([]*geo.Actor, error) {
	args := filterArgs(f)
	args["limit"], args["offset"] = nil, f.Offset
	if f.Limit > 0 {
		args["limit"] = f.Limit
	}
	args["nearlon"], args["nearlat"] = nil, nil
	if f.Near != nil {
		args["nearlon"], args["nearlat"] = f.Near.Lon, f.Near.Lat
	}
	rows, _ := tx.Query(ctx, `SELECT `+actorColumns+` FROM actors a WHERE `+filterWhere+`
		ORDER BY CASE WHEN @nearlon::float8 IS NOT NULL
				THEN a.location::geography <-> ST_SetSRID(ST_MakePoint(@nearlon, @nearlat), 4326)::geography END NULLS LAST,
			maillage_fold(a.name), a.id
		LIMIT @limit OFFSET @offset`, args)
	found, err := pgx.CollectRows(rows, pgx.RowToStructByName[actorRow])
	if err != nil {
		return nil, err
	}
	actors := make([]*geo.Actor, len(found))
	for i, r := range found {
		actors[i] = r.actor()
	}
	return actors, nil
}

// CountActors returns the number of actors matching f, whatever its limit.
func (s *ActorStore) CountActors(ctx context.Context, f geo.ActorFilter) (int, error) {
	var total int
	err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM actors a WHERE `+filterWhere, filterArgs(f)).Scan(&total)
	return total, err
}

// EachActor calls fn for every actor matching f (at most f.Limit when
// set), in name order, without holding them all in memory. It stops at
// the first error fn returns.
func (s *ActorStore) EachActor(ctx context.Context, f geo.ActorFilter, fn func(*geo.Actor) error) error {
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	args := filterArgs(f)
	args["limit"] = nil
	if f.Limit > 0 {
		args["limit"] = f.Limit
	}
	rows, err := tx.Query(ctx, `SELECT `+actorColumns+` FROM actors a WHERE `+filterWhere+`
		ORDER BY maillage_fold(a.name), a.id LIMIT @limit`, args)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := pgx.RowToStructByName[actorRow](rows)
		if err != nil {
			return err
		}
		if err := fn(r.actor()); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CreateActor validates a and stores it, setting its ID and times. Returns
// EInvalid for invalid fields or unknown sectors, EConflict if its SIRET and
// structure type, or its source and external_id, are taken.
func (s *ActorStore) CreateActor(ctx context.Context, a *geo.Actor) error {
	a.Normalize()
	if err := a.Validate(); err != nil {
		return err
	}
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := createActor(ctx, tx, a); err != nil {
		return err
	}
	created, err := findActorByID(ctx, tx, a.ID)
	if err != nil {
		return err
	}
	*a = *created
	return tx.Commit(ctx)
}

func actorArgs(a *geo.Actor) pgx.NamedArgs {
	args := pgx.NamedArgs{
		"name": a.Name, "legal_form_code": a.LegalForm.Code, "legal_form_label": a.LegalForm.Label,
		"ess_family": a.LegalForm.Family, "kind": a.Kind, "naf": a.NAF, "siret": a.SIRET,
		"street": a.Address.Street, "postcode": a.Address.Postcode, "city": a.Address.City,
		"citycode": a.Address.Citycode, "lon": nil, "lat": nil,
		"location_source": a.Geocoding.Source, "geocoder": a.Geocoding.Geocoder,
		"geocode_score": a.Geocoding.Score, "geocode_label": a.Geocoding.Label,
		"geocode_state": a.Geocoding.State, "description": a.Description, "website": a.Website,
		"email": a.Email, "phone": a.Phone, "contact_public": a.ContactPublic,
		"networks": nonNil(a.Networks), "projects": nonNil(a.Projects), "expertise": nonNil(a.Expertise),
		"status": string(a.Status), "source": a.Source, "external_id": a.ExternalID,
	}
	if a.Location != nil {
		args["lon"], args["lat"] = a.Location.Lon, a.Location.Lat
	}
	return args
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func createActor(ctx context.Context, tx pgx.Tx, a *geo.Actor) error {
	if a.Location == nil && a.Geocoding.State == geo.GeocodeNone {
		a.Geocoding.State = geo.GeocodePending
	}
	args := actorArgs(a)
	args["sectors"] = nonNil(a.Sectors)
	err := tx.QueryRow(ctx, `
		INSERT INTO actors (name, legal_form_code, legal_form_label, ess_family, kind, naf, siret,
			street, postcode, city, citycode, location, location_source, geocoder, geocode_score,
			geocode_label, geocode_state, description, website, email, phone, contact_public,
			networks, projects, expertise, status, source, external_id, sector_slugs)
		VALUES (@name, @legal_form_code, @legal_form_label, @ess_family, @kind, @naf, @siret,
			@street, @postcode, @city, @citycode,
			ST_SetSRID(ST_MakePoint(@lon::float8, @lat::float8), 4326),
			@location_source, @geocoder, @geocode_score, @geocode_label, @geocode_state,
			@description, @website, @email, @phone, @contact_public,
			@networks, @projects, @expertise, @status, @source, @external_id, `+sectorSlugsOf("@sectors::text[]")+`)
		RETURNING id, created_at, updated_at`, args).Scan(&a.ID, &a.CreatedAt, &a.UpdatedAt)
	if err != nil {
		return mapError(err, "actor")
	}
	_, err = setActorSectors(ctx, tx, a.ID, a.Sectors)
	return err
}

// sectorSlugsOf is the SQL of actors.sector_slugs for the sector slugs of
// the text[] expression slugs, in the order actor_sector_slugs_refresh
// (migration 0011) writes them, so that an actor inserted with it is not
// rewritten by that trigger, nor seen for a moment with no sector (which
// would make the coverage of actors with no sector dirty).
func sectorSlugsOf(slugs string) string {
	return `ARRAY(SELECT sec.slug FROM sectors sec WHERE sec.slug = ANY(` + slugs + `) ORDER BY sec.position, sec.slug)`
}

// setActorSectors makes the sectors of actor id exactly slugs, and reports
// whether that changed anything. The new sectors are added before the old
// ones go, so that the actor never has no sector on the way.
func setActorSectors(ctx context.Context, tx pgx.Tx, id int64, slugs []string) (bool, error) {
	tag, err := tx.Exec(ctx, `
		INSERT INTO actor_sectors (actor_id, sector_slug)
		SELECT $1, unnest($2::text[])
		ON CONFLICT DO NOTHING`, id, slugs)
	if err != nil {
		return false, mapError(err, "actor sectors")
	}
	changed := tag.RowsAffected() > 0
	tag, err = tx.Exec(ctx, `
		DELETE FROM actor_sectors WHERE actor_id = $1 AND NOT sector_slug = ANY($2)`, id, slugs)
	if err != nil {
		return false, mapError(err, "actor sectors")
	}
	return changed || tag.RowsAffected() > 0, nil
}

// UpdateActor applies upd to actor id and returns the result. Returns
// ENotFound, EInvalid or EConflict as CreateActor does.
func (s *ActorStore) UpdateActor(ctx context.Context, id int64, upd geo.ActorUpdate) (*geo.Actor, error) {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	a, err := findActorByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	upd.Apply(a)
	a.Normalize()
	validate := a.ValidateImported // a SIRET kept unverified by an import may stay
	if upd.SIRET != nil {
		validate = a.Validate
	}
	if err := validate(); err != nil {
		return nil, err
	}
	if _, err := updateActor(ctx, tx, a); err != nil {
		return nil, err
	}
	if a, err = findActorByID(ctx, tx, id); err != nil {
		return nil, err
	}
	return a, tx.Commit(ctx)
}

// updateActor writes every field of a to its row and its sectors, and
// reports whether anything changed. updated_at moves only on change.
func updateActor(ctx context.Context, tx pgx.Tx, a *geo.Actor) (bool, error) {
	if a.Location == nil && a.Geocoding.State == geo.GeocodeNone {
		a.Geocoding.State = geo.GeocodePending
	}
	args := actorArgs(a)
	args["id"] = a.ID
	tag, err := tx.Exec(ctx, updateActorSQL, args)
	if err != nil {
		return false, mapError(err, fmt.Sprintf("actor %d", a.ID))
	}
	changed := tag.RowsAffected() > 0
	sectorsChanged, err := setActorSectors(ctx, tx, a.ID, a.Sectors)
	if err != nil {
		return false, err
	}
	if sectorsChanged && !changed {
		_, err = tx.Exec(ctx, `UPDATE actors SET updated_at = now() WHERE id = $1`, a.ID)
	}
	return changed || sectorsChanged, err
}

// updateActorSQL writes every field of actor @id when one differs.
const updateActorSQL = `
		UPDATE actors SET (name, legal_form_code, legal_form_label, ess_family, kind, naf, siret,
			street, postcode, city, citycode, location, location_source, geocoder, geocode_score,
			geocode_label, geocode_state, description, website, email, phone, contact_public,
			networks, projects, expertise, status, source, external_id, updated_at)
		= (@name, @legal_form_code, @legal_form_label, @ess_family, @kind, @naf, @siret,
			@street, @postcode, @city, @citycode,
			ST_SetSRID(ST_MakePoint(@lon::float8, @lat::float8), 4326),
			@location_source, @geocoder, @geocode_score, @geocode_label, @geocode_state,
			@description, @website, @email, @phone, @contact_public,
			@networks, @projects, @expertise, @status, @source, @external_id, now())
		WHERE id = @id AND (name, legal_form_code, legal_form_label, ess_family, kind, naf, siret,
			street, postcode, city, citycode, location, location_source, geocoder, geocode_score,
			geocode_label, geocode_state, description, website, email, phone, contact_public,
			networks, projects, expertise, status, source, external_id)
		IS DISTINCT FROM (@name, @legal_form_code, @legal_form_label, @ess_family, @kind, @naf, @siret,
			@street, @postcode, @city, @citycode,
			ST_SetSRID(ST_MakePoint(@lon::float8, @lat::float8), 4326),
			@location_source, @geocoder, @geocode_score::float8, @geocode_label, @geocode_state,
			@description, @website, @email, @phone, @contact_public,
			@networks::text[], @projects::text[], @expertise::text[], @status, @source, @external_id)`

// DeleteActor removes actor id. Returns ENotFound if there is none.
func (s *ActorStore) DeleteActor(ctx context.Context, id int64) error {
	tag, err := s.db.Pool.Exec(ctx, `DELETE FROM actors WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return geo.Errorf(geo.ENotFound, "actor %d not found", id)
	}
	return nil
}
