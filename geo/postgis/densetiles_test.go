package postgis_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb/encoding/mvt"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/synth"
	"github.com/maillage/maillage/tiles"
)

// inCell returns a point of the zoom-15 tile (a cell of the zoom-11
// cluster grid) holding p, at fractions fx, fy (0 to 1) of its width and
// height from its north-west corner.
func inCell(p geo.Point, fx, fy float64) geo.Point {
	b := tiles.Containing(p, 15).Bounds()
	return geo.Point{Lon: b.MinLon + fx*(b.MaxLon-b.MinLon), Lat: b.MaxLat - fy*(b.MaxLat-b.MinLat)}
}

// TestDenseTileCounts checks the density-aware actor tiles (zooms 12 to
// 14): with and without a sector filter, on every tile around a dense spot
// and a spot at the threshold, the counts of the clusters plus the single
// actors of the tile add up to the published actors of the tile with a
// sector in the filter, and so do each sector's; no actor of a dense cell
// is a single feature (not even in a tile's buffer), and none is one twice.
// Tiles whose dense cells hold more than 1,024 actors (the dense spot)
// read their single actors cell by cell, the others (the spot at the
// threshold, once over it) in one scan of the tile. It holds before and
// after actors move into and out of dense cells, are
// unpublished, deleted or given other sectors, and a cell crosses the
// threshold when one more actor moves in.
func TestDenseTileCounts(t *testing.T) {
	db := postgistest.New(t)
	ctx := context.Background()
	lyon := geo.Point{Lon: 4.835, Lat: 45.764}
	dense := inCell(lyon, 0.5, 0.5)
	edge := inCell(geo.Point{Lon: lyon.Lon + 1.5, Lat: lyon.Lat}, 0.5, 0.5) // far from the spread actors
	g, err := synth.NewGenerator(synth.Spec{Seed: 7, Places: []synth.Place{{Name: "Lyon", Point: lyon, Weight: 1}}, SpreadM: 20000})
	if err != nil {
		t.Fatal(err)
	}
	actors := postgis.NewActorStore(db)
	atEdge := postgis.DenseCellThreshold(12)
	sets := [][]string{{"culture"}, {"insertion"}, {"reemploi", "insertion", "alimentation"}, {"culture", "habitat"}}
	i := 0
	if _, err := actors.CopyActors(ctx, func() *geo.Actor {
		i++
		switch {
		case i <= 2000:
			return g.Next()
		case i <= 3300: // the dense spot: one cell, more than the threshold of every zoom, and than denseSpare
			k := i - 2000
			p := inCell(dense, 0.2+0.6*float64(k%26)/26, 0.2+0.6*float64(k/26)/51)
			return &geo.Actor{Name: fmt.Sprint("dense ", k), Sectors: sets[k%len(sets)], Location: &p,
				Status: geo.StatusPublished, Source: "test", ExternalID: fmt.Sprint("dense-", k)}
		case i <= 3300+atEdge: // a cell of exactly the zoom-12 threshold
			k := i - 3300
			p := inCell(edge, 0.3+0.02*float64(k), 0.4)
			return &geo.Actor{Name: fmt.Sprint("edge ", k), Sectors: []string{"culture"}, Location: &p,
				Status: geo.StatusPublished, Source: "test", ExternalID: fmt.Sprint("edge-", k)}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ts, err := postgis.NewTileStore(ctx, db, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()

	edgeTile := tiles.Containing(edge, 12)
	edgeIDs := func() []int64 {
		rows, _ := db.Pool.Query(ctx, `SELECT id FROM actors WHERE external_id LIKE 'edge-%' ORDER BY id`)
		ids, err := collectIDs(rows)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	// At the threshold, the cell's actors are single features at zoom 12.
	points, clusters := checkDenseTiles(t, db, ts, []geo.Point{dense, edge})
	if got := points[edgeTile]; !containsAll(got, edgeIDs()) {
		t.Errorf("tile %v: the %d actors of a cell at the threshold are not all single features", edgeTile, atEdge)
	}
	if clusters == 0 {
		t.Fatal("no cluster in the actor tiles")
	}

	// Moves, unpublishing, deletions and new sectors.
	ids := func(pattern string) []int64 {
		rows, _ := db.Pool.Query(ctx, `SELECT id FROM actors WHERE external_id LIKE $1 ORDER BY id`, pattern)
		ids, err := collectIDs(rows)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	denseIDs, spreadIDs := ids("dense-%"), ids("synth-%")
	away := geo.Point{Lon: lyon.Lon - 0.2, Lat: lyon.Lat + 0.1}
	into := inCell(dense, 0.5, 0.9)
	oneMore := inCell(edge, 0.9, 0.9)
	for _, u := range []struct {
		id  int64
		upd geo.ActorUpdate
	}{
		{denseIDs[0], geo.ActorUpdate{Location: &away}},
		{denseIDs[1], geo.ActorUpdate{Status: new(geo.StatusDraft)}},
		{denseIDs[2], geo.ActorUpdate{Sectors: &[]string{"mobilite", "culture"}}},
		{spreadIDs[0], geo.ActorUpdate{Location: &into}},
		{spreadIDs[1], geo.ActorUpdate{Location: &oneMore}},
	} {
		if _, err := actors.UpdateActor(ctx, u.id, u.upd); err != nil {
			t.Fatal(err)
		}
	}
	if err := actors.DeleteActor(ctx, denseIDs[3]); err != nil {
		t.Fatal(err)
	}
	points, _ = checkDenseTiles(t, db, ts, []geo.Point{dense, edge})
	// One more actor: the cell is a cluster, none of its actors a point.
	for _, id := range append(edgeIDs(), spreadIDs[1]) {
		if slices.Contains(points[edgeTile], id) {
			t.Errorf("tile %v: actor %d of a cell over the threshold is a single feature", edgeTile, id)
		}
	}

	// With the threshold off, every actor is a single feature.
	all, err := postgis.NewTileStoreWith(ctx, db, postgis.TilePool{MaxConns: 2, EveryActor: true})
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	data, _, err := all.Tile(ctx, tiles.Containing(dense, 12), nil, tiles.ClusterZooms)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := mvt.Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		for _, f := range l.Features {
			if _, ok := f.Properties["count"]; ok {
				t.Fatalf("threshold off: a cluster in layer %s", l.Name)
			}
		}
	}
}

func collectIDs(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close()
}) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func containsAll(have, want []int64) bool {
	for _, id := range want {
		if !slices.Contains(have, id) {
			return false
		}
	}
	return len(want) > 0
}

// checkDenseTiles checks every tile of zooms 12 to 14 around spots, with
// and without filters (see TestDenseTileCounts), and returns the single
// actors of each unfiltered tile and the number of clusters seen.
func checkDenseTiles(t *testing.T, db *postgis.DB, ts *postgis.TileStore, spots []geo.Point) (map[tiles.Tile][]int64, int) {
	t.Helper()
	ctx := context.Background()
	points := map[tiles.Tile][]int64{}
	clusters := 0
	for z := tiles.ClusterZooms; z <= 14; z++ {
		seen := map[tiles.Tile]bool{}
		zoomClusters, zoomPoints := 0, 0
		for _, spot := range spots {
			c := tiles.Containing(spot, z)
			for dx := -1; dx <= 1; dx++ {
				for dy := -1; dy <= 1; dy++ {
					tl := tiles.Tile{Z: z, X: c.X + dx, Y: c.Y + dy}
					if seen[tl] {
						continue
					}
					seen[tl] = true
					for _, filter := range [][]string{nil, {"insertion"}, {"culture", "reemploi"}} {
						data, _, err := ts.Tile(ctx, tl, filter, tiles.ClusterZooms)
						if err != nil {
							t.Fatal(err)
						}
						layers, err := mvt.Unmarshal(data)
						if err != nil {
							t.Fatal(err)
						}
						total, bySector := 0, map[string]int{}
						var ids []int64
						for _, l := range layers {
							for _, f := range l.Features {
								list, _ := f.Properties["sectors"].(string)
								if n, ok := f.Properties["count"].(float64); ok {
									zoomClusters++
									if _, ok := f.Properties["sets"]; ok {
										t.Errorf("tile %v, filter %v: a cluster carries sector sets", tl, filter)
									}
									total += int(n)
									sum := 0
									for j, e := range strings.Split(list, ",") {
										slug, count, ok := strings.Cut(e, ":")
										k, err := strconv.Atoi(count)
										if !ok || err != nil || k < 1 {
											t.Fatalf("tile %v: cluster sectors %q", tl, list)
										}
										if filter != nil && !slices.Contains(filter, slug) {
											t.Errorf("tile %v, filter %v: sector %s listed", tl, filter, slug)
										}
										if j == 0 && slug != l.Name {
											t.Errorf("tile %v: cluster of sectors %q in layer %s", tl, list, l.Name)
										}
										bySector[slug] += k
										sum += k
									}
									if sum < int(n) || int(n) <= postgis.DenseCellThreshold(z) {
										t.Errorf("tile %v: cluster of %v actors (threshold %d), sectors %q", tl, n, postgis.DenseCellThreshold(z), list)
									}
									continue
								}
								id, err := strconv.ParseInt(fmt.Sprint(f.ID), 10, 64)
								if err != nil {
									t.Fatalf("tile %v: feature id %v", tl, f.ID)
								}
								slugs := strings.Split(list, ",")
								if slugs[0] != l.Name || (filter != nil && !slices.ContainsFunc(slugs, func(s string) bool { return slices.Contains(filter, s) })) {
									t.Errorf("tile %v, filter %v: actor %d of sectors %q in layer %s", tl, filter, id, list, l.Name)
								}
								if slices.Contains(ids, id) {
									t.Errorf("tile %v: actor %d twice", tl, id)
								}
								ids = append(ids, id)
							}
						}
						zoomPoints += len(ids)
						if filter == nil {
							points[tl] = ids
						}
						// The single actors: those in the tile count, and none
						// lies in a dense cell (with the filter's count).
						var f any
						if filter != nil {
							f = filter
						}
						rows, err := db.Pool.Query(ctx, `
							WITH a AS (
								SELECT a.id, a.sector_slugs,
									ST_Intersects(a.location_3857, ST_TileEnvelope($1, $2, $3)) AS inside,
									mercator_col(ST_X(a.location_3857), 15) AS col, mercator_row(ST_Y(a.location_3857), 15) AS row
								FROM actors a WHERE a.id = ANY($5) AND a.status = 'published')
							SELECT a.id, a.inside, a.sector_slugs, (
								SELECT coalesce(sum(c.n), 0) FROM tile_clusters c
								WHERE c.z = 11 AND c.tx * 16 + c.cx = a.col AND c.ty * 16 + c.cy = a.row
									AND ($4::text[] IS NULL OR c.sectors && $4))
							FROM a`, tl.Z, tl.X, tl.Y, f, ids)
						if err != nil {
							t.Fatal(err)
						}
						found := 0
						for rows.Next() {
							var id, cell int64
							var inside bool
							var slugs []string
							if err := rows.Scan(&id, &inside, &slugs, &cell); err != nil {
								t.Fatal(err)
							}
							found++
							if cell > int64(postgis.DenseCellThreshold(z)) {
								t.Errorf("tile %v, filter %v: actor %d is a single feature in a cell of %d actors", tl, filter, id, cell)
							}
							if !inside {
								continue
							}
							total++
							for _, s := range slugs {
								if filter == nil || slices.Contains(filter, s) {
									bySector[s]++
								}
							}
						}
						if err := rows.Err(); err != nil {
							t.Fatal(err)
						}
						if found != len(ids) {
							t.Errorf("tile %v: %d single features, %d published actors", tl, len(ids), found)
						}
						wantTotal, wantBySector := actorsInTile(t, db, tl, filter)
						if total != wantTotal || !maps.Equal(bySector, wantBySector) {
							t.Errorf("tile %v, filter %v: clusters and points count %d actors, %v by sector; the tile holds %d, %v",
								tl, filter, total, bySector, wantTotal, wantBySector)
						}
					}
				}
			}
		}
		if zoomClusters == 0 || zoomPoints == 0 {
			t.Errorf("zoom %d: %d clusters, %d single actors", z, zoomClusters, zoomPoints)
		}
		clusters += zoomClusters
	}
	return points, clusters
}

// TestMercatorCells checks mercator_col and mercator_row (migration 0021):
// a point inside a tile of zoom bits is in that tile's column and row; a
// point on or beyond the grid's edge is in its first or last column or
// row; and over a spread of points and grids they equal the cell
// arithmetic tile_clusters_add wrote out before them.
func TestMercatorCells(t *testing.T) {
	db := postgistest.New(t)
	ctx := context.Background()
	for _, p := range []geo.Point{{Lon: 4.835, Lat: 45.764}, {Lon: -179.9, Lat: 84.9}, {Lon: 179.9, Lat: -84.9}, {Lon: 0, Lat: 0}, {Lon: 55.45, Lat: -20.88}} {
		for _, bits := range []int{0, 4, 9, 15} {
			want := tiles.Containing(p, bits)
			b := want.Bounds()
			c := geo.Point{Lon: (b.MinLon + b.MaxLon) / 2, Lat: (b.MinLat + b.MaxLat) / 2}
			var col, row int
			if err := db.Pool.QueryRow(ctx, `
				SELECT mercator_col(ST_X(m), $3), mercator_row(ST_Y(m), $3)
				FROM ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), 3857) AS m`, c.Lon, c.Lat, bits).Scan(&col, &row); err != nil {
				t.Fatal(err)
			}
			if col != want.X || row != want.Y {
				t.Errorf("cell of %v in a grid of 2^%d: %d, %d; want %d, %d", c, bits, col, row, want.X, want.Y)
			}
		}
	}
	const edge = 20037508.342789244
	for _, e := range []struct {
		x, y     float64
		col, row int
	}{
		{-edge, edge, 0, 0},
		{-edge - 1000, edge + 1000, 0, 0},
		{edge, -edge, 32767, 32767},
		{edge + 1000, -edge - 1000, 32767, 32767},
		{0, 0, 16384, 16384},
	} {
		var col, row int
		if err := db.Pool.QueryRow(ctx, `SELECT mercator_col($1, 15), mercator_row($2, 15)`, e.x, e.y).Scan(&col, &row); err != nil {
			t.Fatal(err)
		}
		if col != e.col || row != e.row {
			t.Errorf("cell of %v, %v in a grid of 2^15: %d, %d; want %d, %d", e.x, e.y, col, row, e.col, e.row)
		}
	}
	var differ int
	if err := db.Pool.QueryRow(ctx, `
		SELECT count(*)
		FROM generate_series(-20100000, 20100000, 9973) AS s(i) CROSS JOIN LATERAL (SELECT i + 0.25::float8 AS x) p,
			generate_series(0, 15) AS bits
		WHERE mercator_col(x, bits) IS DISTINCT FROM
				least(greatest(floor((x + 20037508.342789244) * (1 << bits) / 40075016.685578488)::int, 0), (1 << bits) - 1)
			OR mercator_row(x, bits) IS DISTINCT FROM
				least(greatest(floor((20037508.342789244 - x) * (1 << bits) / 40075016.685578488)::int, 0), (1 << bits) - 1)`).
		Scan(&differ); err != nil {
		t.Fatal(err)
	}
	if differ > 0 {
		t.Errorf("%d cells differ from tile_clusters_add's arithmetic", differ)
	}
}
