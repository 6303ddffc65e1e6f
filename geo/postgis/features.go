package postgis

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// FeatureStore reads the public feature collections (OGC API Features) a
// page at a time, in key order: a page starts where the previous one
// ended (WHERE key > last ORDER BY key LIMIT n), never with OFFSET, so the
// thousandth page reads as few rows as the first.
type FeatureStore struct {
	db *DB
}

// NewFeatureStore returns the feature collections of db.
func NewFeatureStore(db *DB) *FeatureStore {
	return &FeatureStore{db: db}
}

// featureTable is how a collection is read. Every fragment is a constant
// of this file; requests choose which fragments are used, never their
// text, and give their values as arguments.
type featureTable struct {
	info     geo.FeatureCollectionInfo
	from     string // FROM clause
	where    string // what the public may see
	id       string // the feature id, as text
	geometry string // the geometry column or expression (SRID 4326)
	props    string // a json object of the properties
	order    string // ORDER BY of the key
	// after, before and equal compare the key with @key; intKey says the
	// key is a bigint (parsed in Go), else text.
	after, before, equal string
	intKey               bool
	// filters are the queryables' predicates on @v; a queryable without
	// one is a parameter of props.
	filters map[string]string
}

var kindValues = func() []string {
	ks := make([]string, 0, len(geo.Kinds))
	for k := range geo.Kinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}()

