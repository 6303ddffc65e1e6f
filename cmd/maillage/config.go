package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/maillage/maillage/handlers"
)

// config is every setting of maillage, read from the environment. The
// defaults are visible here and in the README's table.
type config struct {
	DatabaseURL    string // DATABASE_URL; empty: a private cluster in DataDir
	Addr           string // MAILLAGE_ADDR
	DataDir        string // MAILLAGE_DATA_DIR
	DemoDir        string // MAILLAGE_DEMO_DIR: imported on first start when set
	PGBinDir       string // MAILLAGE_PG_BINDIR
	LogLevel       slog.Level
	LegalForms     string // MAILLAGE_LEGAL_FORMS: INSEE catégories juridiques CSV
	DefaultSector  string // MAILLAGE_DEFAULT_SECTOR
	GeoJSONMax     int    // MAILLAGE_GEOJSON_MAX
	MaxImportBytes int64  // MAILLAGE_MAX_IMPORT_BYTES
	TrustedProxies []*net.IPNet
	BasemapURL     string
	BasemapAttrib  string
}

// legalFormsFile is the INSEE legal-form table inside a demo folder.
const legalFormsFile = "taxonomies/annuaire-entreprises_categories-juridiques.csv"

func loadConfig(getenv func(string) string) (config, error) {
	def := handlers.DefaultOptions()
	env := func(name, fallback string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return fallback
	}
	cfg := config{
		DatabaseURL:   env("DATABASE_URL", ""),
		Addr:          env("MAILLAGE_ADDR", ":8080"),
		DataDir:       env("MAILLAGE_DATA_DIR", "./var"),
		DemoDir:       env("MAILLAGE_DEMO_DIR", ""),
		PGBinDir:      env("MAILLAGE_PG_BINDIR", ""),
		LegalForms:    env("MAILLAGE_LEGAL_FORMS", ""),
		DefaultSector: env("MAILLAGE_DEFAULT_SECTOR", "autres"),
		BasemapURL:    env("MAILLAGE_BASEMAP_URL", def.Page.BasemapURL),
		BasemapAttrib: env("MAILLAGE_BASEMAP_ATTRIBUTION", def.Page.BasemapAttribution),
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
