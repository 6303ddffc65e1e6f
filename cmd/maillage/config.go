package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/ban"
	"github.com/maillage/maillage/geo/nominatim"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/handlers"
	"github.com/maillage/maillage/internal/cli"
	"github.com/maillage/maillage/internal/smtpmail"
	"github.com/maillage/maillage/tiles"
)

// config is every setting of maillage, read from the environment. The
// defaults are visible here and in the README's table.
type config struct {
	DatabaseURL string // DATABASE_URL; empty: a private cluster in DataDir
	// MAILLAGE_MIGRATE_DATABASE_URL: the owner, for migrations; DATABASE_URL is then the server's role
	MigrateDatabaseURL string
	AppDBPassword      string // MAILLAGE_APP_DB_PASSWORD: password given to the role maillage_app
	Addr               string // MAILLAGE_ADDR
	DataDir            string // MAILLAGE_DATA_DIR
	DemoDir            string // MAILLAGE_DEMO_DIR: imported on first start when set
	PGBinDir           string // MAILLAGE_PG_BINDIR
	LogLevel           slog.Level
	LegalForms         string // MAILLAGE_LEGAL_FORMS: INSEE catégories juridiques CSV
	DefaultSector      string // MAILLAGE_DEFAULT_SECTOR
	GeoJSONMax         int    // MAILLAGE_GEOJSON_MAX
	MaxImportBytes     int64  // MAILLAGE_MAX_IMPORT_BYTES
	ImportSyncMax      int64  // MAILLAGE_IMPORT_SYNC_BYTES: larger uploads run as import jobs
	TrustedProxies     []*net.IPNet
	PublicURL          *url.URL           // MAILLAGE_PUBLIC_URL: origin of the links the server gives; nil: the request's Host
	HeavyExports       int                // MAILLAGE_HEAVY_EXPORTS: concurrent actor CSV and GeoJSON exports; 0: no limit
	Territory          []geo.TerritoryRef // MAILLAGE_TERRITORY: codes of the territories points are expected in; none: France
	SMTPURL            string             // MAILLAGE_SMTP_URL: where password links are mailed from; empty: the CLI gives them
	SuggestionMinFill  time.Duration      // MAILLAGE_SUGGESTION_MIN_FILL: a suggestion sent sooner after its form is dropped

	RequestTimeout     time.Duration // MAILLAGE_REQUEST_TIMEOUT: deadline of a request, then 503
	LongRequestTimeout time.Duration // MAILLAGE_LONG_REQUEST_TIMEOUT: deadline of imports and exports
	StatementTimeout   time.Duration // MAILLAGE_STATEMENT_TIMEOUT: statement_timeout of the pool
	BasemapURL         string
	BasemapAttrib      string

	TileActorZoom    int    // MAILLAGE_TILES_ACTOR_ZOOM: first zoom of single actors; clusters below
	TileCacheBytes   int64  // MAILLAGE_TILES_CACHE_BYTES: memory of the tile cache; 0: none
	TileCacheControl string // MAILLAGE_TILES_CACHE_CONTROL

	Geocoders        []string      // MAILLAGE_GEOCODER: tried in order; empty: none
	BanURL           string        // MAILLAGE_BAN_URL
	NominatimURL     string        // MAILLAGE_NOMINATIM_URL
	GeocodeMinScore  float64       // MAILLAGE_GEOCODE_MIN_SCORE: accepted without review from this score
	GeocodeInterval  time.Duration // MAILLAGE_GEOCODE_INTERVAL: how often serve looks for actors to geocode
	CoverageDebounce time.Duration // MAILLAGE_COVERAGE_DEBOUNCE: the pause in changes serve waits for before refreshing coverage
	GeocodePerMinute int           // MAILLAGE_GEOCODE_RATE: /api/geocode requests per client IP and minute

	WorkshopJoinFailures int           // MAILLAGE_WORKSHOP_JOIN_RATE: wrong join codes per client IP and minute
	WorkshopStreamsPerIP int           // MAILLAGE_WORKSHOP_STREAMS_PER_IP: open event streams per client IP
	WorkshopHeartbeat    time.Duration // MAILLAGE_WORKSHOP_HEARTBEAT: comment line on idle event streams
}

// legalFormsFile is the INSEE legal-form table inside a demo folder.
const legalFormsFile = "taxonomies/annuaire-entreprises_categories-juridiques.csv"

