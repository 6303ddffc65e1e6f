package postgis

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// CoverageSQL computes, for each commune of the query (@level's
// territories made of the communes inside @wlevel/@wcode, every commune
// when @wlevel is NULL), its published actors of @sectors (NULL: all) and
// the distance from its reference point to the nearest published actor of
// @sectors, by a KNN scan (ORDER BY <-> LIMIT 1) of the GiST index
// actors_location_geography: distances on the sphere, in metres.
const CoverageSQL = `
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
	), counts AS (
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
// snapshot.
func (s *CoverageStore) CoverageCommunes(ctx context.Context, q geo.CoverageQuery) ([]geo.CommuneFigures, map[string]string, int64, error) {
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, nil, 0, err
	}
	defer tx.Rollback(ctx)
	var version int64
	if err := tx.QueryRow(ctx, `SELECT version FROM tile_data_version`).Scan(&version); err != nil {
		return nil, nil, 0, err
	}
	rs, _ := tx.Query(ctx, CoverageSQL, CoverageArgs(q))
	rows, err := pgx.CollectRows(rs, pgx.RowToStructByName[communeFiguresRow])
	if err != nil {
		return nil, nil, 0, err
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
			return nil, nil, 0, err
		}
	}
	return out, names, version, nil
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
