package postgis

import (
	"strconv"
	"strings"

	"github.com/maillage/maillage/tiles"
)

// Density-aware actor tiles (issue 15). From the actor zoom up to zoom
// denseMaxZoom, an actor tile is read cell by cell of the finest cluster
// grid, that of zoom cellZoom (tiles.ClusterZooms - 1), whose cells are
// the tiles of zoom cellZoom + tiles.GridBits (15): a tile of zoom z
// covers 4^(15 - z) of them (64 at zoom 12, 16 at 13, 4 at 14). A cell
// holding more actors than DenseCellThreshold(z) (counted after the sector
// filter) is one cluster feature, made as the cluster tiles make theirs
// (count, sectors, in the layer of its most numerous sector, at its
// members' centroid); the actors of the other cells are single features,
// read, when the dense cells hold many actors, with an index scan of each
// sparse cell's box only (see densePointsSQL). A tile thus costs what it
// carries, however many actors its dense cells hold. An
// actor belongs to the cell tile_clusters counts it in (the same floor of
// its web-mercator coordinates), so each is shown once: in its dense
// cell's cluster, or as a point. A point in a tile's buffer is shown only
// when its own cell is sparse, so no actor of a dense cell is drawn over
// its cluster's disc. Zooms above denseMaxZoom, whose tiles are at most a
// cell, show every actor.

const (
	// cellZoom is the zoom of the cluster grid density is read from.
	cellZoom = tiles.ClusterZooms - 1
	// cellTileZoom is the zoom whose tiles are the cells of cellZoom.
	cellTileZoom = cellZoom + tiles.GridBits
	// denseMaxZoom is the last zoom of density-aware tiles: a tile of the
	// next zoom is one cell.
	denseMaxZoom = cellTileZoom - 1
	// densePoints is the most single actors a density-aware tile holds,
	// its buffer aside: DenseCellThreshold(z) times its cells. About 62
	// bytes an actor raw, so about 64 KB.
	densePoints = 1024
	// denseSpare is the most actors the dense cells of a tile (and its
	// ring) may hold for the tile's single actors to be read in one scan
	// of its envelope (theirs read and left out) rather than one scan per
	// sparse cell: a hundred index scans of rural cells cost more than a
	// few hundred extra rows.
	denseSpare = 1024
)

// DenseCellThreshold returns the most actors a cell of the zoom-11 grid
// shows one by one in a tile of zoom z (from tiles.ClusterZooms to 14):
// beyond it the cell is a cluster. It is densePoints over the cells a tile
// covers: 16 at zoom 12, 64 at 13, 256 at 14.
func DenseCellThreshold(z int) int {
	return densePoints >> (2 * (cellTileZoom - z))
}

// denseZoom reports whether tiles of zoom z are density-aware.
func denseZoom(z int) bool { return z >= tiles.ClusterZooms && z <= denseMaxZoom }

// denseSQL writes the constants of the density-aware tile queries into q:
// {cellzoom}, {cellbits} (the cells on a side of the whole grid, as a shift),
// {grid}, {gridbits}, {spare} (denseSpare) and the tile constants.
func denseSQL(q string) string {
	return withTileConstants(strings.NewReplacer("{cellzoom}", strconv.Itoa(cellZoom), "{spare}", strconv.Itoa(denseSpare),
		"{cellbits}", strconv.Itoa(cellTileZoom), "{grid}", strconv.Itoa(tiles.GridSize),
		"{gridbits}", strconv.Itoa(tiles.GridBits)).Replace(q))
}

// denseGrid is, after tileSpace, the block of zoom-11 cells (global
// columns and rows) tile ($1, $2, $3) covers, c0..c1 x r0..r1, the tiles
// of zoom 11 that hold it with its ring of neighbour cells (whose actors
// may lie in the buffer), and the tile's buffered envelope, where single
// actors are drawn. The block and its ring, at most 10 cells a side, lie
// in at most 2 x 2 tiles of zoom 11: listed as VALUES, not
// generate_series, whose estimate of 1,000 rows each made the generic plan
// size its hash tables for a million cells, a cost paid at every tile.
const denseGrid = `,
	g AS MATERIALIZED (
		SELECT $2::integer << ({cellbits} - $1::integer) AS c0, (($2::integer + 1) << ({cellbits} - $1::integer)) - 1 AS c1,
			$3::integer << ({cellbits} - $1::integer) AS r0, (($3::integer + 1) << ({cellbits} - $1::integer)) - 1 AS r1,
			ST_TileEnvelope($1, $2, $3, margin => {buffer}.0 / {extent}) AS env),
	t AS MATERIALIZED (
		SELECT DISTINCT x.tx, y.ty, g.c0 - 1 - x.tx * {grid} AS cx0, g.c1 + 1 - x.tx * {grid} AS cx1,
			g.r0 - 1 - y.ty * {grid} AS cy0, g.r1 + 1 - y.ty * {grid} AS cy1
		FROM g CROSS JOIN LATERAL (VALUES ((g.c0 - 1) >> {gridbits}), ((g.c1 + 1) >> {gridbits})) AS x(tx)
			CROSS JOIN LATERAL (VALUES ((g.r0 - 1) >> {gridbits}), ((g.r1 + 1) >> {gridbits})) AS y(ty))`