var featureTables = []*featureTable{
	{
		info: geo.FeatureCollectionInfo{ID: geo.CollectionActors, Geometry: "Point", Properties: []geo.FeatureProperty{
			{Name: "name", Type: "string"},
			{Name: "sector", Type: "string", Queryable: true},
			{Name: "sectors", Type: "array"},
			{Name: "kind", Type: "string", Queryable: true, Enum: kindValues},
			{Name: "legal_form", Type: "string"},
			{Name: "legal_form_code", Type: "string", Queryable: true},
			{Name: "ess_family", Type: "string", Queryable: true,
				Enum: []string{"association", "cooperative", "mutuelle", "fondation", "societe_commerciale_ess"}},
			{Name: "naf", Type: "string", Queryable: true},
			{Name: "siret", Type: "string", Queryable: true},
			{Name: "street", Type: "string"},
			{Name: "postcode", Type: "string", Queryable: true},
			{Name: "city", Type: "string"},
			{Name: "citycode", Type: "string", Queryable: true},
			{Name: "website", Type: "string"},
			{Name: "email", Type: "string"},
			{Name: "phone", Type: "string"},
			{Name: "description", Type: "string"},
			{Name: "networks", Type: "array"},
			{Name: "source", Type: "string", Queryable: true},
			{Name: "updated_at", Type: "string", Format: "date-time"},
		}},
		from:     `actors a`,
		where:    `a.status = 'published' AND a.location IS NOT NULL`,
		id:       `a.id::text`,
		geometry: `a.location`,
		// sector is the first of the actor's sectors, for clients that
		// style by one value; sectors lists them all.
		props: `json_build_object('name', a.name,
			'sector', (SELECT s.sector_slug FROM actor_sectors s JOIN sectors sec ON sec.slug = s.sector_slug
				WHERE s.actor_id = a.id ORDER BY sec.position, s.sector_slug LIMIT 1),
			'sectors', ARRAY(SELECT s.sector_slug FROM actor_sectors s JOIN sectors sec ON sec.slug = s.sector_slug
				WHERE s.actor_id = a.id ORDER BY sec.position, s.sector_slug),
			'kind', a.kind, 'legal_form', a.legal_form_label, 'legal_form_code', a.legal_form_code,
			'ess_family', a.ess_family, 'naf', a.naf, 'siret', a.siret,
			'street', a.street, 'postcode', a.postcode, 'city', a.city, 'citycode', a.citycode,
			'website', a.website,
			'email', CASE WHEN a.contact_public THEN a.email ELSE '' END,
			'phone', CASE WHEN a.contact_public THEN a.phone ELSE '' END,
			'description', a.description, 'networks', a.networks, 'source', a.source,
			'updated_at', a.updated_at)`,
		order:  `a.id`,
		after:  `a.id > @key`,
		before: `a.id < @key`,
		equal:  `a.id = @key`,
		intKey: true,
		filters: map[string]string{
			"sector":          `EXISTS (SELECT 1 FROM actor_sectors s WHERE s.actor_id = a.id AND s.sector_slug = @v)`,
			"kind":            `a.kind = @v`,
			"legal_form_code": `a.legal_form_code = @v`,
			"ess_family":      `a.ess_family = @v`,
			"naf":             `a.naf = @v`,
			"siret":           `a.siret = @v`,
			"postcode":        `a.postcode = @v`,
			"citycode":        `a.citycode = @v`,
			"source":          `a.source = @v`,
		},
	},
	{
		info: geo.FeatureCollectionInfo{ID: geo.CollectionTerritories, Geometry: "Geometry", Properties: []geo.FeatureProperty{
			{Name: "level", Type: "string", Queryable: true, Enum: []string{"commune", "epci", "departement", "region"}},
			{Name: "code", Type: "string", Queryable: true},
			{Name: "name", Type: "string"},
			{Name: "population", Type: "integer"},
			{Name: "epci", Type: "string", Queryable: true},
			{Name: "departement", Type: "string", Queryable: true},
			{Name: "region", Type: "string", Queryable: true},
		}},
		from:     `territories t`,
		where:    `true`,
		id:       `t.level || ':' || t.code`,
		geometry: `coalesce(t.geom, t.point)`,
		props: `json_build_object('level', t.level, 'code', t.code, 'name', t.name, 'population', t.population,
			'epci', coalesce(t.epci, ''), 'departement', coalesce(t.departement, ''), 'region', coalesce(t.region, ''))`,
		order:  `t.level, t.code`,
		after:  `(t.level, t.code) > (split_part(@key, ':', 1), split_part(@key, ':', 2))`,
		before: `(t.level, t.code) < (split_part(@key, ':', 1), split_part(@key, ':', 2))`,
		equal:  `(t.level, t.code) = (split_part(@key, ':', 1), split_part(@key, ':', 2))`,
		filters: map[string]string{
			"level":       `t.level = @v`,
			"code":        `t.code = @v`,
			"epci":        `t.epci = @v`,
			"departement": `t.departement = @v`,
			"region":      `t.region = @v`,
		},
	},
	{
		// One feature per commune: its published actors (of the sector
		// asked, else of all) and the distance from its reference point to
		// the nearest one, as /api/coverage computes them.
		info: geo.FeatureCollectionInfo{ID: geo.CollectionCoverage, Geometry: "Geometry", Properties: []geo.FeatureProperty{
			{Name: "code", Type: "string", Queryable: true},
			{Name: "name", Type: "string"},
			{Name: "population", Type: "integer"},
			{Name: "epci", Type: "string", Queryable: true},
			{Name: "departement", Type: "string", Queryable: true},
			{Name: "region", Type: "string", Queryable: true},
			{Name: "sector", Type: "string", Queryable: true},
			{Name: "actors", Type: "integer"},
			{Name: "nearest_m", Type: "number"},
		}},
		from:     `territories c`,
		where:    `c.level = 'commune'`,
		id:       `c.code`,
		geometry: `coalesce(c.geom, c.point)`,
		props: `json_build_object('code', c.code, 'name', c.name, 'population', c.population,
			'epci', coalesce(c.epci, ''), 'departement', coalesce(c.departement, ''), 'region', coalesce(c.region, ''),
			'sector', @sector::text,
			'actors', (SELECT count(*) FROM actor_places p JOIN actors a ON a.id = p.actor_id
				WHERE p.commune = c.code AND a.status = 'published' AND (@sector::text IS NULL OR EXISTS (
					SELECT 1 FROM actor_sectors s WHERE s.actor_id = a.id AND s.sector_slug = @sector::text))),
			'nearest_m', CASE WHEN c.ref_point IS NOT NULL THEN round((
				SELECT a.location::geography <-> c.ref_point::geography
				FROM actors a
				WHERE a.status = 'published' AND a.location IS NOT NULL AND (@sector::text IS NULL OR EXISTS (
					SELECT 1 FROM actor_sectors s WHERE s.actor_id = a.id AND s.sector_slug = @sector::text))
				ORDER BY a.location::geography <-> c.ref_point::geography
				LIMIT 1)::numeric, 1) END)`,
		order:  `c.code`,
		after:  `c.code > @key`,
		before: `c.code < @key`,
		equal:  `c.code = @key`,
		filters: map[string]string{
			"code":        `c.code = @v`,
			"epci":        `c.epci = @v`,
			"departement": `c.departement = @v`,
			"region":      `c.region = @v`,
			"sector":      ``,
		},
	},
	{
		info: geo.FeatureCollectionInfo{ID: geo.CollectionAnnotations, Geometry: "Geometry", Properties: []geo.FeatureProperty{
			{Name: "workshop", Type: "integer", Queryable: true},
			{Name: "workshop_title", Type: "string"},
			{Name: "workshop_date", Type: "string", Format: "date"},
			{Name: "kind", Type: "string", Queryable: true},
			{Name: "kind_label", Type: "string"},
			{Name: "text", Type: "string"},
			{Name: "sector", Type: "string", Queryable: true},
			{Name: "author_name", Type: "string"},
			{Name: "actor", Type: "integer"},
			{Name: "votes", Type: "integer"},
			{Name: "created_at", Type: "string", Format: "date-time"},
		}},
		from:     `annotations n JOIN workshops w ON w.id = n.workshop_id`,
		where:    `w.published AND n.state = 'visible'`,
		id:       `n.id::text`,
		geometry: `n.geom`,
		props: `json_build_object('workshop', w.id, 'workshop_title', w.title, 'workshop_date', w.date,
			'kind', n.kind,
			'kind_label', coalesce((SELECT k.label FROM annotation_kinds k
				WHERE k.slug = n.kind AND (k.workshop_id = w.id OR k.workshop_id IS NULL)
				ORDER BY k.workshop_id NULLS LAST LIMIT 1), n.kind),
			'text', n.text, 'sector', n.sector, 'author_name', n.author_name, 'actor', n.actor_id,
			'votes', (SELECT count(*) FROM annotation_votes v WHERE v.annotation_id = n.id),
			'created_at', n.created_at)`,
		order:  `n.id`,
		after:  `n.id > @key`,
		before: `n.id < @key`,
		equal:  `n.id = @key`,
		intKey: true,
		filters: map[string]string{
			"workshop": `n.workshop_id = @v`,
			"kind":     `n.kind = @v`,
			"sector":   `n.sector = @v`,
		},
	},
}

