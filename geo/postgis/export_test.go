package postgis

import (
	"context"
	"io/fs"

	"github.com/jackc/pgx/v5"
)

// MigrateFS applies the migrations in fsys instead of migrations.FS.
func (db *DB) MigrateFS(ctx context.Context, fsys fs.FS) ([]string, error) {
	return db.migrate(ctx, fsys)
}

var CheckExtensions = checkExtensions

// ActorTileSQL is the actor tile query, for the benchmark against the
// queries it replaced.
var ActorTileSQL = actorTileSQL

// AggregatedActorTileSQL is the actor tile query of one actor, one marker
// before the actors kept their sector list (migration 0011): each
// actor's sectors aggregated from actor_sectors in every tile.
var AggregatedActorTileSQL = withTileConstants(tileSpace + `
	SELECT (SELECT version FROM tile_data_version),
		(SELECT string_agg(layer, ''::bytea) FROM (
			SELECT ST_AsMVT(ROW(p.id, p.id, p.name, p.slugs[1], NULLIF(p.kind, ''),
					ST_MakePoint(p.x, p.y), array_to_string(p.slugs, ','))::tile_actor,
				p.slugs[1], {extent}, 'geom', 'fid') AS layer
			FROM (
				SELECT a.id, min(a.name) AS name, min(a.kind) AS kind,
					array_agg(s.sector_slug ORDER BY sec.position, s.sector_slug) AS slugs,
					min(round(e.fx * ST_X(a.location_3857) + -e.xmin * e.fx)) AS x,
					min(round(e.fy * ST_Y(a.location_3857) + -e.ymax * e.fy)) AS y
				FROM e, actors a JOIN actor_sectors s ON s.actor_id = a.id JOIN sectors sec ON sec.slug = s.sector_slug
				WHERE a.status = 'published'
					AND a.location_3857 && ST_TileEnvelope($1, $2, $3, margin => {buffer}.0 / {extent})
				GROUP BY a.id) p
			WHERE p.x BETWEEN -{buffer} AND {extent} + {buffer} AND p.y BETWEEN -{buffer} AND {extent} + {buffer}
				AND ($4::text[] IS NULL OR p.slugs && $4)
			GROUP BY p.slugs[1]) layers)`)

// ClusterTileSQL is the cluster tile query with a sector filter, for the
// benchmark.
var ClusterTileSQL = clusterTileSQL

// CellTileSQL is the cluster tile query without a sector filter, for the
// benchmark.
var CellTileSQL = cellTileSQL

// PerSectorActorTileSQL is the actor tile query before one actor, one
// marker: one feature per actor and sector.
var PerSectorActorTileSQL = withTileConstants(tileSpace + `
	SELECT (SELECT version FROM tile_data_version),
		(SELECT string_agg(layer, ''::bytea) FROM (
			SELECT ST_AsMVT(ROW(p.id, p.id, p.name, p.sector_slug, NULLIF(p.kind, ''),
					ST_MakePoint(p.x, p.y), NULL::text)::tile_actor,
				p.sector_slug, {extent}, 'geom', 'fid') AS layer
			FROM (
				SELECT a.id, a.name, a.kind, s.sector_slug,
					round(e.fx * ST_X(a.location_3857) + -e.xmin * e.fx) AS x,
					round(e.fy * ST_Y(a.location_3857) + -e.ymax * e.fy) AS y
				FROM e, actors a JOIN actor_sectors s ON s.actor_id = a.id
				WHERE a.status = 'published'
					AND a.location_3857 && ST_TileEnvelope($1, $2, $3, margin => {buffer}.0 / {extent})
					AND ($4::text[] IS NULL OR s.sector_slug = ANY($4))) p
			WHERE p.x BETWEEN -{buffer} AND {extent} + {buffer} AND p.y BETWEEN -{buffer} AND {extent} + {buffer}
			GROUP BY p.sector_slug) layers)`)

// EachFeatureAtOffset reads the page of collection that starts at offset,
// as EachFeature reads a page but through OFFSET instead of a key: the
// contrast of the keyset paging benchmark.
func (s *FeatureStore) EachFeatureAtOffset(ctx context.Context, collection string, offset, limit int, fn func(id string) error) error {
	t, err := featureTableOf(collection)
	if err != nil {
		return err
	}
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT `+t.id+` AS id, ST_AsGeoJSON(`+t.geometry+`, 7) AS geometry, `+
		t.props+`::text AS properties
		FROM `+t.from+` WHERE `+t.where+` ORDER BY `+t.order+` LIMIT @limit OFFSET @offset`,
		pgx.QueryExecModeExec, pgx.NamedArgs{"limit": limit, "offset": offset, "sector": nil})
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var geom, props *string
		if err := rows.Scan(&id, &geom, &props); err != nil {
			return err
		}
		if err := fn(id); err != nil {
			return err
		}
	}
	return rows.Err()
}

// TilePlans returns the generic and custom plans made so far of the actor
// and cluster tile statements on one connection of the store's pool, and
// the connections the pool holds.
func (s *TileStore) TilePlans(ctx context.Context) (generic, custom int64, conns int32, err error) {
	conns = s.pool.Stat().TotalConns()
	err = s.pool.QueryRow(ctx, `
		SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0)
		FROM pg_prepared_statements WHERE statement IN ($1, $2, $3)`, actorTileSQL, clusterTileSQL, cellTileSQL).Scan(&generic, &custom)
	return generic, custom, conns, err
}

// TileQuery is a tile query of the benchmarks: body after the tile's space
// (the CTE e of the tile queries), with the tile constants written in.
func TileQuery(body string) string { return withTileConstants(tileSpace + body) }
