package postgis_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/internal/postgistest"
)

// TestSectorPointsFollowActors checks that sector_points, the index of
// coverage's nearest actor, holds exactly one row per sector of each
// published located actor, at its location, after every kind of write.
func TestSectorPointsFollowActors(t *testing.T) {
	ctx := context.Background()
	db := postgistest.New(t)
	rowsOf := func(sql string) []string {
		t.Helper()
		rs, _ := db.Pool.Query(ctx, sql)
		out, err := pgx.CollectRows(rs, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	check := func(step string, want int) {
		t.Helper()
		expected := rowsOf(`SELECT s.actor_id || ' ' || s.sector_slug || ' ' || ST_AsText(a.location)
			FROM actor_sectors s JOIN actors a ON a.id = s.actor_id
			WHERE a.status = 'published' AND a.location IS NOT NULL ORDER BY 1`)
		got := rowsOf(`SELECT actor_id || ' ' || sector_slug || ' ' || ST_AsText(location) FROM sector_points ORDER BY 1`)
		if !slices.Equal(got, expected) || len(got) != want {
			t.Errorf("%s: sector_points %q, want %q (%d rows)", step, got, expected, want)
		}
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var ids [3]int64
	for i, a := range []struct {
		status string
		loc    string
	}{{"published", "POINT(-4.48 48.39)"}, {"draft", "POINT(-4.1 48.0)"}, {"published", ""}} {
		err := db.Pool.QueryRow(ctx, `INSERT INTO actors (name, status, location)
			VALUES ($1, $2, ST_GeomFromText(nullif($3, ''), 4326)) RETURNING id`, "a", a.status, a.loc).Scan(&ids[i])
		if err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO actor_sectors (actor_id, sector_slug)
		SELECT id, s FROM unnest($1::bigint[]) id, unnest(ARRAY['insertion', 'culture']) s`, ids[:])
	check("created", 2)
	exec(`UPDATE actors SET status = 'published' WHERE id = $1`, ids[1])
	check("published", 4)
	exec(`UPDATE actors SET location = ST_Point(-3.0, 47.7, 4326) WHERE id = $1`, ids[0])
	check("moved", 4)
	exec(`UPDATE actors SET status = 'archived' WHERE id = $1`, ids[0])
	check("archived", 2)
	exec(`UPDATE actors SET location = ST_Point(-1.15, 46.16, 4326) WHERE id = $1`, ids[2])
	check("located", 4)
	exec(`INSERT INTO actor_sectors (actor_id, sector_slug) VALUES ($1, 'habitat')`, ids[1])
	exec(`DELETE FROM actor_sectors WHERE actor_id = $1 AND sector_slug = 'culture'`, ids[1])
	check("sectors changed", 4)
	exec(`UPDATE sectors SET slug = 'logement' WHERE slug = 'habitat'`)
	check("sector renamed", 4)
	if got := rowsOf(`SELECT sector_slug FROM sector_points WHERE sector_slug = 'logement'`); len(got) != 1 {
		t.Errorf("renamed sector: %q", got)
	}
	exec(`UPDATE actors SET name = 'b'`)
	check("renamed actors", 4)
	exec(`DELETE FROM actors WHERE id = $1`, ids[1])
	check("deleted", 2)
	exec(`TRUNCATE actors CASCADE`)
	check("truncated", 0)
}
