package postgis_test

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/migrations"
)

// emptyDB returns an empty database on the test server, without migrations.
func emptyDB(t *testing.T) *postgis.DB {
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
