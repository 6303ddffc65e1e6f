-- Cluster cells kept whole (issue 14).
--
-- tile_cells holds, per cell of tile_clusters' grid, what an unfiltered
-- cluster tile shows: the count and coordinate sums of the cell's
-- published actors, its "sectors" and "sets" strings and its layer (its
-- most numerous sector), computed as the cluster tile query of 0011 did
-- at every read. tile_clusters_add rewrites the cells it touches, so an
-- unfiltered cluster tile is one index-only scan without regrouping; a
-- tile filtered by sectors still regroups tile_clusters.

CREATE TABLE tile_cells (
	z       smallint NOT NULL,
	tx      integer NOT NULL,
	ty      integer NOT NULL,
	cx      smallint NOT NULL,
	cy      smallint NOT NULL,
	n       integer NOT NULL, -- 0: an empty cell left over by moves
	sx      double precision NOT NULL,
	sy      double precision NOT NULL,
	sectors text,             -- "slug:n" per sector, most numerous first, then by sector position
	sets    text,             -- "slug+slug:n" per sector set, when some actor has several sectors
	layer   text COLLATE "C", -- the first slug of sectors
	PRIMARY KEY (z, tx, ty, cx, cy) INCLUDE (n, sx, sy, sectors, sets, layer)
);

-- tile_cells_refresh rewrites the cells (zs[i], txs[i], tys[i], cxs[i],
-- cys[i]) from tile_clusters.
CREATE FUNCTION tile_cells_refresh(zs int[], txs int[], tys int[], cxs int[], cys int[]) RETURNS void
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
		SELECT c.z, c.tx, c.ty, c.cx, c.cy, sum(c.n)::integer AS n, sum(c.sx) AS sx, sum(c.sy) AS sy,
			CASE WHEN bool_or(cardinality(c.sectors) > 1)
				THEN string_agg(array_to_string(c.sectors, '+') || ':' || c.n, ';' ORDER BY c.n DESC, array_to_string(c.sectors, '+') COLLATE "C") END AS sets
		FROM c
		GROUP BY c.z, c.tx, c.ty, c.cx, c.cy)
	INSERT INTO tile_cells AS t (z, tx, ty, cx, cy, n, sx, sy, sectors, sets, layer)
	SELECT k.z, k.tx, k.ty, k.cx, k.cy, coalesce(m.n, 0), coalesce(m.sx, 0), coalesce(m.sy, 0),
		b.sectors, m.sets, split_part(b.sectors, ':', 1)
	FROM k
		LEFT JOIN cells m ON m.z = k.z AND m.tx = k.tx AND m.ty = k.ty AND m.cx = k.cx AND m.cy = k.cy
		LEFT JOIN bysector b ON b.z = k.z AND b.tx = k.tx AND b.ty = k.ty AND b.cx = k.cx AND b.cy = k.cy
	ON CONFLICT (z, tx, ty, cx, cy) DO UPDATE
		SET n = excluded.n, sx = excluded.sx, sy = excluded.sy, sectors = excluded.sectors,
			sets = excluded.sets, layer = excluded.layer
$$;

-- tile_clusters_add (0011) now also rewrites the cells it changed.
CREATE OR REPLACE FUNCTION tile_clusters_add(sets text[], xs float8[], ys float8[], signs int[]) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO tile_clusters AS t (z, tx, ty, cx, cy, sectors, n, sx, sy)
	SELECT z, col >> 4, row >> 4, col & 15, row & 15, string_to_array(set, ','), sum(sign), sum(sign * x), sum(sign * y)
	FROM (
		SELECT z, d.set, d.sign, d.x, d.y,
			least(greatest(floor((d.x + 20037508.342789244) * (1 << (z + 4)) / 40075016.685578488)::int, 0), (1 << (z + 4)) - 1) AS col,
			least(greatest(floor((20037508.342789244 - d.y) * (1 << (z + 4)) / 40075016.685578488)::int, 0), (1 << (z + 4)) - 1) AS row
		FROM unnest(sets, xs, ys, signs) AS d(set, x, y, sign)
		CROSS JOIN generate_series(0, 11) AS z
	) cells
	GROUP BY z, col, row, set
	ON CONFLICT (z, tx, ty, cx, cy, sectors) DO UPDATE
		SET n = t.n + excluded.n, sx = t.sx + excluded.sx, sy = t.sy + excluded.sy;

	SELECT tile_cells_refresh(array_agg(z), array_agg(col >> 4), array_agg(row >> 4), array_agg(col & 15), array_agg(row & 15))
	FROM (
		SELECT DISTINCT z,
			least(greatest(floor((d.x + 20037508.342789244) * (1 << (z + 4)) / 40075016.685578488)::int, 0), (1 << (z + 4)) - 1) AS col,
			least(greatest(floor((20037508.342789244 - d.y) * (1 << (z + 4)) / 40075016.685578488)::int, 0), (1 << (z + 4)) - 1) AS row
		FROM unnest(xs, ys) AS d(x, y)
		CROSS JOIN generate_series(0, 11) AS z
	) cells
	HAVING count(*) > 0;
$$;

SELECT tile_cells_refresh(array_agg(z), array_agg(tx), array_agg(ty), array_agg(cx), array_agg(cy))
FROM (SELECT DISTINCT z, tx, ty, cx, cy FROM tile_clusters) k
HAVING count(*) > 0;

-- A sector moved in the order (or renamed): the cells of its actors list
-- their sectors in the new order. The sets of actors with several sectors
-- are rewritten by the actors' triggers (0011), which refresh their cells
-- again when the changes are applied.
CREATE FUNCTION tile_cells_sectors_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM tile_cells_refresh(array_agg(z), array_agg(tx), array_agg(ty), array_agg(cx), array_agg(cy))
	FROM (
		SELECT DISTINCT c.z, c.tx, c.ty, c.cx, c.cy
		FROM tile_clusters c
		WHERE c.n > 0 AND c.sectors && ARRAY(
			SELECT slug FROM (SELECT slug, position FROM new_rows EXCEPT SELECT slug, position FROM old_rows) moved)
	) k
	HAVING count(*) > 0;
	RETURN NULL;
END
$$;

CREATE TRIGGER tile_cells_sectors_moved AFTER UPDATE ON sectors
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_cells_sectors_moved();
