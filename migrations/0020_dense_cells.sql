-- Density-aware actor tiles (issue 15).
--
-- From the actor zoom up to zoom 14, a cell of tile_cells' grid at zoom 11
-- (a zoom-15 tile) that holds more actors than a threshold stays one
-- cluster in the actor tiles; the actors of the other cells are single
-- features, as before. Both kinds share a sector's layer, and an MVT layer
-- has one row type: tile_feature is tile_actor's columns then tile_cell's
-- (count and sets), each kind leaving the other's null, so that a feature
-- carries only its own properties.
CREATE TYPE tile_feature AS (fid bigint, id bigint, name text, sector text, kind text, geom geometry,
	sectors text, count integer, sets text);
