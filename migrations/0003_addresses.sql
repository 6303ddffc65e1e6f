-- The local geocoder: BAN address files (national adresses-XX.csv or Base
-- Adresse Locale) imported with `maillage addresses import`. Folded forms
-- are computed by maillage (geo.FoldAddress) so that queries and data are
-- normalised by the same code.

-- One street (or lieu-dit) of a commune, with the folded text the
-- trigram index searches: street name and commune name.
CREATE TABLE address_streets (
	id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	citycode  text NOT NULL,
	postcode  text NOT NULL DEFAULT '',
	city      text NOT NULL,
	street    text NOT NULL,
	street_fold text NOT NULL,
	city_fold text NOT NULL,
	location  geometry(Point, 4326),
	UNIQUE (citycode, postcode, street_fold)
);
CREATE INDEX address_streets_doc ON address_streets USING gin ((street_fold || ' ' || city_fold) gin_trgm_ops);
CREATE INDEX address_streets_postcode ON address_streets (postcode);
CREATE INDEX address_streets_citycode ON address_streets (citycode);

-- One numbered address. suffix is the repetition index as written in the
-- file (bis, ter, a, b...); suffix_fold its normal form (b -> bis, t -> ter).
CREATE TABLE addresses (
	id          text PRIMARY KEY,
	street_id   bigint NOT NULL REFERENCES address_streets (id) ON DELETE CASCADE,
	number      integer NOT NULL,
	suffix      text NOT NULL DEFAULT '',
	suffix_fold text NOT NULL DEFAULT '',
	location    geometry(Point, 4326) NOT NULL
);
CREATE INDEX addresses_street_number ON addresses (street_id, number);
