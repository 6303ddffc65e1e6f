-- Accounts and roles.
--
-- People sign in with an email and a password (an argon2id hash in PHC
-- form, NULL until they set it through a one-time link). A role says what
-- they may do: admin (people and roles, and everything else), keeper (the
-- directory), moderator (suggestions only), animator (workshops).
CREATE TABLE users (
	id            bigserial PRIMARY KEY,
	email         text NOT NULL UNIQUE CHECK (email <> '' AND email = lower(email)),
	role          text NOT NULL CHECK (role IN ('admin', 'keeper', 'moderator', 'animator')),
	password_hash text,
	created_at    timestamptz NOT NULL DEFAULT now(),
	updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Signed-in sessions. Only a SHA-256 of the cookie's value is kept; the
-- CSRF token is bound to the session and changes with it.
CREATE TABLE sessions (
	hash       bytea PRIMARY KEY,
	user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf       text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- One-time links to set a password (new accounts, forgotten passwords).
CREATE TABLE password_links (
	hash       bytea PRIMARY KEY,
	user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	expires_at timestamptz NOT NULL
);
CREATE INDEX password_links_user ON password_links (user_id);

-- API tokens keep their role; the existing ones were keepers' and stay so.
UPDATE tokens SET role = 'keeper' WHERE role NOT IN ('admin', 'keeper', 'moderator', 'animator');
ALTER TABLE tokens ADD CONSTRAINT tokens_role CHECK (role IN ('admin', 'keeper', 'moderator', 'animator'));

-- Public contributions: a new structure, or a correction of an actor
-- (actor_id, with the changed fields only), waiting for a moderator. The
-- proposer's email, if given, is deleted 30 days after the decision.
CREATE TABLE suggestions (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	actor_id     bigint REFERENCES actors (id) ON DELETE SET NULL,
	fields       jsonb NOT NULL,
	email        text,
	state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'rejected', 'merged')),
	reason       text NOT NULL DEFAULT '',
	duplicate_id bigint REFERENCES actors (id) ON DELETE SET NULL,
	duplicate_reason text NOT NULL DEFAULT '',
	result_id    bigint REFERENCES actors (id) ON DELETE SET NULL, -- the actor created, updated or merged into
	decided_by   text NOT NULL DEFAULT '',
	decided_at   timestamptz,
	created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX suggestions_pending ON suggestions (id) WHERE state = 'pending';
CREATE INDEX suggestions_emails ON suggestions (decided_at) WHERE email IS NOT NULL AND decided_at IS NOT NULL;
