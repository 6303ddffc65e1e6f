-- The nearest published actor of a sector, for coverage.
--
-- Coverage asks, for each commune, how far the nearest published located
-- actor of a sector is. A KNN scan of actors_location_geography that
-- filters on actor_sectors visits every actor of the other sectors on the
-- way: at 1.5 M actors, about 10 ms a commune whatever the sector. Here
-- each published located actor has one row per sector, and the GiST index
-- keyed by (sector_slug, location) answers "the nearest of this sector"
-- directly (btree_gist gives text its GiST operator class).
--
-- Kept by triggers: rows of actor_sectors come and go with their sector
-- rows (the foreign key cascades deletes and sector renames), and actors
-- published, unpublished or moved are taken out and put back.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE sector_points (
	actor_id    bigint NOT NULL,
	sector_slug text NOT NULL,
	location    geometry(Point, 4326) NOT NULL
);

-- Filled before its key, foreign key and index exist: one join and one
-- index build instead of a check and an index insertion per row.
INSERT INTO sector_points (actor_id, sector_slug, location)
SELECT s.actor_id, s.sector_slug, a.location
FROM actor_sectors s JOIN actors a ON a.id = s.actor_id
WHERE a.status = 'published' AND a.location IS NOT NULL;

ALTER TABLE sector_points ADD PRIMARY KEY (actor_id, sector_slug),
	ADD FOREIGN KEY (actor_id, sector_slug) REFERENCES actor_sectors (actor_id, sector_slug)
		ON DELETE CASCADE ON UPDATE CASCADE;

CREATE INDEX sector_points_nearest ON sector_points USING gist (sector_slug, (location::geography));

-- Sectors given to actors.
CREATE FUNCTION sector_points_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO sector_points (actor_id, sector_slug, location)
	SELECT n.actor_id, n.sector_slug, a.location
	FROM new_rows n JOIN actors a ON a.id = n.actor_id
	WHERE a.status = 'published' AND a.location IS NOT NULL;
	RETURN NULL;
END
$$;

CREATE TRIGGER sector_points_insert AFTER INSERT ON actor_sectors
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sector_points_insert();

-- Actors published, unpublished or moved.
CREATE FUNCTION sector_points_actors() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM sector_points p
	USING old_rows o JOIN new_rows n ON n.id = o.id
	WHERE p.actor_id = n.id AND (o.status, o.location) IS DISTINCT FROM (n.status, n.location);
	INSERT INTO sector_points (actor_id, sector_slug, location)
	SELECT n.id, s.sector_slug, n.location
	FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN actor_sectors s ON s.actor_id = n.id
	WHERE (o.status, o.location) IS DISTINCT FROM (n.status, n.location)
		AND n.status = 'published' AND n.location IS NOT NULL;
	RETURN NULL;
END
$$;

CREATE TRIGGER sector_points_actors AFTER UPDATE ON actors
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sector_points_actors();
