package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/pgcluster"
)

// app is what every command works with: the database and its stores.
type app struct {
	db       *postgis.DB
	closeDB  func()
	actors   *postgis.ActorStore
	sectors  *postgis.SectorStore
	tokens   *postgis.TokenStore
	importer *actorfile.Importer
	forms    *geo.LegalForms

	addresses *postgis.AddressStore   // the local geocoder
	geocoding *postgis.GeocodingStore // geocoding queue, review and cache
}

// openApp opens the database of cfg (starting the private cluster if need
// be) and builds the stores. Close it with close.
func openApp(ctx context.Context, cfg config, logger *slog.Logger) (*app, error) {
	forms, err := loadLegalForms(cfg.LegalForms)
	if err != nil {
		return nil, err
	}
	db, closeDB, err := openDB(ctx, cfg, logger, true)
	if err != nil {
		return nil, err
	}
	a := &app{
		db:      db,
		closeDB: closeDB,
		actors:  postgis.NewActorStore(db),
		sectors: postgis.NewSectorStore(db),
		tokens:  postgis.NewTokenStore(db),
		forms:   forms,

		addresses: postgis.NewAddressStore(db),
		geocoding: postgis.NewGeocodingStore(db),
	}
	a.importer = &actorfile.Importer{Store: a.actors, Sectors: a.sectors, LegalForms: forms,
		DefaultSector: cfg.DefaultSector}
	return a, nil
}

func (a *app) close() { a.closeDB() }

// openDB opens the database of cfg: DATABASE_URL when set, else the private
// cluster in cfg.DataDir, started unless another process runs it already.
// With migrate false the schema is left as it is. The returned function
// closes the pool, then stops the cluster if this call started it.
//
// Returns a *pgcluster.SetupError if PostgreSQL is not installed and a
// *postgis.SetupError if PostGIS is not.
func openDB(ctx context.Context, cfg config, logger *slog.Logger, migrate bool) (*postgis.DB, func(), error) {
	url, stop, err := pgcluster.URL(ctx, cfg.DatabaseURL, pgcluster.Config{Dir: cfg.DataDir, BinDir: cfg.PGBinDir, Logger: logger})
	if err != nil {
		return nil, nil, err
	}
	db, err := postgis.Open(ctx, postgis.Config{URL: url, NoMigrate: !migrate, Logger: logger,
		StatementTimeout: cfg.StatementTimeout})
	if err != nil {
		stop()
		return nil, nil, err
	}
	return db, func() { db.Close(); stop() }, nil
}

// loadLegalForms reads the INSEE legal-form table at path; without one,
// legal forms are matched by code and common names only.
func loadLegalForms(path string) (*geo.LegalForms, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("MAILLAGE_LEGAL_FORMS: %w", err)
	}
	defer f.Close()
	forms, err := geo.LoadLegalForms(f)
	if err != nil {
		return nil, fmt.Errorf("MAILLAGE_LEGAL_FORMS %s: %w", path, err)
	}
	return forms, nil
}
