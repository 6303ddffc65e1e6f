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
	zone     *postgis.TerritoryZone // the configured territory

	addresses *postgis.AddressStore   // the local geocoder
	geocoding *postgis.GeocodingStore // geocoding queue, review and cache
}

// openApp opens the database of cfg (starting the private cluster if need
// be) and builds the stores, as the owner of the tables: for the
// commands an operator runs. Close it with close.
func openApp(ctx context.Context, cfg config, logger *slog.Logger) (*app, error) {
	return openAppAs(ctx, cfg, logger, false)
}

// openAppAs is openApp; with asServer the stores connect as the
// application role (see openDB).
func openAppAs(ctx context.Context, cfg config, logger *slog.Logger, asServer bool) (*app, error) {
	forms, err := loadLegalForms(cfg.LegalForms)
	if err != nil {
		return nil, err
	}
	db, closeDB, err := openDB(ctx, cfg, logger, true, asServer)
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
	a.zone = postgis.NewTerritoryZone(db, cfg.Territory)
	a.importer = &actorfile.Importer{Store: a.actors, Sectors: a.sectors, LegalForms: forms,
		DefaultSector: cfg.DefaultSector, Territory: a.zone}
	return a, nil
}

func (a *app) close() { a.closeDB() }

// openDB opens the database of cfg: DATABASE_URL when set, else the private
// cluster in cfg.DataDir, started unless another process runs it already.
// With migrate false the schema is left as it is. The returned function
// closes the pool, then stops the cluster if this call started it.
//
// Migrations run as the owner: MAILLAGE_MIGRATE_DATABASE_URL when set,
// else DATABASE_URL, else the private cluster's superuser; after them the
// owner grants the application role (postgis.AppRole) what the server
// needs. With asServer the returned pool connects as that role: on the
// private cluster through its socket, with MAILLAGE_MIGRATE_DATABASE_URL
// through DATABASE_URL. A lone DATABASE_URL serves as it is.
//
// Returns a *pgcluster.SetupError if PostgreSQL is not installed and a
// *postgis.SetupError if PostGIS is not.
func openDB(ctx context.Context, cfg config, logger *slog.Logger, migrate, asServer bool) (*postgis.DB, func(), error) {
	ownerURL := cfg.DatabaseURL
	if cfg.MigrateDatabaseURL != "" {
		ownerURL = cfg.MigrateDatabaseURL
	}
	private := ownerURL == ""
	splitRoles := private || cfg.MigrateDatabaseURL != ""
	url, stop, err := pgcluster.URL(ctx, ownerURL, pgcluster.Config{Dir: cfg.DataDir, BinDir: cfg.PGBinDir, Logger: logger})
	if err != nil {
		return nil, nil, err
	}
	db, err := postgis.Open(ctx, postgis.Config{URL: url, NoMigrate: !migrate, Logger: logger,
		StatementTimeout: cfg.StatementTimeout, Warm: asServer && !splitRoles})
	if err != nil {
		stop()
		return nil, nil, err
	}
	if migrate {
		if err := ensureAppRole(ctx, cfg, db); err != nil {
			db.Close()
			stop()
			return nil, nil, err
		}
	}
	if !asServer || !splitRoles {
		if asServer {
			logger.Warn("the server runs as the database owner: set MAILLAGE_MIGRATE_DATABASE_URL to the owner and DATABASE_URL to the role " + postgis.AppRole)
		}
		return db, func() { db.Close(); stop() }, nil
	}
	db.Close()
	appURL := cfg.DatabaseURL
	if private {
		appURL = url + " user=" + postgis.AppRole // the socket trusts the cluster's own roles
	}
	appDB, err := postgis.Open(ctx, postgis.Config{URL: appURL, NoMigrate: true, Logger: logger,
		StatementTimeout: cfg.StatementTimeout, Warm: true})
	if err != nil {
		stop()
		return nil, nil, err
	}
	return appDB, func() { appDB.Close(); stop() }, nil
}

// ensureAppRole sets up the application role on db, as its owner, where
// the server runs as that role: on the private cluster, with
// MAILLAGE_MIGRATE_DATABASE_URL, or when MAILLAGE_APP_DB_PASSWORD is set.
func ensureAppRole(ctx context.Context, cfg config, db *postgis.DB) error {
	if cfg.DatabaseURL != "" && cfg.MigrateDatabaseURL == "" && cfg.AppDBPassword == "" {
		return nil
	}
	if err := db.EnsureAppRole(ctx, cfg.AppDBPassword); err != nil {
		return fmt.Errorf("setting up the role %s: %w", postgis.AppRole, err)
	}
	return nil
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
