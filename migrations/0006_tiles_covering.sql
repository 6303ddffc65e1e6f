-- Tile reads without heap visits.
--
-- A low-zoom tile reads up to 256 cells per sector of tile_clusters (3,406
-- rows for the zoom-8 tile of Paris at 1.5 M actors); the rows of one tile
-- were spread over as many heap pages, which did not stay in shared
-- buffers (120 ms cold, 21 ms p50 at zoom 8). With n, sx and sy in the
-- primary key's leaves the tile is an index-only scan of about 35 pages.
-- The visibility map must be set for that: CopyActors vacuums after a bulk
-- load, autovacuum after ordinary writes.

ALTER TABLE tile_clusters DROP CONSTRAINT tile_clusters_pkey,
	ADD PRIMARY KEY (z, tx, ty, sector_slug, cx, cy) INCLUDE (n, sx, sy);
