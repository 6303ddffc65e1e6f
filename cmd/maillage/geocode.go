package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/ban"
	"github.com/maillage/maillage/geo/geocoding"
	"github.com/maillage/maillage/geo/nominatim"
	"github.com/maillage/maillage/geo/postgis"
)

// userAgent names maillage to the geocoding services, as Nominatim's
// usage policy asks.
const userAgent = "maillage/1 (+https://github.com/maillage/maillage)"

// geocoderNames are the values of MAILLAGE_GEOCODER.
var geocoderNames = []string{postgis.LocalGeocoder, ban.Name, nominatim.Name, "none"}

// parseGeocoders reads MAILLAGE_GEOCODER: one name or a comma list.
func parseGeocoders(s string) ([]string, error) {
	var out []string
	for _, n := range strings.Split(s, ",") {
		n = strings.ToLower(strings.TrimSpace(n))
		switch n {
		case "":
			continue
		case "none":
			return nil, nil
		case postgis.LocalGeocoder, ban.Name, nominatim.Name:
			out = append(out, n)
		default:
			return nil, fmt.Errorf("MAILLAGE_GEOCODER: unknown geocoder %q (one of %s, or a comma list)", n, strings.Join(geocoderNames, ", "))
		}
	}
	return out, nil
}

// newChain builds the geocoders of cfg, in order: the remote ones behind
// the database cache. Returns nil when there is none.
func newChain(cfg config, a *app) *geocoding.Chain {
	if len(cfg.Geocoders) == 0 {
		return nil
	}
	rule := geocoding.DefaultAcceptRule
	rule.MinScore = cfg.GeocodeMinScore
	chain := &geocoding.Chain{Rule: rule}
	for _, name := range cfg.Geocoders {
		switch name {
		case postgis.LocalGeocoder:
			chain.Geocoders = append(chain.Geocoders, a.addresses)
		case ban.Name:
			chain.Geocoders = append(chain.Geocoders, &geocoding.Cached{Name: name, Cache: a.geocoding,
				Geocoder: ban.New(cfg.BanURL, userAgent, nil)})
		case nominatim.Name:
			chain.Geocoders = append(chain.Geocoders, &geocoding.Cached{Name: name, Cache: a.geocoding,
				Geocoder: nominatim.New(cfg.NominatimURL, userAgent, nil)})
		}
	}
	return chain
}

// geocodeCmd geocodes every actor waiting for a point and prints what it
// did.
func geocodeCmd(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usagef("geocode takes no arguments")
	}
	if len(cfg.Geocoders) == 0 {
		return fmt.Errorf("no geocoder: MAILLAGE_GEOCODER is none")
	}
	a, err := openApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()
	runner := &geocoding.Runner{Store: a.geocoding, Chain: newChain(cfg, a), Logger: logger}
	bar := newProgress(stdout, "geocode")
	runner.OnPause = func(geocoder string, wait time.Duration) {
		if wait > 0 {
			bar.describe(fmt.Sprintf("geocode: %s asks to wait %s", geocoder, wait))
		} else {
			bar.describe("geocode")
		}
	}
	start := time.Now()
	sum, err := runner.Run(geo.WithAuthor(ctx, geo.Author{Who: "geocoder", Route: "maillage geocode"}), bar.callback())
	bar.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "geocoded %d actors in %s with %s: %d accepted, %d to review, %d not found\n",
		sum.Done(), time.Since(start).Round(time.Millisecond), strings.Join(cfg.Geocoders, ","),
		sum.Accepted, sum.Review, sum.Failed)
	if sum.Postponed > 0 || sum.Left > 0 {
		fmt.Fprintf(stdout, "  %d postponed (geocoder unavailable), %d still waiting: run again later\n", sum.Postponed, sum.Left)
	}
	if sum.Review > 0 {
		fmt.Fprintln(stdout, "  review them with GET /api/geocoding/review or on the map in correction mode")
	}
	return nil
}

// addressesCmd imports BAN address files for the local geocoder.
func addressesCmd(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) < 1 || args[0] != "import" {
		return usagef("addresses: use \"addresses import FILE...\"")
	}
	fs := flag.NewFlagSet("addresses import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args[1:]); err != nil {
		return usagef("addresses import: %v", err)
	}
	if fs.NArg() == 0 {
		return usagef("addresses import takes at least one FILE")
	}
	a, err := openApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()
	for _, path := range fs.Args() {
		if err := importAddresses(ctx, a, path, stdout); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

func importAddresses(ctx context.Context, a *app, path string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var progress func(int)
	bar := newProgress(stdout, path)
	if bar != nil {
		progress = func(n int) { bar.update(n, -1) }
	}
	start := time.Now()
	res, err := a.addresses.ImportAddresses(ctx, f, progress)
	bar.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d addresses on %d streets (%s layout) in %s", path, res.Rows, res.Streets,
		res.Layout, time.Since(start).Round(time.Millisecond))
	if res.Skipped > 0 {
		fmt.Fprintf(stdout, ", %d rows skipped (no id, street, commune or point)", res.Skipped)
	}
	fmt.Fprintln(stdout)
	return nil
}