func featureTableOf(collection string) (*featureTable, error) {
	for _, t := range featureTables {
		if t.info.ID == collection {
			return t, nil
		}
	}
	return nil, geo.Errorf(geo.ENotFound, "collection %q not found", collection)
}

// FeatureCollections describes every collection, in a stable order.
func (s *FeatureStore) FeatureCollections() []geo.FeatureCollectionInfo {
	out := make([]geo.FeatureCollectionInfo, len(featureTables))
	for i, t := range featureTables {
		out[i] = t.info
	}
	return out
}

// keyArg is the value of a key given as text: an integer for integer keys.
// ok is false when it cannot be one.
func (t *featureTable) keyArg(key string) (any, bool) {
	if !t.intKey {
		return key, true
	}
	n, err := strconv.ParseInt(key, 10, 64)
	return n, err == nil && n >= 0
}

// whereOf is the WHERE clause of q and its arguments, with its page
// bounds when paging (they are checked in any case). Predicates are
// named by their argument, @v0, @v1… in the order of the sorted filter
// names; only the given filters are in the clause, so that each shape of
// query gets a plan that fits it.
func (t *featureTable) whereOf(q geo.FeatureQuery, paging bool) (string, pgx.NamedArgs, error) {
	var b strings.Builder
	args := pgx.NamedArgs{}
	b.WriteString(t.where)
	if q.BBox != nil {
		b.WriteString(` AND ` + t.geometry + ` && ST_MakeEnvelope(@minlon, @minlat, @maxlon, @maxlat, 4326)`)
		args["minlon"], args["minlat"], args["maxlon"], args["maxlat"] = q.BBox.MinLon, q.BBox.MinLat, q.BBox.MaxLon, q.BBox.MaxLat
	}
	names := make([]string, 0, len(q.Filters))
	for name := range q.Filters {
		names = append(names, name)
	}
	slices.Sort(names)
	args["sector"] = nil
	for i, name := range names {
		pred, ok := t.filters[name]
		if !ok {
			return "", nil, &geo.Error{Code: geo.EInvalid, Message: "not a queryable",
				Fields: map[string]string{name: "not a queryable of " + t.info.ID}}
		}
		v := q.Filters[name]
		if p, _ := t.info.Property(name); p.Type == "integer" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return "", nil, &geo.Error{Code: geo.EInvalid, Message: "invalid filter",
					Fields: map[string]string{name: "an integer"}}
			}
			args["v"+strconv.Itoa(i)] = n
		} else {
			args["v"+strconv.Itoa(i)] = v
		}
		if name == "sector" {
			args["sector"] = v
		}
		if pred != "" {
			b.WriteString(` AND ` + strings.ReplaceAll(pred, "@v", "@v"+strconv.Itoa(i)))
		}
	}
	for _, k := range []struct{ name, value, pred string }{{"after", q.After, t.after}, {"before", q.Before, t.before}} {
		if k.value == "" {
			continue
		}
		v, ok := t.keyArg(k.value)
		if !ok {
			return "", nil, &geo.Error{Code: geo.EInvalid, Message: "invalid page key",
				Fields: map[string]string{k.name: "a feature id of this collection"}}
		}
		if !paging {
			continue
		}
		args[k.name] = v
		b.WriteString(` AND ` + strings.ReplaceAll(k.pred, "@key", "@"+k.name))
	}
	return b.String(), args, nil
}

