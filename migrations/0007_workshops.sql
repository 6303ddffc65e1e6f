-- Workshops (issue 9): territorial diagnostics where participants place
-- annotations on a shared map, live.

CREATE TABLE workshops (
	id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	-- 6 characters without look-alikes (no 0/O, 1/I/L).
	code               text NOT NULL UNIQUE CHECK (code ~ '^[2-9A-HJKMNP-Z]{6}$'),
	title              text NOT NULL CHECK (title <> ''),
	description        text NOT NULL DEFAULT '',
	date               date NOT NULL,
	status             text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
	published          boolean NOT NULL DEFAULT false CHECK (NOT published OR status = 'closed'),
	-- Where the map opens: the zone's bounds when there is a zone.
	min_lon            double precision NOT NULL,
	min_lat            double precision NOT NULL,
	max_lon            double precision NOT NULL,
	max_lat            double precision NOT NULL,
	zone               geometry(Polygon, 4326) CHECK (ST_IsValid(zone)),
	-- SHA-256 of the animator secret, given once at creation.
	animator_hash      bytea NOT NULL UNIQUE,
	-- The view the animator pushed to the phones (all set or none).
	view_lon           double precision,
	view_lat           double precision,
	view_zoom          integer,
	view_annotation_id bigint,
	created_at         timestamptz NOT NULL DEFAULT now(),
	updated_at         timestamptz NOT NULL DEFAULT now(),
	CHECK ((view_lon IS NULL) = (view_lat IS NULL) AND (view_lon IS NULL) = (view_zoom IS NULL))
);
CREATE INDEX workshops_published ON workshops (id) WHERE published;

-- The sectors a workshop focuses on.
CREATE TABLE workshop_sectors (
	workshop_id bigint NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
	sector_slug text NOT NULL REFERENCES sectors (slug) ON UPDATE CASCADE ON DELETE CASCADE,
	PRIMARY KEY (workshop_id, sector_slug)
);

-- Kinds of annotations: rows without a workshop are every workshop's; a
-- workshop's own row of the same slug renames it there, another slug adds
-- one.
CREATE TABLE annotation_kinds (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workshop_id bigint REFERENCES workshops (id) ON DELETE CASCADE,
	slug        text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
	label       text NOT NULL CHECK (label <> ''),
	color       text NOT NULL CHECK (color ~ '^#[0-9a-fA-F]{6}$'),
	icon        text NOT NULL DEFAULT '',
	position    integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX annotation_kinds_default ON annotation_kinds (slug) WHERE workshop_id IS NULL;
CREATE UNIQUE INDEX annotation_kinds_workshop ON annotation_kinds (workshop_id, slug) WHERE workshop_id IS NOT NULL;

INSERT INTO annotation_kinds (slug, label, color, icon, position) VALUES
('atout', 'Atout / ressource', '#2e7d32', '★', 1),
('faiblesse', 'Faiblesse / manque', '#c62828', '⚠', 2),
('besoin', 'Besoin', '#ef6c00', '✋', 3),
('idee', 'Idée / piste d''action', '#1565c0', '💡', 4);

-- People who joined with the code. Only a SHA-256 of their token is kept.
CREATE TABLE workshop_participants (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workshop_id bigint NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
	token_hash  bytea NOT NULL UNIQUE,
	created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workshop_participants_workshop ON workshop_participants (workshop_id);

CREATE TABLE annotations (
	id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workshop_id    bigint NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
	-- A slug of annotation_kinds, default or the workshop's (checked by
	-- the store: a foreign key cannot say "or the default").
	kind           text NOT NULL,
	geom           geometry(Geometry, 4326) NOT NULL
		CHECK (GeometryType(geom) IN ('POINT', 'LINESTRING', 'POLYGON') AND ST_IsValid(geom)),
	text           text NOT NULL CHECK (btrim(text) <> '' AND char_length(text) <= 1000),
	author_name    text NOT NULL DEFAULT '' CHECK (char_length(author_name) <= 80),
	sector         text REFERENCES sectors (slug) ON UPDATE CASCADE ON DELETE SET NULL,
	actor_id       bigint REFERENCES actors (id) ON DELETE SET NULL,
	-- The author; NULL when an animator or a keeper wrote it.
	participant_id bigint REFERENCES workshop_participants (id) ON DELETE SET NULL,
	state          text NOT NULL DEFAULT 'visible' CHECK (state IN ('visible', 'hidden')),
	pinned         boolean NOT NULL DEFAULT false,
	created_at     timestamptz NOT NULL DEFAULT now(),
	updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX annotations_workshop ON annotations (workshop_id, id);
CREATE INDEX annotations_geom ON annotations USING gist (geom);
CREATE INDEX annotations_actor ON annotations (actor_id) WHERE actor_id IS NOT NULL;

-- "+1" votes: one per participant and annotation.
CREATE TABLE annotation_votes (
	annotation_id  bigint NOT NULL REFERENCES annotations (id) ON DELETE CASCADE,
	participant_id bigint NOT NULL REFERENCES workshop_participants (id) ON DELETE CASCADE,
	created_at     timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (annotation_id, participant_id)
);

-- Every change of a workshop, in the order of its id, for the event
-- stream: a client that reconnects with Last-Event-ID reads what it
-- missed here. Writers lock their workshop's row first, so that within a
-- workshop ids are committed in increasing order.
CREATE TABLE workshop_events (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workshop_id   bigint NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
	name          text NOT NULL,
	data          jsonb NOT NULL,
	annotation_id bigint,
	-- About a hidden annotation: participants and the public receive
	-- annotation.hidden instead of data.
	hidden        boolean NOT NULL DEFAULT false,
	created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workshop_events_workshop ON workshop_events (workshop_id, id);
