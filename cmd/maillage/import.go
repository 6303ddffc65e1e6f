package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"

	"golang.org/x/term"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
)

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return fmt.Sprint(*l) }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// importCmd imports a CSV or GeoJSON file and prints the report: what was
// created, updated or left, and each skipped row with its reason.
func importCmd(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var maps stringList
	fs.Var(&maps, "map", "COLUMN=field: read COLUMN as field (repeatable)")
	sector := fs.String("sector", "", "sector slug for every row")
	status := fs.String("status", "", "status of imported actors (default published)")
	source := fs.String("source", "", "source name (default: the file's name)")
	attribution := fs.String("attribution", "", "attribution required by the data's licence")
	dryRun := fs.Bool("dry-run", false, "report without writing")
	applyProposals := fs.Bool("apply-proposals", false, "give rows the sectors proposed from their NAF code, name and description")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return usagef("import: %v", err)
	}
	if fs.NArg() != 1 {
		return usagef("import takes exactly one FILE")
	}
	m, err := actorfile.ParseMap(maps)
	if err != nil {
		return err
	}
	opt := actorfile.Options{Map: m, Sector: *sector, Status: geo.Status(*status), Source: *source,
		Attribution: *attribution, DryRun: *dryRun, ApplyProposals: *applyProposals}
	if opt.Status != "" && !opt.Status.Valid() {
		return usagef("import: --status must be draft, published or archived")
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
		bar = newProgress(stdout, "import")
	}
	var size int64 = -1
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	var progress func(actorfile.Progress)
	if bar != nil {
		progress = func(p actorfile.Progress) {
			bar.update(int(p.Bytes), int(size))
			bar.describe(progressText(p))
		}
	}
	res, err := a.importer.Import(geo.WithAuthor(ctx, geo.Author{Who: "cli", Route: "maillage import"}), f, path, opt, progress)
	bar.finish()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printReport(stdout, path, res)
	return nil
}

// progressText says how far an import is, as the progress bar and the
// import job API show it.
func progressText(p actorfile.Progress) string {
	return fmt.Sprintf("import: %d rows read, %d stored, %d failed", p.Read, p.Stored, p.Failed)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// printReport writes res for a person.
func printReport(w io.Writer, path string, res *actorfile.Result) {
	verb := "imported"
	if res.DryRun {
		verb = "checked (dry run, nothing written)"
	}
	fmt.Fprintf(w, "%s: %s %d rows (%s", path, verb, res.Rows, res.Format)
	if res.Encoding != "" {
		fmt.Fprintf(w, ", %s", res.Encoding)
	}
	if res.Delimiter != "" {
		fmt.Fprintf(w, ", delimiter %q", res.Delimiter)
	}
	fmt.Fprintf(w, ")\n  created %d, updated %d, unchanged %d, failed %d\n",
		res.Created, res.Updated, res.Unchanged, len(res.Failed))
	if len(res.Ignored) > 0 {
		fmt.Fprintf(w, "  ignored columns: %v\n", res.Ignored)
	}
	if len(res.SectorProposals) > 0 {
		how := "proposed (apply with --apply-proposals or maillage sectors propose --apply)"
		if res.ProposalsApplied {
			how = "given"
		}
		fmt.Fprintf(w, "  sectors %s: %s\n", how, formatCounts(res.SectorProposals))
	}
	problems := func(title string, ps []actorfile.Problem) {
		if len(ps) == 0 {
			return
		}
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Row < ps[j].Row })
		fmt.Fprintf(w, "  %s:\n", title)
		for _, p := range ps {
			if p.Row == 0 {
				fmt.Fprintf(w, "    %s: %s\n", p.Field, p.Reason)
			} else if p.Field != "" {
				fmt.Fprintf(w, "    row %d, %s: %s\n", p.Row, p.Field, p.Reason)
			} else {
				fmt.Fprintf(w, "    row %d: %s\n", p.Row, p.Reason)
			}
		}
	}
	problems("skipped rows", res.Failed)
	problems("warnings", res.Warnings)
}

// formatCounts writes counts by key, keys in order: "a 2, b 1".
func formatCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
