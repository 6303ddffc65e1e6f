package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/maillage/maillage/frontend"
	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
	"github.com/maillage/maillage/geo/geocoding"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/geo/territoryfile"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/smtpmail"
)

// serve runs the web server until ctx ends, then shuts down gracefully and
// stops the private database cluster if it started it.
func serve(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usagef("serve takes no arguments")
	}
	a, err := openAppAs(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer a.close()
	if cfg.DemoDir != "" {
		if err := importDemoTerritories(ctx, a, cfg.DemoDir, logger); err != nil {
			return fmt.Errorf("demo import: %w", err)
		}
		if err := importDemo(ctx, a, cfg.DemoDir, logger); err != nil {
			return fmt.Errorf("demo import: %w", err)
		}
	}
	if missing, err := a.zone.Missing(ctx); err != nil {
		return err
	} else if len(missing) > 0 {
		logger.Warn("MAILLAGE_TERRITORY names territories without polygon: points are not checked against them; import them with maillage territories import",
			"codes", missing)
	}
	opts := handlers.DefaultOptions()
	opts.GeoJSONMax = cfg.GeoJSONMax
	opts.MaxImportBytes, opts.ImportSyncMax = cfg.MaxImportBytes, cfg.ImportSyncMax
	opts.TrustedProxies = cfg.TrustedProxies
	opts.PublicURL, opts.HeavyExports = cfg.PublicURL, cfg.HeavyExports
	opts.RequestTimeout, opts.LongRequestTimeout = cfg.RequestTimeout, cfg.LongRequestTimeout
	opts.Page.BasemapURL, opts.Page.BasemapAttribution = cfg.BasemapURL, cfg.BasemapAttrib
	opts.LegalForms = a.forms
	opts.DefaultSector = cfg.DefaultSector
	opts.TileActorZoom, opts.TileCacheControl = cfg.TileActorZoom, cfg.TileCacheControl
	// One LISTEN connection hears the tile data version, token
	// revocations and workshop events; it starts once all are set.
	listener := postgis.NewListener(a.db)
	// The stored coverage is brought up to date after each change of the
	// data, in the background; servers on one database take turns.
	coverage := postgis.NewCoverageStore(a.db)
	refresher := postgis.NewCoverageRefresher(coverage)
	refresher.Debounce = cfg.CoverageDebounce
	refresher.Refreshed = func(res postgis.CoverageRefresh, err error) {
		if err != nil {
			logger.Warn("coverage refresh", "err", err)
			return
		}
		logger.Info("coverage refreshed", "sectors", res.Sectors, "all", res.All, "took", res.Took)
	}
	tileStore, tileCache, closeTiles, err := openTiles(ctx, a, cfg, listener, refresher.Changed, logger)
	if err != nil {
		return err
	}
	defer closeTiles()
	opts.GeocodePerMinute = cfg.GeocodePerMinute
	opts.SuggestionMinFill = cfg.SuggestionMinFill
	if opts.FormKey, err = a.db.Secret(ctx, "suggestion_form_key"); err != nil {
		return err
	}
	// Keepers' tokens are cached while revocations are heard.
	a.tokens.ListenTokens(listener)
	chain := newChain(cfg, a)
	var geocoder geo.Geocoder
	if chain != nil {
		geocoder = chain
	}
	if frontend.Built() {
		opts.Frontend = frontend.FS()
	} else {
		logger.Warn("the web page is not built: run make build")
	}
	opts.WorkshopJoinFailures, opts.WorkshopStreamsPerIP = cfg.WorkshopJoinFailures, cfg.WorkshopStreamsPerIP
	opts.WorkshopHeartbeat = cfg.WorkshopHeartbeat
	workshopEvents, stopWorkshopEvents := openWorkshopEvents(a, listener, logger)
	defer stopWorkshopEvents()
	listenCtx, stopListening := context.WithCancel(context.Background())
	listenDone := make(chan struct{})
	go func() { defer close(listenDone); listener.Run(listenCtx, 10*time.Second) }()
	defer func() { stopListening(); <-listenDone }()
	jobs := postgis.NewImportJobStore(a.db)
	if n, err := jobs.InterruptStale(ctx); err != nil {
		return err
	} else if n > 0 {
		logger.Warn("import jobs interrupted by a stop of their server: nothing of them was stored", "jobs", n)
	}
	var mailer handlers.Mailer
	if cfg.SMTPURL != "" {
		m, err := smtpmail.New(cfg.SMTPURL)
		if err != nil {
			return err
		}
		mailer = m
	}
	hs := handlers.NewServer(logger, handlers.Deps{
		Actors:      a.actors,
		Sectors:     a.sectors,
		Auth:        a.tokens,
		Importer:    a.importer,
		Imports:     jobs,
		DB:          a.db,
		Unavailable: postgis.Unavailable,

		Tiles:     tileStore,
		TileCache: tileCache,
		Nearby:    a.actors,

		Geocoder:  geocoder,
		Geocoding: a.geocoding,

		History:     a.actors,
		Suggestions: postgis.NewSuggestionStore(a.db),
		Users:       postgis.NewUserStore(a.db),
		Mailer:      mailer,

		Workshops:      postgis.NewWorkshopStore(a.db),
		WorkshopEvents: workshopEvents,

		Territories:       postgis.NewTerritoryStore(a.db),
		TerritoryImporter: &territoryfile.Importer{Store: postgis.NewTerritoryStore(a.db)},
		TerritoryTiles:    tileStore,
		Coverage:          coverage,
		Territory:         a.zone,
		Features:          postgis.NewFeatureStore(a.db),
	}, opts)
	srv := hs.HTTPServer(cfg.Addr)
	defer hs.StopImports()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "maillage listening on http://%s\n", displayAddr(ln.Addr()))
	// Background geocoding of the actors waiting for a point, stopped
	// with ctx before the database closes.
	geocodeCtx, stopGeocoding := context.WithCancel(geo.WithAuthor(ctx, geo.Author{Who: "geocoder", Route: "geocoding"}))
	geocodeDone := make(chan struct{})
	defer func() { stopGeocoding(); <-geocodeDone }()
	if chain != nil {
		runner := &geocoding.Runner{Store: a.geocoding, Chain: chain, Logger: logger}
		go func() { defer close(geocodeDone); runner.Loop(geocodeCtx, cfg.GeocodeInterval) }()
	} else {
		close(geocodeDone)
	}
	// Proposers' emails go 30 days after the decision, checked hourly.
	suggestions := postgis.NewSuggestionStore(a.db)
	purgeDone := make(chan struct{})
	defer func() { stopGeocoding(); <-purgeDone }()
	go func() {
		defer close(purgeDone)
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if n, err := suggestions.PurgeEmails(geocodeCtx); err != nil && geocodeCtx.Err() == nil {
				logger.Warn("purging proposers' emails", "err", err)
			} else if n > 0 {
				logger.Info("proposers' emails deleted 30 days after the decision", "suggestions", n)
			}
			select {
			case <-geocodeCtx.Done():
				return
			case <-t.C:
			}
		}
	}()
	refreshDone := make(chan struct{})
	defer func() { stopGeocoding(); <-refreshDone }()
	go func() { defer close(refreshDone); refresher.Run(geocodeCtx) }()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	stopWorkshopEvents() // ends the event streams, which Shutdown would wait for
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// displayAddr turns a listening address into one a browser can open.
func displayAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", tcp.Port)
	}
	return tcp.String()
}

