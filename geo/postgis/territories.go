package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom/encoding/wkb"

	"github.com/maillage/maillage/geo"
)

// TerritoryStore keeps communes, EPCI, départements and regions.
type TerritoryStore struct {
	db *DB
}

// NewTerritoryStore returns a store of territories on db.
func NewTerritoryStore(db *DB) *TerritoryStore {
	return &TerritoryStore{db: db}
}

// territoryBatch is the number of rows stored per statement.
const territoryBatch = 1000

// ImportTerritories stores rows, each merged into the territory of the same
// level and code: what a row gives replaces what is stored, what it leaves
// empty is kept; with weakNames a row's name only names a territory that
// has none. Polygons are repaired with ST_MakeValid (a warning) or, when
// nothing of an area is left, the row is reported and skipped. Then the
// EPCI, départements and regions of the communes are created, their
// population summed and, when no file gave them one, their polygon built
// from their communes'; and every actor is placed again in its commune.
// Importing the same file twice changes nothing the second time. With
// dryRun nothing is written. progress, if not nil, is told of the rows
// stored.
func (s *TerritoryStore) ImportTerritories(ctx context.Context, rows []geo.TerritoryRow, weakNames, dryRun bool, progress func(done, total int)) (*geo.TerritoryImportResult, error) {
	res := &geo.TerritoryImportResult{Rows: len(rows), DryRun: dryRun, Failed: []geo.ImportReason{},
		Warnings: []geo.ImportReason{}}
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	// The statements below read the territories they write: serialise
	// imports, so that two of them do not derive from half of each other.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7367227)`); err != nil {
		return nil, err
	}
	good, err := checkPolygons(ctx, tx, rows, res)
	if err != nil {
		return nil, err
	}
	for start := 0; start < len(good); start += territoryBatch {
		batch := good[start:min(start+territoryBatch, len(good))]
		if err := upsertTerritories(ctx, tx, batch, weakNames, res); err != nil {
			return nil, err
		}
		if progress != nil {
			progress(start+len(batch), len(good))
		}
	}
	res.Unchanged = len(good) - res.Created - res.Updated
	if err := ensureParents(ctx, tx, good); err != nil {
		return nil, err
	}
	if res.Derived, err = deriveParents(ctx, tx, good); err != nil {
		return nil, err
	}
	if err := tx.QueryRow(ctx, `SELECT place_all_actors()`).Scan(&res.ActorsPlaced); err != nil {
		return nil, err
	}
	if err := missingData(ctx, tx, res); err != nil {
		return nil, err
	}
	if dryRun {
		return res, nil
	}
	return res, tx.Commit(ctx)
}

