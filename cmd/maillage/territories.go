package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/geo/territoryfile"
)

// territoriesCmd runs `maillage territories import [flags] FILE`.
func territoriesCmd(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return usagef("territories: the only subcommand is import")
	}
	fs := flag.NewFlagSet("territories import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	level := fs.String("level", "", "level of a GeoJSON file's rows: commune, epci, departement or region (default: from each code)")
	source := fs.String("source", "", "source name (default: the file's name)")
	attribution := fs.String("attribution", "", "attribution required by the data's licence")
	dryRun := fs.Bool("dry-run", false, "report without writing")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return usagef("territories import: %v", err)
	}
	if fs.NArg() != 1 {
		return usagef("territories import takes exactly one FILE")
	}
	if *level != "" && geo.LevelRank(*level) < 0 {
		return usagef("territories import: --level must be commune, epci, departement or region")
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	a, err := openApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()
	var bar *progressBar
	if !*asJSON {
		bar = newProgress(stdout, "territories")
	}
	im := &territoryfile.Importer{Store: postgis.NewTerritoryStore(a.db)}
	res, err := im.Import(ctx, f, path, territoryfile.Options{Level: *level, DryRun: *dryRun,
		Source: *source, Attribution: *attribution}, bar.callback())
	bar.finish()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printTerritoryReport(stdout, path, res)
	return nil
}

// printTerritoryReport writes res for a person.
func printTerritoryReport(w io.Writer, path string, res *geo.TerritoryImportResult) {
	verb := "imported"
	if res.DryRun {
		verb = "checked (dry run, nothing written)"
	}
	fmt.Fprintf(w, "%s: %s %d rows (%s)\n  created %d, updated %d, unchanged %d, failed %d\n",
		path, verb, res.Rows, res.Format, res.Created, res.Updated, res.Unchanged, len(res.Failed))
	fmt.Fprintf(w, "  polygons built from communes: %d; actors placed again: %d\n", res.Derived, res.ActorsPlaced)
	problems := func(title string, ps []geo.ImportReason) {
		if len(ps) == 0 {
			return
		}
		fmt.Fprintf(w, "  %s:\n", title)
		for _, p := range ps {
			where := fmt.Sprintf("row %d", p.Row)
			if p.Code != "" {
				where += " (" + p.Code + ")"
			}
			if p.Field != "" {
				where += ", " + p.Field
			}
			fmt.Fprintf(w, "    %s: %s\n", where, p.Reason)
		}
	}
	problems("skipped rows", res.Failed)
	problems("warnings", res.Warnings)
	list := func(title string, codes []string) {
		if len(codes) == 0 {
			return
		}
		shown := codes
		if len(shown) > 20 {
			shown = shown[:20]
		}
		fmt.Fprintf(w, "  %s: %d %v", title, len(codes), shown)
		if len(codes) > len(shown) {
			fmt.Fprint(w, " …")
		}
		fmt.Fprintln(w)
	}
	list("communes without polygon nor point (kept, no distance)", res.CommunesWithoutPoint)
	list("communes without population (kept, counted as 0)", res.CommunesWithoutPopulation)
}

// demoTerritories are the territory files of the shared demo folder, in
// import order: names of 2026 come after those of the 2018 points.
var demoTerritories = []struct {
	path string
	opt  territoryfile.Options
}{
	{"territories/departements-simplified.geojson", territoryfile.Options{Level: geo.LevelDepartement,
		Source: "departements-simplified", Attribution: "IGN Admin Express COG 2018 (Licence Ouverte 2.0)"}},
	{"territories/communes-29-finistere.geojson", territoryfile.Options{Level: geo.LevelCommune,
		Source: "communes-polygones", Attribution: "IGN Admin Express COG 2018 (Licence Ouverte 2.0)"}},
	{"territories/communes-17-charente-maritime.geojson", territoryfile.Options{Level: geo.LevelCommune,
		Source: "communes-polygones", Attribution: "IGN Admin Express COG 2018 (Licence Ouverte 2.0)"}},
	{"territories/communes-france-points-2018.csv", territoryfile.Options{Source: "communes-points",
		Attribution: "IGN Admin Express COG 2018 (Licence Ouverte 2.0)"}},
	{"territories/communes-france-2026.csv", territoryfile.Options{Source: "communes-2026",
		Attribution: "COG 2026, @etalab/decoupage-administratif (Licence Ouverte 2.0)"}},
}

// importDemoTerritories imports the demo folder's territories once, on the
// first start of a directory that has none.
func importDemoTerritories(ctx context.Context, a *app, dir string, logger *slog.Logger) error {
	done, err := a.db.Setting(ctx, "demo_territories_imported")
	if err != nil || done != "" {
		return err
	}
	im := &territoryfile.Importer{Store: postgis.NewTerritoryStore(a.db)}
	for _, d := range demoTerritories {
		p := filepath.Join(dir, d.path)
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			logger.Warn("demo file missing", "path", p)
			continue
		}
		if err != nil {
			return err
		}
		res, err := im.Import(ctx, f, p, d.opt, nil)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		logger.Info("demo territories imported", "file", p, "created", res.Created, "updated", res.Updated,
			"failed", len(res.Failed))
	}
	return a.db.SetSetting(ctx, "demo_territories_imported", time.Now().UTC().Format(time.RFC3339))
}
