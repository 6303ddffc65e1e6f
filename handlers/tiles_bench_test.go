package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/tiles"
)

// BenchmarkLightTile splits the time of a light uncached tile (zoom 14,
// where a few actors are) into its parts, as ratios within one run:
// sql (the tile store alone, its pool and statement), sql-replanned (the
// same with PostgreSQL's default plan cache, as before), roundtrip
// (DataVersion on the same pool: acquire and one round trip), http-gzip and
// http-raw (the tile through the handler, without cache, gzipped or not),
// healthz (the HTTP floor: same middleware and client, no database).
//
//	go test -run '^$' -bench BenchmarkLightTile -cpu 4 ./handlers/
func BenchmarkLightTile(b *testing.B) {
	ctx := context.Background()
	db := postgistest.New(b)
	seedActors(b, db, 2000)
	if _, err := db.Pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	s := newTileServer(b, db, 0)
	ts, err := postgis.NewTileStore(ctx, db, 4)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(ts.Close)
	replanned, err := postgis.NewTileStoreWith(ctx, db, postgis.TilePool{MaxConns: 4, CustomPlans: true, Cold: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(replanned.Close)
	var list []tiles.Tile
	for _, p := range tilePlaces {
		c := tiles.Containing(p.Point, 14)
		for dx := -3; dx <= 3; dx++ {
			for dy := -3; dy <= 3; dy++ {
				list = append(list, tiles.Tile{Z: 14, X: c.X + dx, Y: c.Y + dy})
			}
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}}
	get := func(url string, gzip bool) error {
		req, _ := http.NewRequest("GET", url, nil)
		if gzip {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 && resp.StatusCode != 204 {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}
	parallel := func(b *testing.B, do func(i int) error) {
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := do(int(next.Add(1)) % len(list)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("sql", func(b *testing.B) {
		parallel(b, func(i int) error {
			_, _, err := ts.Tile(ctx, list[i], nil, tiles.ClusterZooms)
			return err
		})
	})
	b.Run("sql-replanned", func(b *testing.B) {
		parallel(b, func(i int) error {
			_, _, err := replanned.Tile(ctx, list[i], nil, tiles.ClusterZooms)
			return err
		})
	})
	b.Run("roundtrip", func(b *testing.B) {
		parallel(b, func(int) error {
			_, err := ts.DataVersion(ctx)
			return err
		})
	})
	for _, gzip := range []bool{true, false} {
		b.Run(map[bool]string{true: "http-gzip", false: "http-raw"}[gzip], func(b *testing.B) {
			parallel(b, func(i int) error { return get(s.URL+tilePath(list[i]), gzip) })
		})
	}
	b.Run("healthz", func(b *testing.B) {
		parallel(b, func(int) error { return get(s.URL+"/healthz", true) })
	})
}
