package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
)

// exportCmd writes the published actors as CSV or GeoJSON, each with the
// attribution its source's licence requires.
func exportCmd(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "csv", "csv or geojson")
	output := fs.String("output", "", "file to write (default: standard output)")
	raw := fs.Bool("raw", false, "csv: write cells exactly as stored, even those a spreadsheet would run as formulas")
	if err := fs.Parse(args); err != nil {
		return usagef("export: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("export takes no arguments")
	}
	if *format != "csv" && *format != "geojson" {
		return usagef("export: --format must be csv or geojson")
	}
	a, err := openApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()
	w := stdout
	if *output != "" {
		f, err := os.Create(*output)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	attributions, err := a.actors.Attributions(ctx)
	if err != nil {
		return err
	}
	filter := geo.ActorFilter{Statuses: []geo.Status{geo.StatusPublished}}
	if *format == "csv" {
		err = exportCSV(ctx, a, filter, attributions, *raw, bw)
	} else {
		err = exportGeoJSON(ctx, a, filter, attributions, bw)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// exportCSV writes the actors as CSV; unless raw, cells a spreadsheet
// would run as formulas are neutralised.
func exportCSV(ctx context.Context, a *app, f geo.ActorFilter, attributions map[string]string, raw bool, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(actorfile.CSVHeader); err != nil {
		return err
	}
	err := a.actors.EachActor(ctx, f, func(act *geo.Actor) error {
		record := actorfile.CSVRecord(act, attributions[act.Source], false)
		if !raw {
			actorfile.SpreadsheetSafe(record)
		}
		return cw.Write(record)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// exportGeoJSON streams a FeatureCollection with every actor, located or
// not (those without a point have a null geometry).
func exportGeoJSON(ctx context.Context, a *app, f geo.ActorFilter, attributions map[string]string, w io.Writer) error {
	head, _ := json.Marshal(actorfile.JoinAttributions(attributions))
	if _, err := io.WriteString(w, `{"type":"FeatureCollection","attribution":`+string(head)+`,"features":[`); err != nil {
		return err
	}
	first := true
	err := a.actors.EachActor(ctx, f, func(act *geo.Actor) error {
		b, err := json.Marshal(actorfile.ExportFeature(act, attributions[act.Source]))
		if err != nil {
			return err
		}
		if !first {
			b = append([]byte(",\n"), b...)
		}
		first = false
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "]}\n")
	return err
}
