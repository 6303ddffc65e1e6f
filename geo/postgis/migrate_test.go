package postgis_test

import (
	"bytes"
	"context"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/synth"
	"github.com/maillage/maillage/migrations"
	"github.com/maillage/maillage/tiles"
)

// emptyDB returns an empty database on the test server, without migrations.
func emptyDB(t testing.TB) *postgis.DB {
	t.Helper()
	ctx := context.Background()
	admin := postgistest.Admin(t)
	name := "maillage_empty_" + strings.ToLower(strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(ctx, `DROP DATABASE IF EXISTS `+ident+` WITH (FORCE)`); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+ident); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(context.Background(), `DROP DATABASE IF EXISTS `+ident+` WITH (FORCE)`) })
	db, err := postgis.Open(ctx, postgis.Config{URL: postgistest.ConnString(t, name), NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// migrationsBefore returns the migrations whose names sort before name.
func migrationsBefore(tb testing.TB, name string) fstest.MapFS {
	tb.Helper()
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		tb.Fatal(err)
	}
	before := fstest.MapFS{}
	for _, n := range names {
		if n >= name {
			continue
		}
		data, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			tb.Fatal(err)
		}
		before[n] = &fstest.MapFile{Data: data}
	}
	return before
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	db := emptyDB(t)
	want, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(applied, want) {
		t.Errorf("first Migrate applied %v; want %v", applied, want)
	}
	applied, err = db.Migrate(ctx)
	if err != nil || len(applied) != 0 {
		t.Errorf("second Migrate applied %v, %v; want nothing", applied, err)
	}
}

func TestMigrateConcurrent(t *testing.T) {
	ctx := context.Background()
	db := emptyDB(t)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total []string
	)
	for range 3 {
		wg.Go(func() {
			applied, err := db.Migrate(ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total = append(total, applied...)
			mu.Unlock()
		})
	}
	wg.Wait()
	want, _ := fs.Glob(migrations.FS, "*.sql")
	slices.Sort(total)
	if !slices.Equal(total, want) {
		t.Errorf("concurrent Migrate applied %v in all; want each of %v once", total, want)
	}
}

