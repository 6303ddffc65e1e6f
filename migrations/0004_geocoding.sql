-- Geocoding of actors: the candidates a person reviews, the backoff of
-- actors whose geocoder was unreachable, and the cache of answers.

ALTER TABLE actors
	ADD COLUMN geocode_candidates   jsonb NOT NULL DEFAULT '[]',
	ADD COLUMN geocode_attempts     integer NOT NULL DEFAULT 0,
	ADD COLUMN geocode_next_attempt timestamptz;

CREATE INDEX actors_geocode_review ON actors (id) WHERE geocode_state IN ('review', 'failed');

-- Answers of remote geocoders, by geocoder and normalised query, so that
-- the same address is never asked twice. Empty answers are kept too;
-- failures are not.
CREATE TABLE geocode_cache (
	geocoder   text NOT NULL,
	query      text NOT NULL,
	candidates jsonb NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (geocoder, query)
);
