-- The history of the directory: an append-only audit_log of every change
-- of an actor (its row and its sectors), a workshop or an annotation,
-- whoever makes it: the API, an import, the geocoder, moderation. Triggers write it, so that no path
-- can forget; who and through which route come from the session settings
-- maillage.who and maillage.route, which the server sets on the
-- connection of each audited request (postgis.WithAudit), and are
-- 'system' and '' otherwise.
--
-- The server's role (maillage_app) may only read and append: its UPDATE
-- and DELETE rights are revoked by EnsureAppRole, and a trigger refuses
-- them from anyone but the table's owner. maillage.audit = 'off' (a
-- setting of the transaction) skips the trail: only the import benchmark
-- uses it, to measure its cost.

CREATE TABLE audit_log (
	id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at        timestamptz NOT NULL DEFAULT now(),
	txid      bigint NOT NULL DEFAULT txid_current(),
	who       text NOT NULL,                  -- 'user:EMAIL', 'token:NAME', 'system'
	route     text NOT NULL,                  -- 'PATCH /api/actors/:id', 'import', 'geocoding', ...
	entity    text NOT NULL,                  -- 'actor', 'workshop', 'annotation'
	entity_id bigint NOT NULL,
	action    text NOT NULL CHECK (action IN ('create', 'update', 'delete', 'sectors')),
	before    jsonb,                          -- changed fields before (the whole row on delete)
	after     jsonb                           -- changed fields after (the whole row on create)
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);

-- audit_rows is the trigger of every audited table, statement-level on
-- the transition tables (an import's batch of a thousand rows is one
-- INSERT into audit_log, not a thousand). Its arguments: the entity's
-- name, then the columns the history leaves out (derived ones,
-- bookkeeping, timestamps, secrets). Points and shapes are GeoJSON.
CREATE FUNCTION audit_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	w text := coalesce(nullif(current_setting('maillage.who', true), ''), 'system');
	r text := coalesce(current_setting('maillage.route', true), '');
	state text; -- the expression of a row x as jsonb