// demoFiles are the actor files of the shared demo folder, with their
// sector and the attribution their licence requires.
var demoFiles = []struct {
	path string
	opt  actorfile.Options
}{
	// The SIAE list files every structure under insertion; the proposals
	// add réemploi to its recycling shops (NAF 38.32Z, recycleries...).
	{"actors/siae-france.geojson", actorfile.Options{Sector: "insertion", Source: "ASP",
		Attribution: "Liste des SIAE (ASP / Ministère du Travail)", ApplyProposals: true}},
	{"actors/transiscope-niort-2020.geojson", actorfile.Options{Source: "Transiscope",
		Attribution: "Transiscope (ODbL)"}},
}

// importDemo imports the demo folder's actors once, on the first start of
// an empty directory.
func importDemo(ctx context.Context, a *app, dir string, logger *slog.Logger) error {
	paths := make([]string, len(demoFiles))
	for i, d := range demoFiles {
		paths[i] = d.path
	}
	return importDemoOnce(ctx, a, dir, "demo_imported", paths, logger,
		func(i int, f *os.File, path string) (int, int, int, error) {
			res, err := a.importer.Import(geo.WithAuthor(ctx, geo.Author{Who: "system", Route: "demo import"}), f, path, demoFiles[i].opt, nil)
			if err != nil {
				return 0, 0, 0, err
			}
			return res.Created, res.Updated, len(res.Failed), nil
		})
}

// importDemoOnce imports the files at paths in the demo folder dir with
// imp, unless the setting says it was done; a missing file is skipped with
// a warning. Then it records the setting.
func importDemoOnce(ctx context.Context, a *app, dir, setting string, paths []string, logger *slog.Logger,
	imp func(i int, f *os.File, path string) (created, updated, failed int, err error)) error {
	done, err := a.db.Setting(ctx, setting)
	if err != nil || done != "" {
		return err
	}
	for i, rel := range paths {
		p := filepath.Join(dir, rel)
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			logger.Warn("demo file missing", "path", p)
			continue
		}
		if err != nil {
			return err
		}
		created, updated, failed, err := imp(i, f, p)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		logger.Info("demo file imported", "file", p, "created", created, "updated", updated, "failed", failed)
	}
	return a.db.SetSetting(ctx, setting, time.Now().UTC().Format(time.RFC3339))
}