// Pages and counts are planned for their own values (QueryExecModeExec: an
// unnamed statement each time), never with a cached generic plan: a
// generic plan knows neither the limit nor the key nor the box, and chose
// to sort the whole table for a page of 100.

// EachFeature calls fn for each feature of the page q selects, in key
// order, as rows arrive from PostgreSQL: a page is never held in memory.
// It reads one feature more than q.Limit, to tell whether another page
// follows: more is true then. Returns ENotFound for an unknown collection
// and EInvalid for a filter that is not a queryable or a bad page key.
func (s *FeatureStore) EachFeature(ctx context.Context, q geo.FeatureQuery, fn func(geo.Feature) error) (more bool, err error) {
	t, err := featureTableOf(q.Collection)
	if err != nil {
		return false, err
	}
	where, args, err := t.whereOf(q, true)
	if err != nil {
		return false, err
	}
	limit := q.Limit
	if limit <= 0 || limit == math.MaxInt {
		limit = math.MaxInt32
	}
	args["limit"] = limit + 1
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx)
	// A page that looks backwards reads the features before its key in
	// descending order to find where it starts, then reads forwards from
	// there like any other page.
	if q.Before != "" && q.After == "" {
		var start *string
		back := args["limit"]
		args["limit"] = limit
		rows, err := tx.Query(ctx, `SELECT `+t.id+` FROM `+t.from+` WHERE `+where+` ORDER BY `+desc(t.order)+` LIMIT @limit`,
			pgx.QueryExecModeExec, args)
		if err != nil {
			return false, err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return false, err
		}
		args["limit"] = back
		if len(ids) > 0 {
			start = &ids[len(ids)-1]
		}
		if start != nil {
			k, _ := t.keyArg(*start)
			args["first"] = k
			where += ` AND (` + strings.ReplaceAll(t.after, "@key", "@first") + ` OR ` +
				strings.ReplaceAll(t.equal, "@key", "@first") + `)`
		}
	}
	rows, err := tx.Query(ctx, `SELECT `+t.id+` AS id, ST_AsGeoJSON(`+t.geometry+`, 7) AS geometry, `+
		t.props+`::text AS properties
		FROM `+t.from+` WHERE `+where+` ORDER BY `+t.order+` LIMIT @limit`, pgx.QueryExecModeExec, args)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id string
		var geom, props *string
		if err := rows.Scan(&id, &geom, &props); err != nil {
			return false, err
		}
		if n++; n > limit {
			return true, nil
		}
		f := geo.Feature{ID: id, Geometry: json.RawMessage("null"), Properties: json.RawMessage("{}")}
		if geom != nil {
			f.Geometry = json.RawMessage(*geom)
		}
		if props != nil {
			f.Properties = json.RawMessage(*props)
		}
		if err := fn(f); err != nil {
			return false, err
		}
	}
	return false, rows.Err()
}