BEGIN
	IF current_setting('maillage.audit', true) = 'off' THEN
		RETURN NULL;
	END IF;
	-- jsonb_build_object of the columns kept: to_jsonb(row) would cast
	-- geometries through PostGIS's json cast, thirty times slower.
	SELECT 'jsonb_build_object(' || string_agg(format('%L, %s', a.attname,
			CASE WHEN t.typname IN ('geometry', 'geography') THEN format('ST_AsGeoJSON(x.%I)::jsonb', a.attname)
			ELSE format('x.%I', a.attname) END), ', ' ORDER BY a.attnum) || ')'
	INTO state
	FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
	WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped
		AND a.attname <> ALL (TG_ARGV[1:TG_NARGS - 1]);
	IF TG_OP = 'INSERT' THEN
		EXECUTE format('INSERT INTO audit_log (who, route, entity, entity_id, action, after)
			SELECT $1, $2, $3, x.id, ''create'', %s FROM new_rows x', state)
		USING w, r, TG_ARGV[0];
	ELSIF TG_OP = 'DELETE' THEN
		EXECUTE format('INSERT INTO audit_log (who, route, entity, entity_id, action, before)
			SELECT $1, $2, $3, x.id, ''delete'', %s FROM old_rows x', state)
		USING w, r, TG_ARGV[0];
	ELSE
		EXECUTE format('INSERT INTO audit_log (who, route, entity, entity_id, action, before, after)
			SELECT $1, $2, $3, n.id, ''update'', ch.b, ch.a
			FROM (SELECT x.id, %1$s AS j FROM new_rows x) n
			JOIN (SELECT x.id, %1$s AS j FROM old_rows x) o ON o.id = n.id
			CROSS JOIN LATERAL (
				SELECT jsonb_object_agg(ne.key, oe.value) AS b, jsonb_object_agg(ne.key, ne.value) AS a
				FROM jsonb_each(n.j) ne JOIN jsonb_each(o.j) oe ON oe.key = ne.key
				WHERE ne.value IS DISTINCT FROM oe.value
			) ch
			WHERE ch.a IS NOT NULL', state)
		USING w, r, TG_ARGV[0];
	END IF;
	RETURN NULL;
END
$$;

-- Actors: not the 3857 point, geocoding's bookkeeping, the timestamps nor
-- sector_slugs (0011), derived from actor_sectors, whose own triggers below
-- record the sectors.
CREATE TRIGGER audit_actors_insert AFTER INSERT ON actors
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
	EXECUTE FUNCTION audit_rows('actor', 'location_3857', 'created_at', 'updated_at',
		'geocode_attempts', 'geocode_next_attempt', 'geocode_candidates', 'sector_slugs');
CREATE TRIGGER audit_actors_update AFTER UPDATE ON actors
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
	EXECUTE FUNCTION audit_rows('actor', 'location_3857', 'created_at', 'updated_at',
		'geocode_attempts', 'geocode_next_attempt', 'geocode_candidates', 'sector_slugs');
CREATE TRIGGER audit_actors_delete AFTER DELETE ON actors
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
	EXECUTE FUNCTION audit_rows('actor', 'location_3857', 'created_at', 'updated_at',
		'geocode_attempts', 'geocode_next_attempt', 'geocode_candidates', 'sector_slugs');

-- Workshops and their annotations (workshop moderation: hiding,
-- pinning, editing); not the animator's secret nor the pushed view.
CREATE TRIGGER audit_workshops_insert AFTER INSERT ON workshops
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
	EXECUTE FUNCTION audit_rows('workshop', 'animator_hash', 'view_lon', 'view_lat', 'view_zoom', 'created_at', 'updated_at');
CREATE TRIGGER audit_workshops_update AFTER UPDATE ON workshops
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
	EXECUTE FUNCTION audit_rows('workshop', 'animator_hash', 'view_lon', 'view_lat', 'view_zoom', 'created_at', 'updated_at');
CREATE TRIGGER audit_workshops_delete AFTER DELETE ON workshops
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
	EXECUTE FUNCTION audit_rows('workshop', 'animator_hash', 'view_lon', 'view_lat', 'view_zoom', 'created_at', 'updated_at');
CREATE TRIGGER audit_annotations_insert AFTER INSERT ON annotations
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
	EXECUTE FUNCTION audit_rows('annotation', 'created_at', 'updated_at');
CREATE TRIGGER audit_annotations_update AFTER UPDATE ON annotations
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
	EXECUTE FUNCTION audit_rows('annotation', 'created_at', 'updated_at');
CREATE TRIGGER audit_annotations_delete AFTER DELETE ON annotations
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
	EXECUTE FUNCTION audit_rows('annotation', 'created_at', 'updated_at');

-- Sectors: one row per actor and statement, with the lists before and
-- after (by slug).
CREATE FUNCTION audit_actor_sectors() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF current_setting('maillage.audit', true) = 'off' THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'INSERT' THEN
		INSERT INTO audit_log (who, route, entity, entity_id, action, before, after)
		SELECT coalesce(nullif(current_setting('maillage.who', true), ''), 'system'),
			coalesce(current_setting('maillage.route', true), ''), 'actor', ch.actor_id, 'sectors',
			jsonb_build_object('sectors', coalesce((
				SELECT jsonb_agg(s.sector_slug ORDER BY s.sector_slug) FROM actor_sectors s
				WHERE s.actor_id = ch.actor_id AND s.sector_slug <> ALL (ch.slugs)), '[]')),
			jsonb_build_object('sectors', coalesce((
				SELECT jsonb_agg(s.sector_slug ORDER BY s.sector_slug) FROM actor_sectors s
				WHERE s.actor_id = ch.actor_id), '[]'))
		FROM (SELECT actor_id, array_agg(sector_slug) AS slugs FROM new_rows GROUP BY actor_id) ch;
	ELSE
		INSERT INTO audit_log (who, route, entity, entity_id, action, before, after)
		SELECT coalesce(nullif(current_setting('maillage.who', true), ''), 'system'),
			coalesce(current_setting('maillage.route', true), ''), 'actor', ch.actor_id, 'sectors',
			jsonb_build_object('sectors', (
				SELECT jsonb_agg(x ORDER BY x) FROM (
					SELECT s.sector_slug AS x FROM actor_sectors s WHERE s.actor_id = ch.actor_id
					UNION SELECT unnest(ch.slugs)) u)),
			jsonb_build_object('sectors', coalesce((
				SELECT jsonb_agg(s.sector_slug ORDER BY s.sector_slug) FROM actor_sectors s
				WHERE s.actor_id = ch.actor_id), '[]'))
		FROM (SELECT actor_id, array_agg(sector_slug) AS slugs FROM old_rows GROUP BY actor_id) ch
		-- An actor deleted takes its sectors along: its 'delete' row says it.
		WHERE EXISTS (SELECT 1 FROM actors a WHERE a.id = ch.actor_id);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER audit_actor_sectors_insert AFTER INSERT ON actor_sectors
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_actor_sectors();
CREATE TRIGGER audit_actor_sectors_delete AFTER DELETE ON actor_sectors
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_actor_sectors();

-- Append-only, even for a role that was granted more by mistake: only
-- the owner of the table (migrations) may change or remove rows.
CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF current_user <> (SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'audit_log') THEN
		RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
