-- tile_cells without "sets"; the web-mercator cell of a point as two
-- functions.
--
-- No tile reads tile_cells.sets since the cluster tiles stopped carrying
-- per-sector-set counts (issue 15): tile_cells_refresh no longer computes
-- it and the column is dropped. The primary key included it, so it is
-- made again with the same key and the other included columns: an
-- unfiltered cluster tile stays an index-only scan.
--
-- mercator_col and mercator_row are the column and row, among 2^bits a
-- side, of the web-mercator grid cell holding x or y (EPSG:3857 metres),
-- clamped to the grid, as tile_clusters_add (0005, 0011, 0017) and the
-- density-aware tiles wrote them out. One expression each, not STRICT, so
-- that the planner inlines them: a query's plan is that of the expression
-- written out.

CREATE FUNCTION mercator_col(x float8, bits int) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT least(greatest(floor((x + 20037508.342789244) * (1 << bits) / 40075016.685578488)::int, 0), (1 << bits) - 1)
$$;

CREATE FUNCTION mercator_row(y float8, bits int) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT least(greatest(floor((20037508.342789244 - y) * (1 << bits) / 40075016.685578488)::int, 0), (1 << bits) - 1)
$$;

ALTER TABLE tile_cells DROP CONSTRAINT tile_cells_pkey;
ALTER TABLE tile_cells DROP COLUMN sets;
ALTER TABLE tile_cells ADD PRIMARY KEY (z, tx, ty, cx, cy) INCLUDE (n, sx, sy, sectors, layer);

CREATE OR REPLACE FUNCTION tile_cells_refresh(zs int[], txs int[], tys int[], cxs int[], cys int[]) RETURNS void
LANGUAGE sql AS $$
	WITH k AS (
		SELECT DISTINCT z, tx, ty, cx, cy FROM unnest(zs, txs, tys, cxs, cys) AS k(z, tx, ty, cx, cy)),
	c AS MATERIALIZED (
		SELECT t.z, t.tx, t.ty, t.cx, t.cy, t.sectors, t.n, t.sx, t.sy
		FROM k JOIN tile_clusters t ON t.z = k.z AND t.tx = k.tx AND t.ty = k.ty AND t.cx = k.cx AND t.cy = k.cy
		WHERE t.n > 0),
	bysector AS (
		SELECT p.z, p.tx, p.ty, p.cx, p.cy, string_agg(p.slug || ':' || p.n, ',' ORDER BY p.n DESC, sec.position) AS sectors
		FROM (
			SELECT c.z, c.tx, c.ty, c.cx, c.cy, s.slug COLLATE "C" AS slug, sum(c.n) AS n
			FROM c CROSS JOIN unnest(c.sectors) AS s(slug)
			GROUP BY 1, 2, 3, 4, 5, 6) p JOIN sectors sec ON sec.slug = p.slug
		GROUP BY p.z, p.tx, p.ty, p.cx, p.cy),
	cells AS (
		SELECT c.z, c.tx, c.ty, c.cx, c.cy, sum(c.n)::integer AS n, sum(c.sx) AS sx, sum(c.sy) AS sy
		FROM c
		GROUP BY c.z, c.tx, c.ty, c.cx, c.cy)
	INSERT INTO tile_cells AS t (z, tx, ty, cx, cy, n, sx, sy, sectors, layer)
	SELECT k.z, k.tx, k.ty, k.cx, k.cy, coalesce(m.n, 0), coalesce(m.sx, 0), coalesce(m.sy, 0),
		b.sectors, split_part(b.sectors, ':', 1)
	FROM k
		LEFT JOIN cells m ON m.z = k.z AND m.tx = k.tx AND m.ty = k.ty AND m.cx = k.cx AND m.cy = k.cy
		LEFT JOIN bysector b ON b.z = k.z AND b.tx = k.tx AND b.ty = k.ty AND b.cx = k.cx AND b.cy = k.cy
	ON CONFLICT (z, tx, ty, cx, cy) DO UPDATE
		SET n = excluded.n, sx = excluded.sx, sy = excluded.sy, sectors = excluded.sectors,
			layer = excluded.layer
$$;

CREATE OR REPLACE FUNCTION tile_clusters_add(sets text[], xs float8[], ys float8[], signs int[]) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO tile_clusters AS t (z, tx, ty, cx, cy, sectors, n, sx, sy)
	SELECT z, col >> 4, row >> 4, col & 15, row & 15, string_to_array(set, ','), sum(sign), sum(sign * x), sum(sign * y)
	FROM (
		SELECT z, d.set, d.sign, d.x, d.y, mercator_col(d.x, z + 4) AS col, mercator_row(d.y, z + 4) AS row
		FROM unnest(sets, xs, ys, signs) AS d(set, x, y, sign)
		CROSS JOIN generate_series(0, 11) AS z
	) cells
	GROUP BY z, col, row, set
	ON CONFLICT (z, tx, ty, cx, cy, sectors) DO UPDATE
		SET n = t.n + excluded.n, sx = t.sx + excluded.sx, sy = t.sy + excluded.sy;

	SELECT tile_cells_refresh(array_agg(z), array_agg(col >> 4), array_agg(row >> 4), array_agg(col & 15), array_agg(row & 15))
	FROM (
		SELECT DISTINCT z, mercator_col(d.x, z + 4) AS col, mercator_row(d.y, z + 4) AS row
		FROM unnest(xs, ys) AS d(x, y)
		CROSS JOIN generate_series(0, 11) AS z
	) cells
	HAVING count(*) > 0;
$$;
