-- Vector tiles and nearby search.
--
-- * actors.location_3857: the point in web mercator, the tiles' projection,
--   so that tile queries do not transform every point.
-- * tile_clusters: per zoom 0 to 11, per sector, the number of published
--   actors in each cell of a 16 x 16 grid over every tile and the sums of
--   their coordinates, so that a low-zoom tile reads at most 256 cells per
--   sector instead of every point. Kept exact by the triggers below.
-- * tile_data_version: a number that grows with every write the tiles
--   show; each change is announced on the channel maillage_tiles with the
--   new version as payload (LISTEN/NOTIFY), so that every server drops its
--   tile cache.
-- * Writes do not touch tile_clusters nor the version row directly: their
--   triggers queue the changes in tile_changes, and a deferred trigger
--   applies them once, at commit. A transaction that writes thousands of
--   actors (an import) would otherwise update the same low-zoom cells and
--   the version row thousands of times, and PostgreSQL walks the chain of
--   a row's versions made by one transaction on every update.

ALTER TABLE actors ADD COLUMN location_3857 geometry(Point, 3857)
	GENERATED ALWAYS AS (ST_Transform(location, 3857)) STORED;

CREATE INDEX actors_location_3857 ON actors USING gist (location_3857) WHERE status = 'published';
-- Nearest published actors: KNN (<->) on the sphere, in metres.
CREATE INDEX actors_location_geography ON actors USING gist ((location::geography)) WHERE status = 'published';

CREATE TABLE tile_clusters (
	z           smallint NOT NULL,
	tx          integer NOT NULL,  -- tile column at zoom z
	ty          integer NOT NULL,  -- tile row at zoom z
	sector_slug text NOT NULL,
	cx          smallint NOT NULL, -- cell column in the tile, 0 to 15
	cy          smallint NOT NULL, -- cell row in the tile, 0 to 15
	n           integer NOT NULL,  -- published actors of the sector in the cell; 0 rows are left over by moves
	sx          double precision NOT NULL, -- sums of their web-mercator x and y
	sy          double precision NOT NULL,
	PRIMARY KEY (z, tx, ty, sector_slug, cx, cy)
);

-- The row types of tile features: the columns are the MVT properties.
CREATE TYPE tile_cluster AS (count integer, geom geometry);
CREATE TYPE tile_actor AS (fid bigint, id bigint, name text, sector text, kind text, geom geometry);

-- tile_clusters_add adds sign (+1 or -1) times each point (x, y, in EPSG:3857)
-- of sector slugs[i] to the cells of zooms 0 to 11.
CREATE FUNCTION tile_clusters_add(slugs text[], xs float8[], ys float8[], signs int[]) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO tile_clusters AS t (z, tx, ty, sector_slug, cx, cy, n, sx, sy)
	SELECT z, col >> 4, row >> 4, slug, col & 15, row & 15, sum(sign), sum(sign * x), sum(sign * y)
	FROM (
		SELECT z, d.slug, d.sign, d.x, d.y,
			least(greatest(floor((d.x + 20037508.342789244) * (1 << (z + 4)) / 40075016.685578488)::int, 0), (1 << (z + 4)) - 1) AS col,
			least(greatest(floor((20037508.342789244 - d.y) * (1 << (z + 4)) / 40075016.685578488)::int, 0), (1 << (z + 4)) - 1) AS row
		FROM unnest(slugs, xs, ys, signs) AS d(slug, x, y, sign)
		CROSS JOIN generate_series(0, 11) AS z
	) cells
	GROUP BY z, col, row, slug
	ON CONFLICT (z, tx, ty, sector_slug, cx, cy) DO UPDATE
		SET n = t.n + excluded.n, sx = t.sx + excluded.sx, sy = t.sy + excluded.sy
$$;

CREATE TABLE tile_data_version (
	only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
	version  bigint NOT NULL
);
INSERT INTO tile_data_version (version) VALUES (1);

-- tile_data_changed moves the version on and announces it.
CREATE FUNCTION tile_data_changed() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v bigint;
BEGIN
	UPDATE tile_data_version SET version = version + 1 RETURNING version INTO v;
	PERFORM pg_notify('maillage_tiles', v::text);
END
$$;

-- Changes of the tiles waiting for the end of their transaction: points
-- to add to (sign 1) or take from (sign -1) the clusters, or nothing but
-- the fact that something the tiles show changed.
CREATE TABLE tile_changes (
	slugs text[] NOT NULL,
	xs    float8[] NOT NULL,
	ys    float8[] NOT NULL,
	signs int[] NOT NULL
);

-- tile_changes_queue records a change for the end of the transaction.
CREATE FUNCTION tile_changes_queue(slugs text[], xs float8[], ys float8[], signs int[]) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO tile_changes VALUES (coalesce(slugs, '{}'), coalesce(xs, '{}'), coalesce(ys, '{}'), coalesce(signs, '{}'))
$$;

