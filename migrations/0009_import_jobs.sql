-- Import jobs: a large file is imported in the background; any server
-- sharing the database answers how far it is and can cancel it. The server
-- running a job beats its heartbeat every few seconds; a running job whose
-- heartbeat stopped is failed as interrupted (its transaction died with its
-- server: nothing of it was stored).
CREATE TABLE import_jobs (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	filename         text NOT NULL,
	dry_run          boolean NOT NULL DEFAULT false,
	state            text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed', 'cancelled')),
	error            text NOT NULL DEFAULT '',
	cancel_requested boolean NOT NULL DEFAULT false,
	rows_read        integer NOT NULL DEFAULT 0,
	rows_stored      integer NOT NULL DEFAULT 0,
	rows_failed      integer NOT NULL DEFAULT 0,
	bytes_read       bigint NOT NULL DEFAULT 0,
	bytes_total      bigint NOT NULL DEFAULT 0,
	result           jsonb,
	created_at       timestamptz NOT NULL DEFAULT now(),
	heartbeat_at     timestamptz NOT NULL DEFAULT now(),
	finished_at      timestamptz
);
CREATE INDEX import_jobs_running ON import_jobs (heartbeat_at) WHERE state = 'running';
