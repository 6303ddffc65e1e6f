-- Cross-sector clusters (issue 14).
--
-- * actors.sector_slugs: each actor's sectors, its primary first (by
--   sector position, then slug), kept by triggers from actor_sectors and
--   sectors. Actor tiles read it instead of aggregating actor_sectors per
--   tile, and the clusters use it as the key of the actor's sector set.
-- * tile_clusters is keyed by sector set instead of sector: a cell holds
--   one row per distinct set of its actors' sectors, so an actor counts
--   once in its cell whatever its number of sectors, and a tile filtered
--   by sectors (any of the set in the filter) still counts each actor
--   once. The grid is that of 0005 (16 x 16 cells a tile, zooms 0 to 11).
-- * The clusters follow actors.sector_slugs: the actors' triggers queue
--   the old set at the old place out and the new set at the new place in
--   when the status, the location or the sectors change; actor_sectors no
--   longer touch the clusters themselves.

DROP TRIGGER actor_sectors_tiles_insert ON actor_sectors;
DROP TRIGGER actor_sectors_tiles_update ON actor_sectors;
DROP TRIGGER actor_sectors_tiles_delete ON actor_sectors;
DROP FUNCTION actor_sectors_tiles();
DROP TRIGGER actors_tiles_update ON actors;
DROP FUNCTION actors_tiles_update();
DROP TRIGGER actors_tiles_delete ON actors;
DROP FUNCTION actors_tiles_delete();

ALTER TABLE actors ADD COLUMN sector_slugs text[] NOT NULL DEFAULT '{}';

UPDATE actors a SET sector_slugs = s.slugs
FROM (
	SELECT s.actor_id, array_agg(s.sector_slug ORDER BY sec.position, s.sector_slug) AS slugs
	FROM actor_sectors s JOIN sectors sec ON sec.slug = s.sector_slug
	GROUP BY s.actor_id
) s
WHERE s.actor_id = a.id;

DROP TABLE tile_clusters;
DROP TYPE tile_cluster;

CREATE TABLE tile_clusters (
	z       smallint NOT NULL,
	tx      integer NOT NULL,  -- tile column at zoom z
	ty      integer NOT NULL,  -- tile row at zoom z
	cx      smallint NOT NULL, -- cell column in the tile, 0 to 15
	cy      smallint NOT NULL, -- cell row in the tile, 0 to 15
	sectors text[] NOT NULL,   -- the actors' sector set, as actors.sector_slugs
	n       integer NOT NULL,  -- published actors with exactly this set in the cell; 0 rows are left over by moves
	sx      double precision NOT NULL, -- sums of their web-mercator x and y
	sy      double precision NOT NULL,
	-- n, sx and sy in the leaves: a tile is an index-only scan (0006).
	PRIMARY KEY (z, tx, ty, cx, cy, sectors) INCLUDE (n, sx, sy)
);

-- The row type of cluster features: the columns are the MVT properties.
-- count: actors of the cluster; sectors: "slug:n" per sector, most
-- numerous first, joined by commas; sets: "slug+slug:n" per sector set,
-- joined by semicolons, only when some actor of the cluster has several
-- sectors (otherwise the sets are the sectors).
CREATE TYPE tile_cell AS (count integer, sectors text, sets text, geom geometry);

-- tile_clusters_add adds sign (+1 or -1) times each point (x, y, in
-- EPSG:3857) of sector set sets[i] (slugs joined by commas, in the order
-- of actors.sector_slugs) to the cells of zooms 0 to 11.
DROP FUNCTION tile_clusters_add(text[], float8[], float8[], int[]);
CREATE FUNCTION tile_clusters_add(sets text[], xs float8[], ys float8[], signs int[]) RETURNS void
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
		SET n = t.n + excluded.n, sx = t.sx + excluded.sx, sy = t.sy + excluded.sy
$$;

-- The queue of 0005 now holds sector sets (slugs joined by commas) where
-- it held sectors.
ALTER TABLE tile_changes RENAME COLUMN slugs TO sets;

CREATE OR REPLACE FUNCTION tile_changes_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF current_setting('maillage.tile_changes_applied', true) = txid_current()::text THEN
		RETURN NULL;
	END IF;
	PERFORM set_config('maillage.tile_changes_applied', txid_current()::text, true);
	PERFORM tile_clusters_add(array_agg(d.set), array_agg(d.x), array_agg(d.y), array_agg(d.sign))
	FROM tile_changes c, unnest(c.sets, c.xs, c.ys, c.signs) AS d(set, x, y, sign)
	HAVING count(*) > 0;
	DELETE FROM tile_changes;
	PERFORM tile_data_changed();
	RETURN NULL;
END
$$;

INSERT INTO tile_clusters (z, tx, ty, cx, cy, sectors, n, sx, sy)
SELECT z, col >> 4, row >> 4, col & 15, row & 15, sector_slugs, count(*), sum(x), sum(y)
FROM (
	SELECT z, a.sector_slugs, ST_X(a.location_3857) AS x, ST_Y(a.location_3857) AS y,
		least(greatest(floor((ST_X(a.location_3857) + 20037508.342789244) * (1 << (z + 4)) / 40075016.685578488)::int, 0), (1 << (z + 4)) - 1) AS col,
		least(greatest(floor((20037508.342789244 - ST_Y(a.location_3857)) * (1 << (z + 4)) / 40075016.685578488)::int, 0), (1 << (z + 4)) - 1) AS row
	FROM actors a CROSS JOIN generate_series(0, 11) AS z
	WHERE a.status = 'published' AND a.location_3857 IS NOT NULL AND cardinality(a.sector_slugs) > 0
) cells
GROUP BY z, col, row, sector_slugs;