-- tile_changes_apply applies the transaction's queued changes at commit,
-- once: the first of its deferred calls does the work, the others see the
-- transaction's mark and return.
CREATE FUNCTION tile_changes_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF current_setting('maillage.tile_changes_applied', true) = txid_current()::text THEN
		RETURN NULL;
	END IF;
	PERFORM set_config('maillage.tile_changes_applied', txid_current()::text, true);
	PERFORM tile_clusters_add(array_agg(d.slug), array_agg(d.x), array_agg(d.y), array_agg(d.sign))
	FROM tile_changes c, unnest(c.slugs, c.xs, c.ys, c.signs) AS d(slug, x, y, sign)
	HAVING count(*) > 0;
	DELETE FROM tile_changes;
	PERFORM tile_data_changed();
	RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER tile_changes_apply AFTER INSERT ON tile_changes
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tile_changes_apply();

-- Sectors given to or taken from actors.
CREATE FUNCTION actor_sectors_tiles() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('DELETE', 'UPDATE') THEN
		IF NOT EXISTS (SELECT FROM old_rows) THEN
			RETURN NULL;
		END IF;
		-- An actor deleted with its sectors is not found here: the BEFORE
		-- DELETE trigger on actors took it out.
		PERFORM tile_changes_queue(array_agg(o.sector_slug), array_agg(ST_X(a.location_3857)),
			array_agg(ST_Y(a.location_3857)), array_agg(-1))
		FROM old_rows o JOIN actors a ON a.id = o.actor_id
		WHERE a.status = 'published' AND a.location_3857 IS NOT NULL;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		IF NOT EXISTS (SELECT FROM new_rows) THEN
			RETURN NULL;
		END IF;
		PERFORM tile_changes_queue(array_agg(n.sector_slug), array_agg(ST_X(a.location_3857)),
			array_agg(ST_Y(a.location_3857)), array_agg(1))
		FROM new_rows n JOIN actors a ON a.id = n.actor_id
		WHERE a.status = 'published' AND a.location_3857 IS NOT NULL;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER actor_sectors_tiles_insert AFTER INSERT ON actor_sectors
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION actor_sectors_tiles();
CREATE TRIGGER actor_sectors_tiles_update AFTER UPDATE ON actor_sectors
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION actor_sectors_tiles();
CREATE TRIGGER actor_sectors_tiles_delete AFTER DELETE ON actor_sectors
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION actor_sectors_tiles();

-- Actors moved, published or unpublished; any change of what a tile shows
-- (name, kind) moves the version.
CREATE FUNCTION actors_tiles_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM new_rows) THEN
		RETURN NULL;
	END IF;
	PERFORM tile_changes_queue(array_agg(d.sector_slug), array_agg(d.x), array_agg(d.y), array_agg(d.sign))
	FROM (
		SELECT s.sector_slug, ST_X(o.location_3857) AS x, ST_Y(o.location_3857) AS y, -1 AS sign
		FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN actor_sectors s ON s.actor_id = o.id
		WHERE o.status = 'published' AND o.location_3857 IS NOT NULL
			AND (o.status, o.location_3857) IS DISTINCT FROM (n.status, n.location_3857)
		UNION ALL
		SELECT s.sector_slug, ST_X(n.location_3857), ST_Y(n.location_3857), 1
		FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN actor_sectors s ON s.actor_id = n.id
		WHERE n.status = 'published' AND n.location_3857 IS NOT NULL
			AND (o.status, o.location_3857) IS DISTINCT FROM (n.status, n.location_3857)
	) d;
	RETURN NULL;
END
$$;

CREATE TRIGGER actors_tiles_update AFTER UPDATE ON actors
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION actors_tiles_update();

-- A deleted actor leaves the cells while its sectors can still be read.
CREATE FUNCTION actors_tiles_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.status = 'published' AND OLD.location_3857 IS NOT NULL THEN
		PERFORM tile_changes_queue(array_agg(s.sector_slug), array_agg(ST_X(OLD.location_3857)),
			array_agg(ST_Y(OLD.location_3857)), array_agg(-1))
		FROM actor_sectors s WHERE s.actor_id = OLD.id;
	END IF;
	RETURN OLD;
END
$$;

CREATE TRIGGER actors_tiles_delete BEFORE DELETE ON actors
	FOR EACH ROW EXECUTE FUNCTION actors_tiles_delete();

-- The sector list is the tiles' list of layers.
CREATE FUNCTION sectors_tiles() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM tile_changes_queue(NULL, NULL, NULL, NULL);
	RETURN NULL;
END
$$;

CREATE TRIGGER sectors_tiles AFTER INSERT OR UPDATE OR DELETE ON sectors
	FOR EACH STATEMENT EXECUTE FUNCTION sectors_tiles();

-- Emptying actors or their sectors empties the clusters.
CREATE FUNCTION tiles_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM tile_clusters;
	DELETE FROM tile_changes;
	PERFORM tile_data_changed();
	RETURN NULL;
END
$$;

CREATE TRIGGER actors_tiles_truncate AFTER TRUNCATE ON actors
	FOR EACH STATEMENT EXECUTE FUNCTION tiles_truncated();
CREATE TRIGGER actor_sectors_tiles_truncate AFTER TRUNCATE ON actor_sectors
	FOR EACH STATEMENT EXECUTE FUNCTION tiles_truncated();
