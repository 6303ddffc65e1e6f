package postgis

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// coverageCommunesSQL lists in w the communes inside @wlevel/@wcode
// (every commune when @wlevel is NULL) and in c those and the other
// communes of the @level territories they belong to.
const coverageCommunesSQL = `
	WITH w AS MATERIALIZED (
		SELECT c.code, c.name, c.population, coalesce(c.epci, '') AS epci,
			coalesce(c.departement, '') AS departement, coalesce(c.region, '') AS region, c.ref_point
		FROM territories c
		WHERE c.level = 'commune' AND (@wlevel::text IS NULL OR CASE @wlevel::text
			WHEN 'commune' THEN c.code = @wcode WHEN 'epci' THEN c.epci = @wcode
			WHEN 'departement' THEN c.departement = @wcode WHEN 'region' THEN c.region = @wcode END)
	), c AS MATERIALIZED (
		SELECT w.*, true AS inside FROM w
		UNION ALL
		-- The other communes of the EPCI, départements or regions listed.
		SELECT t.code, t.name, t.population, coalesce(t.epci, ''), coalesce(t.departement, ''),
			coalesce(t.region, ''), t.ref_point, false
		FROM territories t
		WHERE t.level = 'commune' AND t.code NOT IN (SELECT code FROM w) AND (
			(@level::text = 'epci' AND t.epci IN (SELECT epci FROM w WHERE epci <> ''))
			OR (@level::text = 'departement' AND t.departement IN (SELECT departement FROM w WHERE departement <> ''))
			OR (@level::text = 'region' AND t.region IN (SELECT region FROM w WHERE region <> '')))
`

// CoverageSQL computes, for each commune of the query (@level's
// territories made of the communes inside @wlevel/@wcode, every commune
// when @wlevel is NULL), its published actors of @sectors (NULL: all) and
// the distance from its reference point to the nearest published actor of
// @sectors, by a KNN scan (ORDER BY <-> LIMIT 1) of the GiST index
// actors_location_geography: distances on the sphere, in metres.
const CoverageSQL = coverageCommunesSQL + `	), counts AS (
		SELECT p.commune, count(*)::int AS actors
		FROM actor_places p JOIN actors a ON a.id = p.actor_id
		WHERE p.commune IN (SELECT code FROM c) AND a.status = 'published'
			AND (@sectors::text[] IS NULL OR EXISTS (
				SELECT 1 FROM actor_sectors s WHERE s.actor_id = a.id AND s.sector_slug = ANY(@sectors)))
		GROUP BY p.commune
	)
	SELECT c.code, c.name, c.population, c.epci, c.departement, c.region, c.inside,
		coalesce(n.actors, 0) AS actors, c.ref_point IS NOT NULL AS located,
		CASE WHEN c.ref_point IS NOT NULL THEN (
			SELECT a.location::geography <-> c.ref_point::geography
			FROM actors a
			WHERE a.status = 'published' AND a.location IS NOT NULL
				AND (@sectors::text[] IS NULL OR EXISTS (
					SELECT 1 FROM actor_sectors s WHERE s.actor_id = a.id AND s.sector_slug = ANY(@sectors)))
			ORDER BY a.location::geography <-> c.ref_point::geography
			LIMIT 1) END AS nearest_m
	FROM c LEFT JOIN counts n ON n.commune = c.code
	ORDER BY c.code`

// CoverageStoredSQL reads the same columns as CoverageSQL from the stored
// coverage (migrations/0018_coverage_store.sql): the count over a union
// of sectors is the sum of the counts of the sector sets that meet it,
// the nearest the smallest of its sectors'.
const CoverageStoredSQL = coverageCommunesSQL + `	), counts AS (
		SELECT k.commune, sum(k.n)::int AS actors
		FROM coverage_counts k
		WHERE k.commune IN (SELECT code FROM c) AND (@sectors::text[] IS NULL OR k.sector_slugs && @sectors)
		GROUP BY k.commune
	), nearest AS (
		SELECT k.commune, min(k.distance_m) AS nearest_m
		FROM coverage_nearest k
		WHERE k.commune IN (SELECT code FROM c) AND (@sectors::text[] IS NULL OR k.sector_slug = ANY(@sectors))
		GROUP BY k.commune
	)
	SELECT c.code, c.name, c.population, c.epci, c.departement, c.region, c.inside,
		coalesce(n.actors, 0) AS actors, c.ref_point IS NOT NULL AS located,
		CASE WHEN c.ref_point IS NOT NULL THEN m.nearest_m END AS nearest_m
	FROM c LEFT JOIN counts n ON n.commune = c.code LEFT JOIN nearest m ON m.commune = c.code
	ORDER BY c.code`

// coverageCurrentSQL tells whether the stored coverage of @sectors (NULL:
// every sector and the actors with none) reflects the data of the
// snapshot, and when it was computed.
const coverageCurrentSQL = `
	WITH wanted AS (
		SELECT slug FROM sectors WHERE @sectors::text[] IS NULL OR slug = ANY(@sectors)
		UNION ALL
		SELECT '' WHERE @sectors::text[] IS NULL
	)
	SELECT NOT EXISTS (
			SELECT FROM coverage_dirty d
			WHERE d.sector_slug = '*' OR d.sector_slug IN (SELECT slug FROM wanted))
		AND NOT EXISTS (
			SELECT FROM coverage_pending d
			WHERE d.sector_slug = '*' OR d.sector_slug IN (SELECT slug FROM wanted))
		AND NOT EXISTS (
			SELECT FROM wanted w WHERE NOT EXISTS (SELECT FROM coverage_state s WHERE s.sector_slug = w.slug)),
		(SELECT min(s.computed_at) FROM coverage_state s WHERE s.sector_slug IN (SELECT slug FROM wanted))`

