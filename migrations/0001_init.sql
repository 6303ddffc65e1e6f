CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is only STABLE; this wrapper names its dictionary so that it
-- can be IMMUTABLE and used in indexes.
CREATE FUNCTION maillage_fold(t text) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
	RETURN lower(unaccent('unaccent'::regdictionary, t));

CREATE TABLE sectors (
	slug     text PRIMARY KEY CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
	label    text NOT NULL,
	color    text NOT NULL CHECK (color ~ '^#[0-9a-fA-F]{6}$'),
	icon     text NOT NULL DEFAULT '',
	synonyms text[] NOT NULL DEFAULT '{}',
	position integer NOT NULL DEFAULT 0
);

CREATE TABLE actors (
	id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name              text NOT NULL CHECK (name <> ''),
	legal_form_code   text NOT NULL DEFAULT '',
	legal_form_label  text NOT NULL DEFAULT '',
	ess_family        text NOT NULL DEFAULT '' CHECK (ess_family IN ('', 'association', 'cooperative', 'mutuelle', 'fondation', 'societe_commerciale_ess')),
	kind              text NOT NULL DEFAULT '' CHECK (kind IN ('', 'ACI', 'AI', 'EI', 'ETTI', 'EITI', 'GEIQ', 'EA')),
	naf               text NOT NULL DEFAULT '',
	siret             text NOT NULL DEFAULT '',
	street            text NOT NULL DEFAULT '',
	postcode          text NOT NULL DEFAULT '',
	city              text NOT NULL DEFAULT '',
	citycode          text NOT NULL DEFAULT '',
	location          geometry(Point, 4326),
	location_source   text NOT NULL DEFAULT '' CHECK (location_source IN ('', 'file', 'geocoder', 'manual')),
	geocoder          text NOT NULL DEFAULT '',
	geocode_score     double precision,
	geocode_label     text NOT NULL DEFAULT '',
	geocode_state     text NOT NULL DEFAULT '' CHECK (geocode_state IN ('', 'pending', 'review', 'failed')),
	description       text NOT NULL DEFAULT '',
	website           text NOT NULL DEFAULT '',
	email             text NOT NULL DEFAULT '',
	phone             text NOT NULL DEFAULT '',
	contact_public    boolean NOT NULL DEFAULT false,
	networks          text[] NOT NULL DEFAULT '{}',
	projects          text[] NOT NULL DEFAULT '{}',
	expertise         text[] NOT NULL DEFAULT '{}',
	status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
	source            text NOT NULL DEFAULT '',
	external_id       text NOT NULL DEFAULT '',
	created_at        timestamptz NOT NULL DEFAULT now(),
	updated_at        timestamptz NOT NULL DEFAULT now()
);

-- One legal unit can run several structures of different types (an
-- association carrying both an ACI and an AI has one SIRET): the SIRET is
-- unique per structure type.
CREATE UNIQUE INDEX actors_siret_kind ON actors (siret, kind) WHERE siret <> '';
CREATE UNIQUE INDEX actors_source_external_id ON actors (source, external_id) WHERE external_id <> '';
CREATE INDEX actors_location ON actors USING gist (location);
CREATE INDEX actors_status ON actors (status);
CREATE INDEX actors_geocode_pending ON actors (id) WHERE geocode_state = 'pending';
CREATE INDEX actors_search ON actors USING gin (
	maillage_fold(name || ' ' || city || ' ' || postcode || ' ' || description) gin_trgm_ops);

CREATE TABLE actor_sectors (
	actor_id    bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
	sector_slug text NOT NULL REFERENCES sectors (slug) ON UPDATE CASCADE ON DELETE RESTRICT,
	PRIMARY KEY (actor_id, sector_slug)
);
CREATE INDEX actor_sectors_sector ON actor_sectors (sector_slug, actor_id);

-- API tokens of directory keepers. Only a SHA-256 of each token is kept.
CREATE TABLE tokens (
	name         text PRIMARY KEY CHECK (name <> ''),
	hash         bytea NOT NULL UNIQUE,
	role         text NOT NULL DEFAULT 'keeper',
	created_at   timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz
);

-- Settings and one-time events of this installation, such as the demo import.
CREATE TABLE settings (
	key   text PRIMARY KEY,
	value text NOT NULL
);

-- Where actors come from, with the attribution their licence requires
-- (ODbL for Transiscope, for example). actors.source names a row here when
-- the import gave an attribution.
CREATE TABLE sources (
	name        text PRIMARY KEY CHECK (name <> ''),
	attribution text NOT NULL
);
