package postgis

import (
	"context"
	"io/fs"
)

// MigrateFS applies the migrations in fsys instead of migrations.FS.
func (db *DB) MigrateFS(ctx context.Context, fsys fs.FS) ([]string, error) {
	return db.migrate(ctx, fsys)
}

var CheckExtensions = checkExtensions

// ActorTileSQL is the actor tile query, for the benchmark against the
// query of one feature per actor and sector that it replaced.
var ActorTileSQL = actorTileSQL

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

// TilePlans returns the generic and custom plans made so far of the actor
// and cluster tile statements on one connection of the store's pool, and
// the connections the pool holds.
func (s *TileStore) TilePlans(ctx context.Context) (generic, custom int64, conns int32, err error) {
	conns = s.pool.Stat().TotalConns()
	err = s.pool.QueryRow(ctx, `
		SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0)
		FROM pg_prepared_statements WHERE statement IN ($1, $2)`, actorTileSQL, clusterTileSQL).Scan(&generic, &custom)
	return generic, custom, conns, err
}
