package main

import (
	"context"
	"log/slog"

	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/tiles"
)

// openTiles returns the tile store and a tile cache of cfg.TileCacheBytes
// kept current by l, the process's listener of the database's change
// notifications, so that a write through any server empties the cache of
// every other one; changed is called on each change too. closeTiles
// closes the store, once l has stopped.
func openTiles(ctx context.Context, a *app, cfg config, l *postgis.Listener, changed func(), logger *slog.Logger) (*postgis.TileStore, *tiles.Cache, func(), error) {
	store, err := postgis.NewTileStore(ctx, a.db, 0)
	if err != nil {
		return nil, nil, nil, err
	}
	cache := tiles.NewCache(cfg.TileCacheBytes)
	store.ListenTiles(l, func(version int64, ok bool) {
		logger.Debug("tile data version", "version", version, "known", ok)
		cache.SetVersion(version, ok)
		if ok {
			changed()
		}
	})
	return store, cache, store.Close, nil
}
