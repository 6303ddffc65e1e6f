-- The coverage of communes, stored and refreshed in the background.
--
-- Computing coverage live (CoverageSQL in geo/postgis/coverage.go) runs one
-- nearest-actor search per commune on the shared index of every actor;
-- at 1.5 M actors that is seconds for a département and many minutes for
-- France. These tables hold the figures once computed, per sector, so that
-- a union of sectors is exact:
--
-- * coverage_nearest: per sector and commune (with a reference point), the
--   distance in metres to the nearest published actor of the sector and
--   that actor. The nearest over a union of sectors is the smallest of its
--   sectors'. Sector '' stands for the actors with no sector, so that the
--   nearest over every actor is the smallest of all rows.
-- * coverage_counts: per commune, the published actors placed in it,
--   grouped by their set of sectors (actors.sector_slugs). Over a union U
--   the count is the sum of n where sector_slugs && U; over every actor,
--   the sum of all.
-- * coverage_state: per sector ('' included), when its figures were last
--   computed and the data version (tile_data_version) they reflect.
-- * coverage_dirty: sectors whose actors changed since, filled by the
--   statement-level triggers below in the writing transaction; '*' means
--   everything (territories changed). coverage_pending: sectors a refresh
--   took from coverage_dirty and has not finished yet.
--
-- The stored figures of a set of sectors are current when none of them
-- (nor '*') is dirty or pending and each has a state row; otherwise the
-- server computes them live. A refresh moves the dirty rows to pending in
-- a short transaction, computes from a later snapshot, then deletes the
-- pending rows with the last write: a change committed meanwhile has left
-- a dirty row of its own, so it is never taken for computed.

CREATE TABLE coverage_nearest (
	commune     text NOT NULL,
	sector_slug text NOT NULL,
	distance_m  double precision NOT NULL,
	actor_id    bigint NOT NULL,
	PRIMARY KEY (commune, sector_slug)
);

CREATE TABLE coverage_counts (
	commune      text NOT NULL,
	sector_slugs text[] NOT NULL,
	n            integer NOT NULL CHECK (n > 0),
	PRIMARY KEY (commune, sector_slugs)
);

CREATE TABLE coverage_state (
	sector_slug  text PRIMARY KEY,
	computed_at  timestamptz NOT NULL,
	data_version bigint NOT NULL
);

CREATE TABLE coverage_dirty (
	sector_slug text PRIMARY KEY
);

CREATE TABLE coverage_pending (
	sector_slug text PRIMARY KEY
);

-- Nothing computed yet: everything is to compute.
INSERT INTO coverage_dirty VALUES ('*');

-- coverage_mark records that the figures of sectors changed (see
-- coverage_slugs). A row already there is left as it is, so a
-- large import writes each sector's row once.
CREATE FUNCTION coverage_mark(slugs text[]) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO coverage_dirty (sector_slug)
	SELECT DISTINCT s FROM unnest(slugs) AS s
	ON CONFLICT (sector_slug) DO NOTHING
$$;

-- coverage_slugs is the sectors an actor counts in for coverage ('' when
-- it has none).
CREATE FUNCTION coverage_slugs(slugs text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN cardinality(slugs) > 0 THEN slugs ELSE '{""}'::text[] END
$$;

CREATE FUNCTION actors_coverage_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM coverage_mark(array_agg(DISTINCT s))
	FROM new_rows n, unnest(coverage_slugs(n.sector_slugs)) AS s
	WHERE n.status = 'published'
	HAVING count(*) > 0;
	RETURN NULL;
END
$$;

CREATE TRIGGER actors_coverage_insert AFTER INSERT ON actors
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION actors_coverage_insert();

-- Published, unpublished, moved or given other sectors: the sectors before
-- and after. A new placement is seen by the trigger of actor_places.
CREATE FUNCTION actors_coverage_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM coverage_mark(array_agg(DISTINCT s))
	FROM old_rows o JOIN new_rows n ON n.id = o.id,
		unnest(CASE WHEN o.status = 'published' THEN coverage_slugs(o.sector_slugs) ELSE '{}' END
			|| CASE WHEN n.status = 'published' THEN coverage_slugs(n.sector_slugs) ELSE '{}' END) AS s
	WHERE (o.status, o.location, o.sector_slugs) IS DISTINCT FROM (n.status, n.location, n.sector_slugs)
	HAVING count(*) > 0;
	RETURN NULL;
END
$$;

CREATE TRIGGER actors_coverage_update AFTER UPDATE ON actors
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION actors_coverage_update();

CREATE FUNCTION actors_coverage_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM coverage_mark(array_agg(DISTINCT s))
	FROM old_rows o, unnest(coverage_slugs(o.sector_slugs)) AS s
	WHERE o.status = 'published'
	HAVING count(*) > 0;
	RETURN NULL;
END
$$;

CREATE TRIGGER actors_coverage_delete AFTER DELETE ON actors
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION actors_coverage_delete();

-- An actor placed in another commune (or in none).
CREATE FUNCTION actor_places_coverage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM coverage_mark(array_agg(DISTINCT s))
	FROM changed_rows p JOIN actors a ON a.id = p.actor_id, unnest(coverage_slugs(a.sector_slugs)) AS s
	WHERE a.status = 'published'
	HAVING count(*) > 0;
	RETURN NULL;
END
$$;

CREATE TRIGGER actor_places_coverage_insert AFTER INSERT ON actor_places
	REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION actor_places_coverage();
CREATE TRIGGER actor_places_coverage_update AFTER UPDATE ON actor_places
	REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION actor_places_coverage();
CREATE TRIGGER actor_places_coverage_delete AFTER DELETE ON actor_places
	REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION actor_places_coverage();

-- Territories changed: reference points, populations and placements may
-- all have moved. Actors or placements truncated: everything went.
CREATE FUNCTION coverage_mark_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM coverage_mark('{*}');
	RETURN NULL;
END
$$;

CREATE TRIGGER territories_coverage AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON territories
	FOR EACH STATEMENT EXECUTE FUNCTION coverage_mark_all();
CREATE TRIGGER actors_coverage_truncate AFTER TRUNCATE ON actors
	FOR EACH STATEMENT EXECUTE FUNCTION coverage_mark_all();
CREATE TRIGGER actor_places_coverage_truncate AFTER TRUNCATE ON actor_places
	FOR EACH STATEMENT EXECUTE FUNCTION coverage_mark_all();

-- The published actors with no sector, few or none, for sector ''.
CREATE INDEX actors_without_sector ON actors (id) WHERE status = 'published' AND cardinality(sector_slugs) = 0;

-- The sources of published actors, which /api/coverage names: read by a
-- loose index scan (geo/postgis/sources.go) instead of every actor.
CREATE INDEX actors_published_source ON actors (source) WHERE status = 'published';