// densePointsSQL is, given k (the cells of the block and its ring: col, row,
// n, the count after the filter), the single actors of the sparse cells
// (n <= $5), as tile_feature rows with their layer, read one of two ways,
// chosen per tile by a one-time filter on what the dense cells hold:
//   - when they hold at most {spare} actors (in most tiles, none), one
//     index scan of the tile's buffered envelope, as actorTileSQL, leaving
//     out the actors of dense cells;
//   - otherwise, one index scan per sparse cell, in the cell's box (a
//     centimetre wider, for rounding) and the envelope, so that the actors
//     of dense cells are never read. OFFSET 0 keeps the subquery a scan per
//     cell: flattened into a join, the generic plan reads the whole
//     envelope once (20,000 actors in Paris). The cells are read the same
//     way (LATERAL, OFFSET 0), where the generic plan would otherwise
//     merge-join the whole zoom-11 grid.
//
// Either way an actor's cell is given by the very rule of
// tile_clusters_add: mercator_col and mercator_row (migration 0021), which
// the planner inlines.
const densePointsSQL = `
	SELECT ROW(a.id, a.id, a.name, a.sector_slugs[1], NULLIF(a.kind, ''),
			ST_MakePoint(a.x, a.y), array_to_string(a.sector_slugs, ','), NULL, NULL)::tile_feature AS f,
		a.sector_slugs[1] COLLATE "C" AS layer
	FROM (
		SELECT a.id, a.name, a.kind, a.sector_slugs, a.col, a.row,
			round(e.fx * a.px + -e.xmin * e.fx) AS x, round(e.fy * a.py + -e.ymax * e.fy) AS y
		FROM e, (
			SELECT a.id, a.name, a.kind, a.sector_slugs, ST_X(a.location_3857) AS px, ST_Y(a.location_3857) AS py,
				mercator_col(ST_X(a.location_3857), {cellbits}) AS col, mercator_row(ST_Y(a.location_3857), {cellbits}) AS row
			FROM g, actors a
			WHERE (SELECT coalesce(sum(k.n), 0) FROM k WHERE k.n > $5) <= {spare}
				AND a.location_3857 && g.env
				AND a.status = 'published' AND cardinality(a.sector_slugs) > 0
				AND ($4::text[] IS NULL OR a.sector_slugs && $4)) a) a
	WHERE a.x BETWEEN -{buffer} AND {extent} + {buffer} AND a.y BETWEEN -{buffer} AND {extent} + {buffer}
		AND NOT EXISTS (SELECT FROM k WHERE k.n > $5 AND k.col = a.col AND k.row = a.row)
	UNION ALL
	SELECT ROW(a.id, a.id, a.name, a.sector_slugs[1], NULLIF(a.kind, ''),
			ST_MakePoint(a.x, a.y), array_to_string(a.sector_slugs, ','), NULL, NULL)::tile_feature AS f,
		a.sector_slugs[1] COLLATE "C" AS layer
	FROM e, g, k CROSS JOIN LATERAL (
		SELECT a.id, a.name, a.kind, a.sector_slugs,
			round(e.fx * ST_X(a.location_3857) + -e.xmin * e.fx) AS x,
			round(e.fy * ST_Y(a.location_3857) + -e.ymax * e.fy) AS y
		FROM actors a
		WHERE a.location_3857 && g.env
			AND a.location_3857 && ST_MakeEnvelope(
				k.col * 40075016.685578488::float8 / (1 << {cellbits}) - 20037508.342789244 - 0.01,
				20037508.342789244 - (k.row + 1) * 40075016.685578488::float8 / (1 << {cellbits}) - 0.01,
				(k.col + 1) * 40075016.685578488::float8 / (1 << {cellbits}) - 20037508.342789244 + 0.01,
				20037508.342789244 - k.row * 40075016.685578488::float8 / (1 << {cellbits}) + 0.01, 3857)
			AND a.status = 'published' AND cardinality(a.sector_slugs) > 0
			AND ($4::text[] IS NULL OR a.sector_slugs && $4)
			AND mercator_col(ST_X(a.location_3857), {cellbits}) = k.col AND mercator_row(ST_Y(a.location_3857), {cellbits}) = k.row
		OFFSET 0) a
	WHERE (SELECT coalesce(sum(k.n), 0) FROM k WHERE k.n > $5) > {spare}
		AND k.n <= $5
		AND a.x BETWEEN -{buffer} AND {extent} + {buffer} AND a.y BETWEEN -{buffer} AND {extent} + {buffer}`

