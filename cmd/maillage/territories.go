package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/geo/territoryfile"
)

// territoriesCmd runs `maillage territories import [flags] FILE`.
func territoriesCmd(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return usagef("territories: the only subcommand is import")
	}
	fi := newFileImport("territories import")
	level := fi.fs.String("level", "", "level of a GeoJSON file's rows: commune, epci, departement or region (default: from each code)")
	path, err := fi.parse(args[1:])
	if err != nil {
		return err
	}
	if *level != "" && geo.LevelRank(*level) < 0 {
		return usagef("territories import: --level must be commune, epci, departement or region")
	}
	opt := territoryfile.Options{Level: *level, DryRun: *fi.dryRun, Source: *fi.source, Attribution: *fi.attribution}
	return runFileImport(ctx, cfg, logger, stdout, fi, path, "territories",
		func(a *app, f *os.File, bar *progressBar) (*geo.TerritoryImportResult, error) {
			im := &territoryfile.Importer{Store: postgis.NewTerritoryStore(a.db)}
			return im.Import(ctx, f, path, opt, bar.callback())
		}, printTerritoryReport)
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
			printProblem(w, p.Row, p.Code, p.Field, p.Reason)
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
	paths := make([]string, len(demoTerritories))
	for i, d := range demoTerritories {
		paths[i] = d.path
	}
	im := &territoryfile.Importer{Store: postgis.NewTerritoryStore(a.db)}
	return importDemoOnce(ctx, a, dir, "demo_territories_imported", paths, logger,
		func(i int, f *os.File, path string) (int, int, int, error) {
			res, err := im.Import(ctx, f, path, demoTerritories[i].opt, nil)
			if err != nil {
				return 0, 0, 0, err
			}
			return res.Created, res.Updated, len(res.Failed), nil
		})
}