func loadConfig(getenv func(string) string) (config, error) {
	def := handlers.DefaultOptions()
	env := cli.Env(getenv)
	cfg := config{
		DatabaseURL:        env("DATABASE_URL", ""),
		MigrateDatabaseURL: env("MAILLAGE_MIGRATE_DATABASE_URL", ""),
		AppDBPassword:      env("MAILLAGE_APP_DB_PASSWORD", ""),
		Addr:               env("MAILLAGE_ADDR", ":8080"),
		DataDir:            env("MAILLAGE_DATA_DIR", "./var"),
		DemoDir:            env("MAILLAGE_DEMO_DIR", ""),
		PGBinDir:           env("MAILLAGE_PG_BINDIR", ""),
		LegalForms:         env("MAILLAGE_LEGAL_FORMS", ""),
		DefaultSector:      env("MAILLAGE_DEFAULT_SECTOR", "autres"),
		BasemapURL:         env("MAILLAGE_BASEMAP_URL", def.Page.BasemapURL),
		BasemapAttrib:      env("MAILLAGE_BASEMAP_ATTRIBUTION", def.Page.BasemapAttribution),
	}
	var err error
	if cfg.DataDir, err = filepath.Abs(cfg.DataDir); err != nil {
		return cfg, err
	}
	if cfg.LegalForms == "" && cfg.DemoDir != "" {
		if p := filepath.Join(cfg.DemoDir, legalFormsFile); fileExists(p) {
			cfg.LegalForms = p
		}
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(env("MAILLAGE_LOG_LEVEL", "info"))); err != nil {
		return cfg, fmt.Errorf("MAILLAGE_LOG_LEVEL: %w", err)
	}
	if cfg.GeoJSONMax, err = strconv.Atoi(env("MAILLAGE_GEOJSON_MAX", strconv.Itoa(def.GeoJSONMax))); err != nil || cfg.GeoJSONMax < 1 {
		return cfg, fmt.Errorf("MAILLAGE_GEOJSON_MAX: a positive integer")
	}
	if cfg.MaxImportBytes, err = strconv.ParseInt(env("MAILLAGE_MAX_IMPORT_BYTES", strconv.FormatInt(def.MaxImportBytes, 10)), 10, 64); err != nil || cfg.MaxImportBytes < 1 {
		return cfg, fmt.Errorf("MAILLAGE_MAX_IMPORT_BYTES: a positive number of bytes")
	}
	if cfg.ImportSyncMax, err = strconv.ParseInt(env("MAILLAGE_IMPORT_SYNC_BYTES", strconv.FormatInt(def.ImportSyncMax, 10)), 10, 64); err != nil || cfg.ImportSyncMax < 0 {
		return cfg, fmt.Errorf("MAILLAGE_IMPORT_SYNC_BYTES: a number of bytes")
	}
	if cfg.Geocoders, err = parseGeocoders(env("MAILLAGE_GEOCODER", "local,ban")); err != nil {
		return cfg, err
	}
	cfg.BanURL = env("MAILLAGE_BAN_URL", ban.DefaultURL)
	cfg.NominatimURL = env("MAILLAGE_NOMINATIM_URL", nominatim.DefaultURL)
	if cfg.GeocodeMinScore, err = strconv.ParseFloat(env("MAILLAGE_GEOCODE_MIN_SCORE", "0.8"), 64); err != nil || cfg.GeocodeMinScore < 0 || cfg.GeocodeMinScore > 1 {
		return cfg, fmt.Errorf("MAILLAGE_GEOCODE_MIN_SCORE: a number from 0 to 1")
	}
	if cfg.GeocodeInterval, err = time.ParseDuration(env("MAILLAGE_GEOCODE_INTERVAL", "1m")); err != nil || cfg.GeocodeInterval <= 0 {
		return cfg, fmt.Errorf("MAILLAGE_GEOCODE_INTERVAL: a duration such as 1m or 30s")
	}
	if cfg.CoverageDebounce, err = time.ParseDuration(env("MAILLAGE_COVERAGE_DEBOUNCE", "2s")); err != nil || cfg.CoverageDebounce < 0 {
		return cfg, fmt.Errorf("MAILLAGE_COVERAGE_DEBOUNCE: a duration such as 2s or 500ms")
	}
	if cfg.GeocodePerMinute, err = strconv.Atoi(env("MAILLAGE_GEOCODE_RATE", strconv.Itoa(def.GeocodePerMinute))); err != nil || cfg.GeocodePerMinute < 0 {
		return cfg, fmt.Errorf("MAILLAGE_GEOCODE_RATE: a number of requests per minute (0: no limit)")
	}
	if cfg.WorkshopJoinFailures, err = strconv.Atoi(env("MAILLAGE_WORKSHOP_JOIN_RATE", strconv.Itoa(def.WorkshopJoinFailures))); err != nil || cfg.WorkshopJoinFailures < 0 {
		return cfg, fmt.Errorf("MAILLAGE_WORKSHOP_JOIN_RATE: a number of wrong codes per minute (0: no limit)")
	}
	if cfg.WorkshopStreamsPerIP, err = strconv.Atoi(env("MAILLAGE_WORKSHOP_STREAMS_PER_IP", strconv.Itoa(def.WorkshopStreamsPerIP))); err != nil || cfg.WorkshopStreamsPerIP < 0 {
		return cfg, fmt.Errorf("MAILLAGE_WORKSHOP_STREAMS_PER_IP: a number of streams (0: no limit)")
	}
	if cfg.WorkshopHeartbeat, err = time.ParseDuration(env("MAILLAGE_WORKSHOP_HEARTBEAT", def.WorkshopHeartbeat.String())); err != nil || cfg.WorkshopHeartbeat <= 0 {
		return cfg, fmt.Errorf("MAILLAGE_WORKSHOP_HEARTBEAT: a duration such as 15s")
	}
	if cfg.TileActorZoom, err = strconv.Atoi(env("MAILLAGE_TILES_ACTOR_ZOOM", strconv.Itoa(def.TileActorZoom))); err != nil || cfg.TileActorZoom < 0 || cfg.TileActorZoom > tiles.ClusterZooms {
		return cfg, fmt.Errorf("MAILLAGE_TILES_ACTOR_ZOOM: a zoom from 0 to %d", tiles.ClusterZooms)
	}
	if cfg.TileCacheBytes, err = strconv.ParseInt(env("MAILLAGE_TILES_CACHE_BYTES", "67108864"), 10, 64); err != nil || cfg.TileCacheBytes < 0 {
		return cfg, fmt.Errorf("MAILLAGE_TILES_CACHE_BYTES: a number of bytes (0: no cache)")
	}
	cfg.TileCacheControl = env("MAILLAGE_TILES_CACHE_CONTROL", def.TileCacheControl)
	if cfg.MigrateDatabaseURL != "" && cfg.DatabaseURL == "" {
		return cfg, fmt.Errorf("MAILLAGE_MIGRATE_DATABASE_URL is the owner's URL for migrations: DATABASE_URL must then name the server's role (%s)", postgis.AppRole)
	}
	if v := env("MAILLAGE_PUBLIC_URL", ""); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return cfg, fmt.Errorf("MAILLAGE_PUBLIC_URL: %q is not an http(s) origin such as https://carte.example.org", v)
		}
		cfg.PublicURL = u
	}
	if cfg.Territory, err = geo.ParseTerritoryRefs(env("MAILLAGE_TERRITORY", ""), "MAILLAGE_TERRITORY"); err != nil {
		return cfg, fmt.Errorf("MAILLAGE_TERRITORY: codes of imported territories separated by commas, such as 29,17 or region:53: %w", err)
	}
	cfg.SMTPURL = env("MAILLAGE_SMTP_URL", "")
	if cfg.SuggestionMinFill, err = time.ParseDuration(env("MAILLAGE_SUGGESTION_MIN_FILL", def.SuggestionMinFill.String())); err != nil || cfg.SuggestionMinFill < 0 {
		return cfg, fmt.Errorf("MAILLAGE_SUGGESTION_MIN_FILL: a duration such as 3s")
	}
	if cfg.SMTPURL != "" {
		if _, err := smtpmail.New(cfg.SMTPURL); err != nil {
			return cfg, fmt.Errorf("MAILLAGE_SMTP_URL: %v (smtp://user:password@host:587?from=carte@example.org)", err)
		}
	}
	if cfg.HeavyExports, err = strconv.Atoi(env("MAILLAGE_HEAVY_EXPORTS", strconv.Itoa(def.HeavyExports))); err != nil || cfg.HeavyExports < 0 {
		return cfg, fmt.Errorf("MAILLAGE_HEAVY_EXPORTS: a number of exports (0: no limit)")
	}
	for name, d := range map[string]*time.Duration{"MAILLAGE_REQUEST_TIMEOUT": &cfg.RequestTimeout,
		"MAILLAGE_LONG_REQUEST_TIMEOUT": &cfg.LongRequestTimeout, "MAILLAGE_STATEMENT_TIMEOUT": &cfg.StatementTimeout} {
		fallback := map[string]time.Duration{"MAILLAGE_REQUEST_TIMEOUT": def.RequestTimeout,
			"MAILLAGE_LONG_REQUEST_TIMEOUT": def.LongRequestTimeout, "MAILLAGE_STATEMENT_TIMEOUT": postgis.DefaultStatementTimeout}[name]
		if *d, err = time.ParseDuration(env(name, fallback.String())); err != nil || *d <= 0 {
			return cfg, fmt.Errorf("%s: a duration such as 15s or 5m", name)
		}
	}
	for _, s := range strings.Split(env("MAILLAGE_TRUSTED_PROXIES", ""), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return cfg, fmt.Errorf("MAILLAGE_TRUSTED_PROXIES: %q is not a CIDR range such as 10.0.0.0/8", s)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, n)
	}
	return cfg, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
