package postgistest_test

import (
	"context"
	"testing"

	"github.com/maillage/maillage/internal/postgistest"
)

func TestNewIsolated(t *testing.T) {
	ctx := context.Background()
	a, b := postgistest.New(t), postgistest.New(t)
	_, err := a.Pool.Exec(ctx, `INSERT INTO sectors (slug, label, color) VALUES ('only-in-a', 'A', '#000000')`)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.Pool.QueryRow(ctx, `SELECT count(*) FROM sectors WHERE slug = 'only-in-a'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the other database sees %d rows, %v; want 0", n, err)
	}
	if err := a.Pool.QueryRow(ctx, `SELECT count(*) FROM sectors WHERE slug = 'only-in-a'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the database written to sees %d rows, %v; want 1", n, err)
	}
}

func TestNewParallel(t *testing.T) {
	for _, name := range []string{"a", "b", "c", "d"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := postgistest.New(t)
			var postgis string
			if err := db.Pool.QueryRow(context.Background(), `SELECT postgis_version()`).Scan(&postgis); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWithDatabase(t *testing.T) {
	tests := []struct{ in, db, want string }{
		{"postgres://u:p@h:5432/old?sslmode=disable", "new", "postgres://u:p@h:5432/new?sslmode=disable"},
		{"postgresql://h/old", "x", "postgresql://h/x"},
		{"host=/tmp/run user=maillage dbname=old", "new", "host=/tmp/run user=maillage dbname=old dbname='new'"},
		{"host=/tmp", "it's", `host=/tmp dbname='it\'s'`},
	}
	for _, tt := range tests {
		got, err := postgistest.WithDatabase(tt.in, tt.db)
		if err != nil || got != tt.want {
			t.Errorf("WithDatabase(%q, %q) = %q, %v; want %q", tt.in, tt.db, got, err, tt.want)
		}
	}
}