// desc turns "a.id" or "t.level, t.code" into its descending order.
func desc(order string) string {
	parts := strings.Split(order, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p) + " DESC"
	}
	return strings.Join(parts, ", ")
}

// CountFeatures returns the number of features matching q, whatever its
// page.
func (s *FeatureStore) CountFeatures(ctx context.Context, q geo.FeatureQuery) (int, error) {
	t, err := featureTableOf(q.Collection)
	if err != nil {
		return 0, err
	}
	where, args, err := t.whereOf(q, false)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM `+t.from+` WHERE `+where, pgx.QueryExecModeExec, args).Scan(&n)
	return n, err
}

// FindFeature returns the feature id of collection, or ENotFound, also
// for a feature the public may not see. A sector given in filters is the
// parameter of the coverage collection.
func (s *FeatureStore) FindFeature(ctx context.Context, collection, id string, filters map[string]string) (geo.Feature, error) {
	t, err := featureTableOf(collection)
	if err != nil {
		return geo.Feature{}, err
	}
	notFound := geo.Errorf(geo.ENotFound, "feature %q of %s not found", id, collection)
	key, ok := t.keyArg(id)
	if !ok {
		return geo.Feature{}, notFound
	}
	where, args, err := t.whereOf(geo.FeatureQuery{Filters: filters}, false)
	if err != nil {
		return geo.Feature{}, err
	}
	args["key"] = key
	var geom, props *string
	err = s.db.Pool.QueryRow(ctx, `SELECT ST_AsGeoJSON(`+t.geometry+`, 7), `+t.props+`::text
		FROM `+t.from+` WHERE `+where+` AND `+t.equal, args).Scan(&geom, &props)
	if err != nil {
		if mapped := mapError(err, ""); geo.ErrorCode(mapped) == geo.ENotFound {
			return geo.Feature{}, notFound
		}
		return geo.Feature{}, err
	}
	f := geo.Feature{ID: id, Geometry: json.RawMessage("null"), Properties: json.RawMessage("{}")}
	if geom != nil {
		f.Geometry = json.RawMessage(*geom)
	}
	if props != nil {
		f.Properties = json.RawMessage(*props)
	}
	return f, nil
}

// FeatureExtent returns the bounding box of the collection's features, nil
// when it has none.
func (s *FeatureStore) FeatureExtent(ctx context.Context, collection string) (*geo.BBox, error) {
	t, err := featureTableOf(collection)
	if err != nil {
		return nil, err
	}
	var minLon, minLat, maxLon, maxLat *float64
	err = s.db.Pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(`+t.geometry+`) AS e FROM `+t.from+` WHERE `+t.where+`) x`,
		pgx.NamedArgs{"sector": nil}).Scan(&minLon, &minLat, &maxLon, &maxLat)
	if err != nil || minLon == nil {
		return nil, err
	}
	return &geo.BBox{MinLon: *minLon, MinLat: *minLat, MaxLon: *maxLon, MaxLat: *maxLat}, nil
}