// denseLayersSQL ends a density-aware tile query: the data version and
// the tile, one layer per sector of the features f.
const denseLayersSQL = `
	SELECT (SELECT version FROM tile_data_version),
		(SELECT string_agg(layer, ''::bytea) FROM (
			SELECT ST_AsMVT(f.f, f.layer, {extent}, 'geom', 'fid') AS layer
			FROM f
			GROUP BY f.layer) layers)`

// denseTileSQL is a density-aware actor tile without a sector filter: the
// cells are read whole from tile_cells (migration 0017), and a dense
// cell's cluster is its row there. $4 is null; $5 is the threshold.
var denseTileSQL = denseSQL(tileSpace + denseGrid + `,
	k AS MATERIALIZED (
		SELECT c.tx * {grid} + c.cx AS col, c.ty * {grid} + c.cy AS row, c.n, c.sx, c.sy, c.sectors, c.layer
		FROM t CROSS JOIN LATERAL (
			SELECT * FROM tile_cells c
			WHERE c.z = {cellzoom} AND c.tx = t.tx AND c.ty = t.ty
				AND c.cx BETWEEN t.cx0 AND t.cx1 AND c.cy BETWEEN t.cy0 AND t.cy1 AND c.n > 0
			OFFSET 0) c
		WHERE $4::text[] IS NULL),
	f AS (
		SELECT ROW(NULL, NULL, NULL, NULL, NULL, ST_MakePoint(round(e.fx * (k.sx / k.n) + -e.xmin * e.fx),
				round(e.fy * (k.sy / k.n) + -e.ymax * e.fy)), k.sectors, k.n, NULL)::tile_feature AS f,
			k.layer
		FROM e, g, k
		WHERE k.n > $5 AND k.col BETWEEN g.c0 AND g.c1 AND k.row BETWEEN g.r0 AND g.r1
		UNION ALL` + densePointsSQL + `)` + denseLayersSQL)

// denseFilteredTileSQL is denseTileSQL with a sector filter ($4): a cell's
// count is that of its actors with a sector in the filter, and a dense
// cell's cluster regroups its sector sets of tile_clusters as
// clusterTileSQL does (sectors of the filter only in "sectors", each actor
// once in "count").
var denseFilteredTileSQL = denseSQL(tileSpace + denseGrid + `,
	c AS MATERIALIZED (
		SELECT c.tx * {grid} + c.cx AS col, c.ty * {grid} + c.cy AS row, c.sectors, c.n, c.sx, c.sy
		FROM t CROSS JOIN LATERAL (
			SELECT * FROM tile_clusters c
			WHERE c.z = {cellzoom} AND c.tx = t.tx AND c.ty = t.ty
				AND c.cx BETWEEN t.cx0 AND t.cx1 AND c.cy BETWEEN t.cy0 AND t.cy1 AND c.n > 0 AND c.sectors && $4
			OFFSET 0) c),
	k AS MATERIALIZED (
		SELECT c.col, c.row, sum(c.n)::integer AS n, sum(c.sx) AS sx, sum(c.sy) AS sy
		FROM c
		GROUP BY c.col, c.row),
	bysector AS (
		SELECT p.col, p.row, string_agg(p.slug || ':' || p.n, ',' ORDER BY p.n DESC, sec.position) AS sectors
		FROM (
			SELECT c.col, c.row, s.slug COLLATE "C" AS slug, sum(c.n) AS n
			FROM g, k JOIN c ON c.col = k.col AND c.row = k.row CROSS JOIN unnest(c.sectors) AS s(slug)
			WHERE k.n > $5 AND k.col BETWEEN g.c0 AND g.c1 AND k.row BETWEEN g.r0 AND g.r1 AND s.slug = ANY($4)
			GROUP BY 1, 2, 3) p JOIN sectors sec ON sec.slug = p.slug
		GROUP BY p.col, p.row),
	f AS (
		SELECT ROW(NULL, NULL, NULL, NULL, NULL, ST_MakePoint(round(e.fx * (k.sx / k.n) + -e.xmin * e.fx),
				round(e.fy * (k.sy / k.n) + -e.ymax * e.fy)), b.sectors, k.n, NULL)::tile_feature AS f,
			split_part(b.sectors, ':', 1) COLLATE "C" AS layer
		FROM e, k JOIN bysector b ON b.col = k.col AND b.row = k.row
		UNION ALL` + densePointsSQL + `)` + denseLayersSQL)
