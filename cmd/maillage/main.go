// Command maillage serves and manages the map of ESS actors of a territory.
//
//	maillage serve                  start the web server
//	maillage import [flags] FILE    import actors from a CSV or GeoJSON file
//	maillage export --format csv|geojson [--output FILE] [--raw]
//	maillage token create|revoke|list [NAME]
//	maillage user create|reset|list [EMAIL]
//	maillage geocode                geocode the actors waiting for a point
//	maillage addresses import FILE... import BAN address files for the local geocoder
//	maillage territories import FILE  import communes, EPCI, départements or regions
//	maillage migrate                apply database migrations
//	maillage db stop [--test]       stop the private PostgreSQL cluster
//
// The load tool, with its synthetic data, is the separate command
// cmd/maillage-bench.
package main

import (
	"context"
	"fmt"
	"io"

	"github.com/maillage/maillage/internal/cli"
)

func main() {
	cli.Main("maillage", usageText, run)
}

// usagef returns a usage error: a mistake in the command line.
var usagef = cli.Usagef

const usageText = `
Usage:
  maillage serve                      start the web server (MAILLAGE_ADDR, default :8080)
  maillage import [flags] FILE        import actors from a CSV or GeoJSON file
      --map COLUMN=field (repeatable) --sector SLUG --status draft|published|archived
      --source NAME --attribution TEXT --dry-run --apply-proposals
      --schema data-inclusion (a CSV or JSON file of data·inclusion structures)
  maillage sectors propose [--apply] count (and give) the sectors proposed from NAF codes, names, descriptions
  maillage export --format csv|geojson [--output FILE] [--raw]
  maillage token create NAME [--role ROLE] | token revoke NAME | token list
                                      API tokens; ROLE admin, keeper (default), moderator or animator
  maillage user create EMAIL [--role ROLE] | user reset EMAIL | user list
                                      accounts; create and reset print a one-time link to set the password
  maillage geocode                    geocode every actor waiting for a point (MAILLAGE_GEOCODER)
  maillage addresses import FILE...   import BAN address files (adresses-XX.csv or BAL) for the local geocoder
  maillage territories import [--level L] [--source NAME] [--attribution TEXT] [--dry-run] [--json] FILE
                                      import territories: GeoJSON polygons (communes, EPCI, départements,
                                      regions), the national commune table or commune points (CSV)
  maillage coverage refresh [--all]   bring the stored coverage up to date now (--all: every sector again)
  maillage migrate                    apply database migrations
  maillage db stop [--test]           stop the private PostgreSQL cluster

Without DATABASE_URL every command uses the private PostgreSQL cluster under
MAILLAGE_DATA_DIR (default ./var), started when needed and shared with a
running "maillage serve".
`

// run is the whole program: main only supplies the process's environment,
// so tests can call run directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		return usagef("no command given")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, cfg.LogLevel)
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "serve":
		return serve(ctx, cfg, logger, rest, stdout)
	case "import":
		return importCmd(ctx, cfg, logger, rest, stdout)
	case "export":
		return exportCmd(ctx, cfg, logger, rest, stdout)
	case "sectors":
		return sectorsCmd(ctx, cfg, logger, rest, stdout)
	case "token":
		return tokenCmd(ctx, cfg, logger, rest, stdout)
	case "user":
		return userCmd(ctx, cfg, logger, rest, stdout)
	case "migrate":
		return migrateCmd(ctx, cfg, logger, rest, stdout)
	case "geocode":
		return geocodeCmd(ctx, cfg, logger, rest, stdout)
	case "addresses":
		return addressesCmd(ctx, cfg, logger, rest, stdout)
	case "territories":
		return territoriesCmd(ctx, cfg, logger, rest, stdout)
	case "coverage":
		return coverageCmd(ctx, cfg, logger, rest, stdout)
	case "db":
		return dbCmd(ctx, cfg, rest, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
		return nil
	}
	return usagef("unknown command %q", cmd)
}
