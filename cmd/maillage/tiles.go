package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/tiles"
)

// openTiles returns the tile store and a tile cache of cfg.TileCacheBytes
// kept current by a listener of the database's change notifications, so
// that a write through any server empties the cache of every other one.
// stop ends the listener and closes the store.
func openTiles(ctx context.Context, a *app, cfg config, logger *slog.Logger) (*postgis.TileStore, *tiles.Cache, func(), error) {
	store, err := postgis.NewTileStore(ctx, a.db, 0)
	if err != nil {
		return nil, nil, nil, err
	}
	cache := tiles.NewCache(cfg.TileCacheBytes)
	watchCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		store.WatchTiles(watchCtx, 10*time.Second, func(version int64, ok bool) {
			logger.Debug("tile data version", "version", version, "known", ok)
			cache.SetVersion(version, ok)
		})
	}()
	stop := func() {
		cancel()
		<-done
		store.Close()
	}
	return store, cache, stop, nil
}