// checkPolygons returns the rows whose geometry, if any, has an area once
// repaired; the others are reported. Repaired rows are warned about.
func checkPolygons(ctx context.Context, tx pgx.Tx, rows []geo.TerritoryRow, res *geo.TerritoryImportResult) ([]geo.TerritoryRow, error) {
	var idx []int
	var geoms []string
	for i, r := range rows {
		if r.Geometry != nil {
			idx = append(idx, i)
			geoms = append(geoms, string(r.Geometry))
		}
	}
	type check struct {
		valid, area bool
		reason      string
	}
	checks := make(map[int]check, len(idx))
	// One statement for all; a geometry PostGIS cannot read at all fails
	// it, and then each is read in a savepoint of its own.
	read := func(q pgx.Tx, texts []string, offset int) error {
		rs, _ := q.Query(ctx, `
			SELECT u.i, ST_IsValid(g), NOT ST_IsEmpty(ST_CollectionExtract(ST_MakeValid(g), 3)),
				coalesce(ST_IsValidReason(g), '')
			FROM unnest($1::text[]) WITH ORDINALITY AS u(j, i), LATERAL ST_SetSRID(ST_GeomFromGeoJSON(u.j), 4326) AS g`, texts)
		var i int
		var c check
		_, err := pgx.ForEachRow(rs, []any{&i, &c.valid, &c.area, &c.reason}, func() error {
			checks[idx[offset+i-1]] = c
			return nil
		})
		return err
	}
	if len(geoms) > 0 {
		sp, err := tx.Begin(ctx)
		if err != nil {
			return nil, err
		}
		if err := read(sp, geoms, 0); err != nil {
			sp.Rollback(ctx)
			clear(checks)
			for k, g := range geoms {
				one, err := tx.Begin(ctx)
				if err != nil {
					return nil, err
				}
				if err := read(one, []string{g}, k); err != nil {
					one.Rollback(ctx)
					checks[idx[k]] = check{reason: "PostGIS cannot read it"}
					continue
				}
				if err := one.Commit(ctx); err != nil {
					return nil, err
				}
			}
		} else if err := sp.Commit(ctx); err != nil {
			return nil, err
		}
	}
	var good []geo.TerritoryRow
	for i, r := range rows {
		c, has := checks[i]
		switch {
		case !has:
			good = append(good, r)
		case !c.area:
			reason := "broken polygon with no area left after ST_MakeValid"
			if c.reason != "" && !c.valid {
				reason += " (" + c.reason + ")"
			}
			res.Failed = append(res.Failed, geo.ImportReason{Row: r.Row, Code: r.Code, Field: "geometry", Reason: reason})
		case !c.valid:
			res.Warnings = append(res.Warnings, geo.ImportReason{Row: r.Row, Code: r.Code, Field: "geometry",
				Reason: "invalid polygon repaired with ST_MakeValid (" + c.reason + ")"})
			good = append(good, r)
		default:
			good = append(good, r)
		}
	}
	return good, nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// upsertTerritories merges one batch of rows into territories.
func upsertTerritories(ctx context.Context, tx pgx.Tx, rows []geo.TerritoryRow, weakNames bool, res *geo.TerritoryImportResult) error {
	n := len(rows)
	levels, codes, names := make([]string, n), make([]string, n), make([]*string, n)
	pops := make([]*int32, n)
	epcis, deps, regs, postcodes, geoms := make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
	lons, lats := make([]*float64, n), make([]*float64, n)
	for i, r := range rows {
		levels[i], codes[i], names[i] = r.Level, r.Code, nullable(r.Name)
		if r.Population != nil {
			p := int32(*r.Population)
			pops[i] = &p
		}
		epcis[i], deps[i], regs[i] = nullable(r.EPCI), nullable(r.Departement), nullable(r.Region)
		if r.Postcodes != nil {
			postcodes[i] = nullable(strings.Join(r.Postcodes, " "))
		}
		if r.Geometry != nil {
			g := string(r.Geometry)
			geoms[i] = &g
		}
		if r.Point != nil {
			lons[i], lats[i] = &r.Point.Lon, &r.Point.Lat
		}
	}
	rs, _ := tx.Query(ctx, `
		INSERT INTO territories AS t (level, code, name, population, epci, departement, region, postcodes,
			geom, geom_source, point)
		SELECT u.level, u.code, coalesce(u.name, ''), u.population, u.epci, u.dep, u.reg,
			string_to_array(u.postcodes, ' '),
			ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(u.geom), 4326)), 3)),
			CASE WHEN u.geom IS NULL THEN '' ELSE 'file' END,
			CASE WHEN u.lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326) END
		FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::float8[], $11::float8[])
			AS u(level, code, name, population, epci, dep, reg, postcodes, geom, lon, lat)
		ON CONFLICT (level, code) DO UPDATE SET
			name = CASE WHEN excluded.name = '' OR ($12 AND t.name <> '') THEN t.name ELSE excluded.name END,
			population = coalesce(excluded.population, t.population),
			epci = coalesce(excluded.epci, t.epci),
			departement = coalesce(excluded.departement, t.departement),
			region = coalesce(excluded.region, t.region),
			postcodes = coalesce(excluded.postcodes, t.postcodes),
			geom = coalesce(excluded.geom, t.geom),
			geom_source = CASE WHEN excluded.geom IS NULL THEN t.geom_source ELSE 'file' END,
			point = coalesce(excluded.point, t.point),
			updated_at = now()
		WHERE (t.name, t.population, t.epci, t.departement, t.region, t.postcodes, t.point) IS DISTINCT FROM
			(CASE WHEN excluded.name = '' OR ($12 AND t.name <> '') THEN t.name ELSE excluded.name END,
			coalesce(excluded.population, t.population), coalesce(excluded.epci, t.epci),
			coalesce(excluded.departement, t.departement), coalesce(excluded.region, t.region),
			coalesce(excluded.postcodes, t.postcodes), coalesce(excluded.point, t.point))
			OR (excluded.geom IS NOT NULL AND (t.geom_source <> 'file' OR NOT ST_Equals(t.geom, excluded.geom)))
		RETURNING xmax = 0`,
		levels, codes, names, pops, epcis, deps, regs, postcodes, geoms, lons, lats, weakNames)
	var created bool
	_, err := pgx.ForEachRow(rs, []any{&created}, func() error {
		if created {
			res.Created++
		} else {
			res.Updated++
		}
		return nil
	})
	return err
}

// ensureParents creates the EPCI, départements and regions the rows name,
// with a name when one is known, and gives départements their region.
func ensureParents(ctx context.Context, tx pgx.Tx, rows []geo.TerritoryRow) error {
	var levels, codes, names []string
	seen := map[string]bool{}
	add := func(level, code, name string) {
		if code == "" || seen[level+code] {
			return
		}
		seen[level+code] = true
		levels, codes, names = append(levels, level), append(codes, code), append(names, name)
	}
	for _, r := range rows {
		if r.Level != geo.LevelCommune {
			continue
		}
		add(geo.LevelEPCI, r.EPCI, r.EPCIName)
		add(geo.LevelDepartement, r.Departement, geo.OverseasDepartementNames[r.Departement])
		add(geo.LevelRegion, r.Region, geo.RegionNames[r.Region])
	}
	if len(codes) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO territories AS t (level, code, name)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
		ON CONFLICT (level, code) DO UPDATE SET name = excluded.name, updated_at = now()
			WHERE t.name = '' AND excluded.name <> ''`, levels, codes, names)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `
		UPDATE territories d SET region = r.region, updated_at = now()
		FROM (SELECT departement, min(region) AS region FROM territories
			WHERE level = 'commune' AND region IS NOT NULL AND departement = ANY($1)
			GROUP BY departement) r
		WHERE d.level = 'departement' AND d.code = r.departement AND d.region IS DISTINCT FROM r.region`,
		codes)
	return err
}

// deriveParents sums the population of the EPCI, départements and regions
// of the rows' communes and builds the polygons no file gave them from
// their communes'. It returns the number of polygons built.
func deriveParents(ctx context.Context, tx pgx.Tx, rows []geo.TerritoryRow) (int, error) {
	var epcis, deps, regs []string
	for _, r := range rows {
		switch r.Level {
		case geo.LevelCommune:
			epcis, deps, regs = append(epcis, r.EPCI), append(deps, r.Departement), append(regs, r.Region)
		case geo.LevelEPCI:
			epcis = append(epcis, r.Code)
		case geo.LevelDepartement:
			deps = append(deps, r.Code)
		case geo.LevelRegion:
			regs = append(regs, r.Code)
		}
	}
	// The communes may have changed EPCI or département: the former
	// parents are summed again too.
	_, err := tx.Exec(ctx, `
		WITH sums AS (
			SELECT 'epci' AS level, epci AS code, sum(population)::int AS population FROM territories
			WHERE level = 'commune' AND epci IS NOT NULL GROUP BY epci
			UNION ALL
			SELECT 'departement', departement, sum(population)::int FROM territories
			WHERE level = 'commune' AND departement IS NOT NULL GROUP BY departement
			UNION ALL
			SELECT 'region', region, sum(population)::int FROM territories
			WHERE level = 'commune' AND region IS NOT NULL GROUP BY region
		)
		UPDATE territories t SET population = s.population, updated_at = now()
		FROM sums s
		WHERE t.level = s.level AND t.code = s.code AND t.population IS DISTINCT FROM s.population`)
	if err != nil {
		return 0, err
	}
	tag, err := tx.Exec(ctx, `
		WITH unions AS (
			SELECT 'epci' AS level, epci AS code, ST_Multi(ST_CollectionExtract(ST_Union(geom), 3)) AS geom
			FROM territories WHERE level = 'commune' AND geom IS NOT NULL AND epci = ANY($1) GROUP BY epci
			UNION ALL
			SELECT 'departement', departement, ST_Multi(ST_CollectionExtract(ST_Union(geom), 3))
			FROM territories WHERE level = 'commune' AND geom IS NOT NULL AND departement = ANY($2) GROUP BY departement
			UNION ALL
			SELECT 'region', region, ST_Multi(ST_CollectionExtract(ST_Union(geom), 3))
			FROM territories WHERE level = 'commune' AND geom IS NOT NULL AND region = ANY($3) GROUP BY region
		)
		UPDATE territories t SET geom = u.geom, geom_source = 'union', updated_at = now()
		FROM unions u
		WHERE t.level = u.level AND t.code = u.code AND t.geom_source <> 'file'
			AND (t.geom IS NULL OR NOT ST_Equals(t.geom, u.geom))`, epcis, deps, regs)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// missingData lists the communes with neither polygon nor point, and
// those without a population.
func missingData(ctx context.Context, tx pgx.Tx, res *geo.TerritoryImportResult) error {
	rs, _ := tx.Query(ctx, `SELECT code FROM territories WHERE level = 'commune' AND ref_point IS NULL ORDER BY code`)
	var err error
	if res.CommunesWithoutPoint, err = pgx.CollectRows(rs, pgx.RowTo[string]); err != nil {
		return err
	}
	rs, _ = tx.Query(ctx, `SELECT code FROM territories WHERE level = 'commune' AND population IS NULL ORDER BY code`)
	res.CommunesWithoutPopulation, err = pgx.CollectRows(rs, pgx.RowTo[string])
	return err
}

// territoryColumns is the select list that territoryRow scans.
const territoryColumns = `t.level, t.code, t.name, t.population, coalesce(t.epci, '') AS epci,
	coalesce(t.departement, '') AS departement, coalesce(t.region, '') AS region,
	coalesce(t.postcodes, '{}') AS postcodes, t.geom_source,
	ST_X(t.ref_point) AS lon, ST_Y(t.ref_point) AS lat,
	ST_XMin(t.geom) AS minlon, ST_YMin(t.geom) AS minlat, ST_XMax(t.geom) AS maxlon, ST_YMax(t.geom) AS maxlat,
	t.updated_at`

type territoryRow struct {
	Level       string
	Code        string
	Name        string
	Population  *int32
	EPCI        string
	Departement string
	Region      string
	Postcodes   []string
	GeomSource  string `db:"geom_source"`
	Lon, Lat    *float64
	MinLon      *float64
	MinLat      *float64
	MaxLon      *float64
	MaxLat      *float64
	UpdatedAt   time.Time `db:"updated_at"`
}

func (r territoryRow) territory() *geo.Territory {
	t := &geo.Territory{Level: r.Level, Code: r.Code, Name: r.Name, EPCI: r.EPCI, Departement: r.Departement,
		Region: r.Region, Postcodes: r.Postcodes, GeomSource: r.GeomSource, UpdatedAt: r.UpdatedAt}
	if t.Name == "" {
		t.Name = r.Code
	}
	if r.Population != nil {
		p := int(*r.Population)
		t.Population = &p
	}
	if r.Lon != nil && r.Lat != nil {
		t.Point = &geo.Point{Lon: *r.Lon, Lat: *r.Lat}
	}
	if r.MinLon != nil {
		t.BBox = &geo.BBox{MinLon: *r.MinLon, MinLat: *r.MinLat, MaxLon: *r.MaxLon, MaxLat: *r.MaxLat}
	}
	return t
}

// FindTerritories returns the territories of f, by level then name; with
// f.Q, names starting with it come first, then the most populated.
func (s *TerritoryStore) FindTerritories(ctx context.Context, f geo.TerritoryFilter) ([]*geo.Territory, error) {
	args := pgx.NamedArgs{"levels": nil, "wlevel": nil, "wcode": nil, "q": nil, "qstart": nil, "qcode": nil,
		"limit": f.Limit}
	if len(f.Levels) > 0 {
		args["levels"] = f.Levels
	}
	if f.Within != nil {
		args["wlevel"], args["wcode"] = f.Within.Level, f.Within.Code
	}
	if pattern := nameLike(f.Q); pattern != "" {
		args["q"], args["qstart"] = "%"+pattern+"%", pattern+"%"
		args["qcode"] = strings.ToUpper(strings.TrimSpace(f.Q))
	}
	rs, _ := s.db.Pool.Query(ctx, findTerritoriesSQL, args)
	found, err := pgx.CollectRows(rs, pgx.RowToStructByName[territoryRow])
	if err != nil {
		return nil, err
	}
	out := make([]*geo.Territory, len(found))
	for i, r := range found {
		out[i] = r.territory()
	}
	return out, nil
}

// findTerritoriesSQL selects the territories of FindTerritories. The
// name test folds case and accents and uses the trigram index
// territories_name; a code, or a commune's postcode, matches exactly.
const findTerritoriesSQL = `
		WITH w AS (
			SELECT c.code, c.epci, c.departement, c.region FROM territories c
			WHERE @wlevel::text IS NOT NULL AND c.level = 'commune' AND CASE @wlevel::text
				WHEN 'commune' THEN c.code = @wcode WHEN 'epci' THEN c.epci = @wcode
				WHEN 'departement' THEN c.departement = @wcode WHEN 'region' THEN c.region = @wcode END)
		SELECT ` + territoryColumns + ` FROM territories t
		WHERE (@levels::text[] IS NULL OR t.level = ANY(@levels))
			AND (@q::text IS NULL OR maillage_fold(t.name) LIKE maillage_fold(@q) OR t.code = @qcode
				OR (t.level = 'commune' AND t.postcodes @> ARRAY[@qcode::text]))
			AND (@wlevel::text IS NULL OR CASE t.level
				WHEN 'commune' THEN t.code IN (SELECT code FROM w)
				WHEN 'epci' THEN t.code IN (SELECT epci FROM w)
				WHEN 'departement' THEN t.code IN (SELECT departement FROM w)
				WHEN 'region' THEN t.code IN (SELECT region FROM w) END)
		ORDER BY array_position('{region,departement,epci,commune}'::text[], t.level),
			@q::text IS NOT NULL AND maillage_fold(t.name) NOT LIKE maillage_fold(@qstart),
			t.population DESC NULLS LAST, t.name, t.code
		LIMIT @limit`

// nameLike turns the words of q into a LIKE pattern (without the
// surrounding %) where any one space, hyphen or apostrophe stands for any
// of them: "saint malo" and "Saint-Malo", "ile d yeu" and "L'Île-d'Yeu"
// match. Returns "" when q has no word.
func nameLike(q string) string {
	words := strings.FieldsFunc(q, func(r rune) bool {
		return unicode.IsSpace(r) || r == '-' || r == '\'' || r == '’'
	})
	for i, w := range words {
		words[i] = likeEscaper.Replace(w)
	}
	return strings.Join(words, "_")
}

// FindTerritory returns the territory of that code, at level when not
// empty, else at the finest level with that code; with geometry, its
// polygon as GeoJSON. Returns ENotFound if there is none.
func (s *TerritoryStore) FindTerritory(ctx context.Context, level, code string, geometry bool) (*geo.Territory, error) {
	var levels []string
	if level != "" {
		levels = []string{level}
	} else {
		levels = geo.LevelsOfCode(code)
	}
	rs, _ := s.db.Pool.Query(ctx, `
		SELECT `+territoryColumns+`, CASE WHEN $3 THEN ST_AsGeoJSON(t.geom, 6) END AS geometry
		FROM territories t WHERE t.level = ANY($1) AND t.code = $2
		ORDER BY array_position($1, t.level) LIMIT 1`, levels, code, geometry)
	type withGeom struct {
		territoryRow
		Geometry *string
	}
	r, err := pgx.CollectExactlyOneRow(rs, pgx.RowToStructByName[withGeom])
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("territory %s", code))
	}
	t := r.territory()
	if r.Geometry != nil {
		t.Geometry = json.RawMessage(*r.Geometry)
	}
	return t, nil
}

// ActorPlace returns the commune, EPCI and département an actor is
// counted in, or nil when it is in none.
func (s *TerritoryStore) ActorPlace(ctx context.Context, actorID int64) (*geo.ActorPlace, error) {
	rs, _ := s.db.Pool.Query(ctx, `
		SELECT p.commune, coalesce(t.epci, '') AS epci,
			coalesce(t.departement, '') AS departement, p.method
		FROM actor_places p LEFT JOIN territories t ON t.level = 'commune' AND t.code = p.commune
		WHERE p.actor_id = $1`, actorID)
	places, err := pgx.CollectRows(rs, pgx.RowToStructByName[geo.ActorPlace])
	if err != nil || len(places) == 0 {
		return nil, err
	}
	return &places[0], nil
}

// SetTerritoryAttribution records the attribution required by the licence
// of a source of territories, replacing any previous one.
func (s *TerritoryStore) SetTerritoryAttribution(ctx context.Context, source, attribution string) error {
	source, attribution = strings.TrimSpace(source), strings.TrimSpace(attribution)
	if source == "" || attribution == "" {
		return nil
	}
	_, err := s.db.Pool.Exec(ctx, `
		INSERT INTO territory_sources (name, attribution) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET attribution = excluded.attribution`, source, attribution)
	return err
}

// TerritoryZone is the configured territory: the territories refs names,
// as the areas where points are expected (geo.OutsideWarning). Their
// polygons are read again only when their rows change: each call looks up
// their version (count and latest updated_at) with one query on the
// primary key.
type TerritoryZone struct {
	db            *DB
	refs          []geo.TerritoryRef
	levels, codes []string
	mu            sync.Mutex
	version       string
	areas         []geo.Area
	missing       []string
}

// NewTerritoryZone returns the zone of the territories refs names; a ref
// without level is the finest territory with its code.
func NewTerritoryZone(db *DB, refs []geo.TerritoryRef) *TerritoryZone {
	z := &TerritoryZone{db: db, refs: refs}
	for _, r := range refs {
		levels := []string{r.Level}
		if r.Level == "" {
			levels = geo.LevelsOfCode(r.Code)
		}
		for _, l := range levels {
			if !slices.Contains(z.levels, l) {
				z.levels = append(z.levels, l)
			}
		}
		z.codes = append(z.codes, r.Code)
	}
	return z
}

// Areas returns the areas of the configured territory, nil when none is
// configured. A territory not imported, or without a polygon, has none.
func (z *TerritoryZone) Areas(ctx context.Context) ([]geo.Area, error) {
	areas, _, err := z.load(ctx)
	return areas, err
}

// Missing returns the codes of the configured territories that have no
// polygon (or are not imported), as Areas last saw them.
func (z *TerritoryZone) Missing(ctx context.Context) ([]string, error) {
	_, missing, err := z.load(ctx)
	return missing, err
}

func (z *TerritoryZone) load(ctx context.Context) ([]geo.Area, []string, error) {
	if z == nil || len(z.refs) == 0 {
		return nil, nil, nil
	}
	var version string
	err := z.db.Pool.QueryRow(ctx, `
		SELECT count(*) || ' ' || coalesce(max(updated_at)::text, '')
		FROM territories WHERE level = ANY($1) AND code = ANY($2)`, z.levels, z.codes).Scan(&version)
	if err != nil {
		return nil, nil, err
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if version == z.version {
		return z.areas, z.missing, nil
	}
	var areas []geo.Area
	var missing []string
	for _, r := range z.refs {
		levels := []string{r.Level}
		if r.Level == "" {
			levels = geo.LevelsOfCode(r.Code)
		}
		var name string
		var shape []byte
		var b geo.BBox
		err := z.db.Pool.QueryRow(ctx, `
			SELECT coalesce(nullif(t.name, ''), t.code), ST_AsBinary(t.geom),
				ST_XMin(t.geom), ST_YMin(t.geom), ST_XMax(t.geom), ST_YMax(t.geom)
			FROM territories t WHERE t.level = ANY($1) AND t.code = $2 AND t.geom IS NOT NULL
			ORDER BY array_position($1, t.level) LIMIT 1`, levels, r.Code).
			Scan(&name, &shape, &b.MinLon, &b.MinLat, &b.MaxLon, &b.MaxLat)
		if errors.Is(err, pgx.ErrNoRows) {
			missing = append(missing, r.Code)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		g, err := wkb.Unmarshal(shape)
		if err != nil {
			return nil, nil, fmt.Errorf("territory %s: %w", r.Code, err)
		}
		areas = append(areas, geo.Area{Name: name, BBox: b, Shape: g})
	}
	z.version, z.areas, z.missing = version, areas, missing
	return areas, missing, nil
}
