-- Territories (communes, EPCI, départements, regions), the commune each
-- actor is counted in, and what the coverage of a territory needs.
--
-- * A commune has a polygon (from a GeoJSON file) and/or a point (from
--   the points file); its reference point, from which distances to actors
--   are measured, is ST_PointOnSurface of its polygon, else its point.
-- * EPCI and départements name their communes through communes.epci and
--   communes.departement; their polygon, when no file gives one, is the
--   union of their communes' (geom_source 'union').
-- * actor_places: the commune of each actor, by point in polygon, else by
--   the citycode of its geocoding, else by postcode. Kept by triggers on
--   actors, and recomputed when territories are imported.
-- * Any change of territories or of a placement moves tile_data_version
--   (0005_tiles.sql), so that the territory tiles and the coverage cached
--   by every server are dropped.

CREATE TABLE territories (
	level       text NOT NULL CHECK (level IN ('commune', 'epci', 'departement', 'region')),
	code        text NOT NULL CHECK (code <> ''),
	name        text NOT NULL DEFAULT '',
	population  integer CHECK (population >= 0),
	epci        text,     -- communes: their EPCI
	departement text,     -- communes: their département
	region      text,     -- communes and départements: their region
	postcodes   text[],   -- communes; NULL: unknown
	geom        geometry(MultiPolygon, 4326),
	geom_source text NOT NULL DEFAULT '' CHECK (geom_source IN ('', 'file', 'union')),
	point       geometry(Point, 4326),
	ref_point   geometry(Point, 4326) GENERATED ALWAYS AS (coalesce(ST_PointOnSurface(geom), point)) STORED,
	geom_3857   geometry(MultiPolygon, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
	updated_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (level, code)
);

CREATE INDEX territories_geom ON territories USING gist (geom) WHERE level = 'commune';
CREATE INDEX territories_geom_3857 ON territories USING gist (geom_3857);
CREATE INDEX territories_label_3857 ON territories USING gist (ST_Transform(ref_point, 3857));
CREATE INDEX territories_postcodes ON territories USING gin (postcodes) WHERE level = 'commune';
CREATE INDEX territories_epci ON territories (epci) WHERE level = 'commune';
CREATE INDEX territories_departement ON territories (departement) WHERE level = 'commune';
CREATE INDEX territories_region ON territories (region);
CREATE INDEX territories_name ON territories USING gin (maillage_fold(name) gin_trgm_ops);

CREATE TABLE actor_places (
	actor_id bigint PRIMARY KEY REFERENCES actors (id) ON DELETE CASCADE,
	commune  text NOT NULL,
	method   text NOT NULL CHECK (method IN ('polygon', 'citycode', 'postcode'))
);
CREATE INDEX actor_places_commune ON actor_places (commune, actor_id);

-- actor_commune is the commune an actor at loc (may be NULL) with that
-- citycode, postcode and city is counted in: the commune whose polygon
-- holds the point (the smallest code on a shared border), else the commune
-- of the citycode, else the commune of the postcode (the one named like
-- the city, else the most populated); no row when none. A set-returning
-- SQL function of one SELECT, so that PostgreSQL inlines it into the
-- calling query instead of planning it again at every call.
CREATE FUNCTION actor_commune(loc geometry, citycode text, postcode text, city text)
RETURNS TABLE (commune text, method text)
LANGUAGE sql STABLE AS $$
	SELECT c.code, c.method FROM (
		(SELECT t.code, 'polygon' AS method, 1 AS rank FROM territories t
		 WHERE loc IS NOT NULL AND t.level = 'commune' AND ST_Intersects(t.geom, loc)
		 ORDER BY t.code LIMIT 1)
		UNION ALL
		(SELECT t.code, 'citycode', 2 FROM territories t
		 WHERE citycode <> '' AND t.level = 'commune' AND t.code = citycode)
		UNION ALL
		(SELECT t.code, 'postcode', 3 FROM territories t
		 WHERE postcode <> '' AND t.level = 'commune' AND t.postcodes @> ARRAY[postcode]
		 ORDER BY maillage_fold(t.name) = maillage_fold(coalesce(city, '')) DESC,
			t.population DESC NULLS LAST, t.code
		 LIMIT 1)
	) c
	ORDER BY c.rank
	LIMIT 1
$$;

-- territories_changed moves the data version at the end of the
-- transaction (tile_changes_apply).
CREATE FUNCTION territories_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM tile_changes_queue(NULL, NULL, NULL, NULL);
	RETURN NULL;
END
$$;

CREATE TRIGGER territories_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON territories
	FOR EACH STATEMENT EXECUTE FUNCTION territories_changed();

-- New actors are placed in their commune.
CREATE FUNCTION actors_place_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	INSERT INTO actor_places (actor_id, commune, method)
	SELECT a.id, p.commune, p.method
	FROM new_rows a, LATERAL actor_commune(a.location, a.citycode, a.postcode, a.city) p
	WHERE p.commune IS NOT NULL;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		PERFORM tile_changes_queue(NULL, NULL, NULL, NULL);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER actors_place_insert AFTER INSERT ON actors
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION actors_place_insert();

-- Actors moved or readdressed are placed again; a change of status moves
-- the data version (the coverage counts published actors).
CREATE FUNCTION actors_place_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	m bigint;
BEGIN
	WITH moved AS (
		SELECT n.id, p.commune, p.method
		FROM old_rows o JOIN new_rows n ON n.id = o.id
		LEFT JOIN LATERAL actor_commune(n.location, n.citycode, n.postcode, n.city) p ON true
		WHERE (o.location, o.citycode, o.postcode, o.city) IS DISTINCT FROM (n.location, n.citycode, n.postcode, n.city)
	), gone AS (
		DELETE FROM actor_places ap USING moved
		WHERE ap.actor_id = moved.id AND moved.commune IS NULL
		RETURNING 1
	), placed AS (
		INSERT INTO actor_places (actor_id, commune, method)
		SELECT id, commune, method FROM moved WHERE commune IS NOT NULL
		ON CONFLICT (actor_id) DO UPDATE SET commune = excluded.commune, method = excluded.method
			WHERE (actor_places.commune, actor_places.method) IS DISTINCT FROM (excluded.commune, excluded.method)
		RETURNING 1
	)
	SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM placed) INTO n;
	SELECT count(*) INTO m FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.status IS DISTINCT FROM n.status;
	IF n + m > 0 THEN
		PERFORM tile_changes_queue(NULL, NULL, NULL, NULL);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER actors_place_update AFTER UPDATE ON actors
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION actors_place_update();

-- place_all_actors places every actor again (after territories changed)
-- and returns how many placements changed.
CREATE FUNCTION place_all_actors() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	WITH placed AS (
		SELECT a.id, p.commune, p.method
		FROM actors a LEFT JOIN LATERAL actor_commune(a.location, a.citycode, a.postcode, a.city) p ON true
	), gone AS (
		DELETE FROM actor_places ap USING placed
		WHERE ap.actor_id = placed.id AND placed.commune IS NULL
		RETURNING 1
	), upserted AS (
		INSERT INTO actor_places (actor_id, commune, method)
		SELECT id, commune, method FROM placed WHERE commune IS NOT NULL
		ON CONFLICT (actor_id) DO UPDATE SET commune = excluded.commune, method = excluded.method
			WHERE (actor_places.commune, actor_places.method) IS DISTINCT FROM (excluded.commune, excluded.method)
		RETURNING 1
	)
	SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM upserted) INTO n;
	RETURN n;
END
$$;

-- Where territories come from, with the attribution their licence
-- requires (Licence Ouverte: the source and its date).
CREATE TABLE territory_sources (
	name        text PRIMARY KEY CHECK (name <> ''),
	attribution text NOT NULL CHECK (attribution <> '')
);