-- actor_sector_slugs_refresh rewrites actors.sector_slugs of actors ids
-- from actor_sectors, where it changed.
CREATE FUNCTION actor_sector_slugs_refresh(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
	UPDATE actors a SET sector_slugs = x.slugs
	FROM (
		SELECT i.id, ARRAY(
			SELECT s.sector_slug FROM actor_sectors s JOIN sectors sec ON sec.slug = s.sector_slug
			WHERE s.actor_id = i.id ORDER BY sec.position, s.sector_slug) AS slugs
		FROM (SELECT DISTINCT unnest(ids) AS id) i
	) x
	WHERE a.id = x.id AND a.sector_slugs IS DISTINCT FROM x.slugs
$$;

CREATE FUNCTION actor_sector_slugs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM actor_sector_slugs_refresh(array_agg(actor_id)) FROM new_rows;
	RETURN NULL;
END
$$;

-- The same for deletions, whose trigger has no new rows.
CREATE FUNCTION actor_sector_slugs_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM actor_sector_slugs_refresh(array_agg(actor_id)) FROM old_rows;
	RETURN NULL;
END
$$;

CREATE TRIGGER actor_sector_slugs_insert AFTER INSERT ON actor_sectors
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION actor_sector_slugs();
CREATE TRIGGER actor_sector_slugs_update AFTER UPDATE ON actor_sectors
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION actor_sector_slugs();
CREATE TRIGGER actor_sector_slugs_delete AFTER DELETE ON actor_sectors
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION actor_sector_slugs_deleted();

-- A sector moved in the order, or renamed (its slug cascades into
-- actor_sectors, whose trigger rewrites the lists): the lists of its
-- actors are rewritten in the new order.
CREATE FUNCTION sectors_reordered() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM actor_sector_slugs_refresh(array_agg(actor_id))
	FROM actor_sectors
	WHERE sector_slug IN (SELECT slug FROM (SELECT slug, position FROM new_rows EXCEPT SELECT slug, position FROM old_rows) moved);
	RETURN NULL;
END
$$;

CREATE TRIGGER sectors_reordered AFTER UPDATE ON sectors
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sectors_reordered();

-- Actors added with their sectors (the sector triggers above set them on
-- rows already there).
CREATE FUNCTION actors_tiles_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM tile_changes_queue(array_agg(array_to_string(n.sector_slugs, ',')), array_agg(ST_X(n.location_3857)),
		array_agg(ST_Y(n.location_3857)), array_agg(1))
	FROM new_rows n
	WHERE n.status = 'published' AND n.location_3857 IS NOT NULL AND cardinality(n.sector_slugs) > 0
	HAVING count(*) > 0;
	RETURN NULL;
END
$$;

CREATE TRIGGER actors_tiles_insert AFTER INSERT ON actors
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION actors_tiles_insert();

-- Actors moved, published, unpublished or given other sectors; any change
-- of what a tile shows (name, kind) moves the version.
CREATE FUNCTION actors_tiles_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM new_rows) THEN
		RETURN NULL;
	END IF;
	PERFORM tile_changes_queue(array_agg(d.set), array_agg(d.x), array_agg(d.y), array_agg(d.sign))
	FROM (
		SELECT array_to_string(o.sector_slugs, ',') AS set, ST_X(o.location_3857) AS x, ST_Y(o.location_3857) AS y, -1 AS sign
		FROM old_rows o JOIN new_rows n ON n.id = o.id
		WHERE o.status = 'published' AND o.location_3857 IS NOT NULL AND cardinality(o.sector_slugs) > 0
			AND (o.status, o.location_3857, o.sector_slugs) IS DISTINCT FROM (n.status, n.location_3857, n.sector_slugs)
		UNION ALL
		SELECT array_to_string(n.sector_slugs, ','), ST_X(n.location_3857), ST_Y(n.location_3857), 1
		FROM old_rows o JOIN new_rows n ON n.id = o.id
		WHERE n.status = 'published' AND n.location_3857 IS NOT NULL AND cardinality(n.sector_slugs) > 0
			AND (o.status, o.location_3857, o.sector_slugs) IS DISTINCT FROM (n.status, n.location_3857, n.sector_slugs)
	) d;
	RETURN NULL;
END
$$;

CREATE TRIGGER actors_tiles_update AFTER UPDATE ON actors
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION actors_tiles_update();

-- A deleted actor leaves its cells (its sectors go after it, by cascade;
-- their trigger then finds no actor to rewrite).
CREATE FUNCTION actors_tiles_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.status = 'published' AND OLD.location_3857 IS NOT NULL AND cardinality(OLD.sector_slugs) > 0 THEN
		PERFORM tile_changes_queue(ARRAY[array_to_string(OLD.sector_slugs, ',')], ARRAY[ST_X(OLD.location_3857)],
			ARRAY[ST_Y(OLD.location_3857)], ARRAY[-1]);
	END IF;
	RETURN OLD;
END
$$;

CREATE TRIGGER actors_tiles_delete BEFORE DELETE ON actors
	FOR EACH ROW EXECUTE FUNCTION actors_tiles_delete();
