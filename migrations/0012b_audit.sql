-- The history of the directory: an append-only audit_log of every change
-- of an actor (its row and its sectors), whoever makes it: the API, an
-- import, the geocoder, moderation. Triggers write it, so that no path
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
	entity    text NOT NULL,                  -- 'actor'
	entity_id bigint NOT NULL,
	action    text NOT NULL CHECK (action IN ('create', 'update', 'delete', 'sectors')),
	before    jsonb,                          -- changed fields before (the whole row on delete)
	after     jsonb                           -- changed fields after (the whole row on create)
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);

-- The columns of an actor the history keeps: not the derived ones (the
-- 3857 point, geocoding's bookkeeping) nor the timestamps.
CREATE FUNCTION audit_actor_state(a actors) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT (to_jsonb(a) - ARRAY['location', 'location_3857', 'created_at', 'updated_at',
		'geocode_attempts', 'geocode_next_attempt', 'geocode_candidates'])
		|| jsonb_build_object('location', ST_AsGeoJSON(a.location)::jsonb)
$$;

CREATE FUNCTION audit_actors() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	o jsonb;
	n jsonb;
	b jsonb := '{}';
	f jsonb := '{}';
	k text;
BEGIN
	IF current_setting('maillage.audit', true) = 'off' THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'INSERT' THEN
		n := audit_actor_state(NEW);
		INSERT INTO audit_log (who, route, entity, entity_id, action, after)
		VALUES (coalesce(nullif(current_setting('maillage.who', true), ''), 'system'),
			coalesce(current_setting('maillage.route', true), ''), 'actor', NEW.id, 'create', n);
	ELSIF TG_OP = 'DELETE' THEN
		o := audit_actor_state(OLD);
		INSERT INTO audit_log (who, route, entity, entity_id, action, before)
		VALUES (coalesce(nullif(current_setting('maillage.who', true), ''), 'system'),
			coalesce(current_setting('maillage.route', true), ''), 'actor', OLD.id, 'delete', o);
	ELSE
		o := audit_actor_state(OLD);
		n := audit_actor_state(NEW);
		FOR k IN SELECT key FROM jsonb_each(n) LOOP
			IF o -> k IS DISTINCT FROM n -> k THEN
				b := b || jsonb_build_object(k, o -> k);
				f := f || jsonb_build_object(k, n -> k);
			END IF;
		END LOOP;
		IF f <> '{}' THEN
			INSERT INTO audit_log (who, route, entity, entity_id, action, before, after)
			VALUES (coalesce(nullif(current_setting('maillage.who', true), ''), 'system'),
				coalesce(current_setting('maillage.route', true), ''), 'actor', NEW.id, 'update', b, f);
		END IF;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER audit_actors AFTER INSERT OR UPDATE OR DELETE ON actors
	FOR EACH ROW EXECUTE FUNCTION audit_actors();

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