func TestMigrateFailure(t *testing.T) {
	ctx := context.Background()
	db := emptyDB(t)
	files := fstest.MapFS{
		"0001_a.sql":   {Data: []byte("CREATE TABLE a (x int);")},
		"0002_bad.sql": {Data: []byte("CREATE TABLE b (x int);\nSELECT no_such_column FROM a;")},
		"0003_c.sql":   {Data: []byte("CREATE TABLE c (x int);")},
	}
	applied, err := db.MigrateFS(ctx, files)
	if err == nil || !strings.Contains(err.Error(), "0002_bad.sql") {
		t.Fatalf("err = %v; want it to name 0002_bad.sql", err)
	}
	if !slices.Equal(applied, []string{"0001_a.sql"}) {
		t.Errorf("applied = %v; want [0001_a.sql]", applied)
	}
	var tables []string
	rows, _ := db.Pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE tablename IN ('a', 'b', 'c') ORDER BY 1`)
	tables, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !slices.Equal(tables, []string{"a"}) {
		t.Errorf("tables = %v, %v; want [a]: 0002 must roll back", tables, err)
	}

	files["0002_bad.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE b (x int);")}
	applied, err = db.MigrateFS(ctx, files)
	if err != nil || !slices.Equal(applied, []string{"0002_bad.sql", "0003_c.sql"}) {
		t.Errorf("after the fix applied = %v, %v; want [0002_bad.sql 0003_c.sql]", applied, err)
	}
}

// TestMigrateTileCellsWithoutSets applies migration 0021 to a database
// already holding actors: the cells it keeps are those before, with the
// same primary key without "sets", the cluster tiles are byte for byte
// the same, and the writes that follow keep the cells equal to a refresh
// from tile_clusters.
func TestMigrateTileCellsWithoutSets(t *testing.T) {
	ctx := context.Background()
	db := emptyDB(t)
	if _, err := db.MigrateFS(ctx, migrationsBefore(t, "0021")); err != nil {
		t.Fatal(err)
	}
	lyon := geo.Point{Lon: 4.835, Lat: 45.764}
	g, err := synth.NewGenerator(synth.Spec{Seed: 11, Places: []synth.Place{{Name: "Lyon", Point: lyon, Weight: 1}}, SpreadM: 30000})
	if err != nil {
		t.Fatal(err)
	}
	actors := postgis.NewActorStore(db)
	i := 0
	if _, err := actors.CopyActors(ctx, func() *geo.Actor {
		if i++; i > 3000 {
			return nil
		}
		return g.Next()
	}); err != nil {
		t.Fatal(err)
	}
	var ts []tiles.Tile
	for z := range tiles.ClusterZooms {
		ts = append(ts, tiles.Containing(lyon, z), tiles.Containing(geo.Point{Lon: lyon.Lon + 0.15, Lat: lyon.Lat - 0.1}, z))
	}
	// The query of TileStore.Tile (whose store prepares the dense tile
	// queries, which need 0021).
	clusterTiles := func() [][]byte {
		var out [][]byte
		for _, tl := range ts {
			var version int64
			var mvt []byte
			if err := db.Pool.QueryRow(ctx, postgis.CellTileSQL, tl.Z, tl.X, tl.Y, nil).Scan(&version, &mvt); err != nil {
				t.Fatal(err)
			}
			out = append(out, mvt)
		}
		return out
	}
	tilesBefore := clusterTiles()
	if slices.ContainsFunc(tilesBefore, func(mvt []byte) bool { return len(mvt) == 0 }) {
		t.Fatal("an empty cluster tile before the migration")
	}
	if _, err := db.Pool.Exec(ctx, `
		CREATE TABLE cells_before AS SELECT z, tx, ty, cx, cy, n, sx, sy, sectors, layer FROM tile_cells`); err != nil {
		t.Fatal(err)
	}

	applied, err := db.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(applied, []string{"0021_tile_cells_without_sets.sql"}) {
		t.Fatalf("Migrate applied %v; want 0021 alone", applied)
	}
	var changed int
	if err := db.Pool.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM (TABLE cells_before EXCEPT SELECT * FROM tile_cells) d)
			+ (SELECT count(*) FROM (SELECT * FROM tile_cells EXCEPT TABLE cells_before) d)`).Scan(&changed); err != nil {
		t.Fatal(err)
	}
	if changed > 0 {
		t.Errorf("%d cells changed with the migration", changed)
	}
	var key string
	if err := db.Pool.QueryRow(ctx, `
		SELECT pg_get_indexdef(c.conindid) FROM pg_constraint c
		WHERE c.conrelid = 'tile_cells'::regclass AND c.contype = 'p'`).Scan(&key); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(key, "(z, tx, ty, cx, cy) INCLUDE (n, sx, sy, sectors, layer)") {
		t.Errorf("primary key of tile_cells: %s", key)
	}
	if !slices.EqualFunc(clusterTiles(), tilesBefore, bytes.Equal) {
		t.Error("cluster tiles changed with the migration")
	}

	moved := geo.Point{Lon: lyon.Lon - 0.2, Lat: lyon.Lat + 0.1}
	if _, err := actors.UpdateActor(ctx, 1, geo.ActorUpdate{Location: &moved, Sectors: &[]string{"culture", "habitat"}}); err != nil {
		t.Fatal(err)
	}
	if err := actors.DeleteActor(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `
		WITH anew AS (
			SELECT z, tx, ty, cx, cy, sum(n)::integer AS n, round(sum(sx)::numeric, 3) AS sx, round(sum(sy)::numeric, 3) AS sy
			FROM tile_clusters WHERE n > 0 GROUP BY 1, 2, 3, 4, 5),
		kept AS (
			SELECT z, tx, ty, cx, cy, n, round(sx::numeric, 3), round(sy::numeric, 3) FROM tile_cells WHERE n > 0)
		SELECT (SELECT count(*) FROM (TABLE kept EXCEPT TABLE anew) d) + (SELECT count(*) FROM (TABLE anew EXCEPT TABLE kept) d)`).
		Scan(&changed); err != nil {
		t.Fatal(err)
	}
	if changed > 0 {
		t.Errorf("after writes, %d cells of tile_cells differ from tile_clusters", changed)
	}
}