// CoverageSource says where CoverageFrom reads coverage from.
type CoverageSource int

const (
	// CoverageAuto reads the stored coverage when it is current, else
	// computes it live.
	CoverageAuto CoverageSource = iota
	// CoverageLive always computes it live (CoverageSQL).
	CoverageLive
	// CoverageStored always reads the stored coverage, current or not.
	CoverageStored
)

// CoverageArgs are the arguments of CoverageSQL for q.
func CoverageArgs(q geo.CoverageQuery) pgx.NamedArgs {
	args := pgx.NamedArgs{"wlevel": nil, "wcode": nil, "level": q.Level, "sectors": nil}
	if q.Within != nil {
		args["wlevel"], args["wcode"] = q.Within.Level, q.Within.Code
	}
	if len(q.Sectors) > 0 {
		args["sectors"] = q.Sectors
	}
	return args
}

type communeFiguresRow struct {
	Code        string
	Name        string
	Population  *int32
	EPCI        string
	Departement string
	Region      string
	Inside      bool
	Actors      int
	Located     bool
	NearestM    *float64 `db:"nearest_m"`
}

// CoverageStore computes the coverage of territories by actors.
type CoverageStore struct {
	db *DB
}

// NewCoverageStore returns a coverage store on db.
func NewCoverageStore(db *DB) *CoverageStore {
	return &CoverageStore{db: db}
}

// CoverageCommunes returns the figures of each commune of q, the names of
// q.Level's territories and the data version they show, read in one
// snapshot: from the stored coverage when it reflects that snapshot for
// q.Sectors, else computed live.
func (s *CoverageStore) CoverageCommunes(ctx context.Context, q geo.CoverageQuery) (*geo.CommuneCoverage, error) {
	return s.CoverageFrom(ctx, q, CoverageAuto)
}

// CoverageFrom is CoverageCommunes read from src.
func (s *CoverageStore) CoverageFrom(ctx context.Context, q geo.CoverageQuery, src CoverageSource) (*geo.CommuneCoverage, error) {
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	res := &geo.CommuneCoverage{}
	if err := tx.QueryRow(ctx, `SELECT version FROM tile_data_version`).Scan(&res.Version); err != nil {
		return nil, err
	}
	args := CoverageArgs(q)
	query := CoverageSQL
	if src != CoverageLive {
		var current bool
		var computedAt *time.Time
		if err := tx.QueryRow(ctx, coverageCurrentSQL, args).Scan(&current, &computedAt); err != nil {
			return nil, err
		}
		if (current || src == CoverageStored) && computedAt != nil {
			query, res.ComputedAt = CoverageStoredSQL, computedAt
		}
	}
	rs, _ := tx.Query(ctx, query, args)
	rows, err := pgx.CollectRows(rs, pgx.RowToStructByName[communeFiguresRow])
	if err != nil {
		return nil, err
	}
	out := make([]geo.CommuneFigures, len(rows))
	keys := map[string]bool{}
	for i, r := range rows {
		out[i] = geo.CommuneFigures{Code: r.Code, Name: r.Name, EPCI: r.EPCI, Departement: r.Departement,
			Region: r.Region, Inside: r.Inside, Actors: r.Actors, Located: r.Located, NearestM: r.NearestM}
		if r.Population != nil {
			p := int(*r.Population)
			out[i].Population = &p
		}
		switch q.Level {
		case geo.LevelEPCI:
			keys[r.EPCI] = true
		case geo.LevelDepartement:
			keys[r.Departement] = true
		case geo.LevelRegion:
			keys[r.Region] = true
		}
	}
	names := map[string]string{}
	if len(keys) > 0 {
		codes := make([]string, 0, len(keys))
		for k := range keys {
			codes = append(codes, k)
		}
		rs, _ := tx.Query(ctx, `SELECT code, name FROM territories WHERE level = $1 AND code = ANY($2)`, q.Level, codes)
		var code, name string
		if _, err := pgx.ForEachRow(rs, []any{&code, &name}, func() error {
			names[code] = name
			return nil
		}); err != nil {
			return nil, err
		}
	}
	res.Communes, res.Names = out, names
	return res, nil
}

// CoverageGeometries returns the polygons (GeoJSON; the reference point
// of communes without one) of the territories of level with codes.
func (s *CoverageStore) CoverageGeometries(ctx context.Context, level string, codes []string) (map[string][]byte, error) {
	rs, _ := s.db.Pool.Query(ctx, `
		SELECT code, ST_AsGeoJSON(coalesce(geom, ref_point), 6) FROM territories
		WHERE level = $1 AND code = ANY($2) AND coalesce(geom, ref_point) IS NOT NULL`, level, codes)
	out := map[string][]byte{}
	var code string
	var g []byte
	_, err := pgx.ForEachRow(rs, []any{&code, &g}, func() error {
		out[code] = append([]byte(nil), g...)
		return nil
	})
	return out, err
}

// TerritoryAttributions returns the distinct attributions of the sources
// of territories, sorted.
func (s *CoverageStore) TerritoryAttributions(ctx context.Context) ([]string, error) {
	rs, _ := s.db.Pool.Query(ctx, `SELECT DISTINCT attribution FROM territory_sources ORDER BY attribution`)
	return pgx.CollectRows(rs, pgx.RowTo[string])
}
