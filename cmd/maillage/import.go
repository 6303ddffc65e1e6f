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

// fileImport holds what the import commands share: the flags each one
// takes, and how a file is imported and its report printed.
type fileImport struct {
	name        string
	fs          *flag.FlagSet
	source      *string
	attribution *string
	dryRun      *bool
	asJSON      *bool
}

// newFileImport returns the flags of the command name, with those every
// import takes; the caller adds its own before parse.
func newFileImport(name string) *fileImport {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &fileImport{name: name, fs: fs,
		source:      fs.String("source", "", "source name (default: the file's name)"),
		attribution: fs.String("attribution", "", "attribution required by the data's licence"),
		dryRun:      fs.Bool("dry-run", false, "report without writing"),
		asJSON:      fs.Bool("json", false, "print the report as JSON"),
	}
}

// parse reads args and returns the one FILE they name, or a usage error.
func (fi *fileImport) parse(args []string) (string, error) {
	if err := fi.fs.Parse(args); err != nil {
		return "", usagef("%s: %v", fi.name, err)
	}
	if fi.fs.NArg() != 1 {
		return "", usagef("%s takes exactly one FILE", fi.name)
	}
	return fi.fs.Arg(0), nil
}

// runFileImport opens path and the application, runs imp on the file with
// a progress bar called desc (none with --json), and prints its result as
// JSON or with report.
func runFileImport[R any](ctx context.Context, cfg config, logger *slog.Logger, stdout io.Writer, fi *fileImport,
	path, desc string, imp func(a *app, f *os.File, bar *progressBar) (R, error), report func(io.Writer, string, R)) error {
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
	if !*fi.asJSON {
		bar = newProgress(stdout, desc)
	}
	res, err := imp(a, f, bar)
	bar.finish()
	if err != nil {
		return err
	}
	if *fi.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	report(stdout, path, res)
	return nil
}

// printProblem writes one skipped row or warning of a report: "row 12
// (29019), name: reason", or "field: reason" for the file as a whole.
func printProblem(w io.Writer, row int, code, field, reason string) {
	where := field
	if row != 0 {
		where = fmt.Sprintf("row %d", row)
		if code != "" {
			where += " (" + code + ")"
		}
		if field != "" {
			where += ", " + field
		}
	}
	fmt.Fprintf(w, "    %s: %s\n", where, reason)
}

// importCmd imports a CSV or GeoJSON file and prints the report: what was
// created, updated or left, and each skipped row with its reason.
func importCmd(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fi := newFileImport("import")
	var maps stringList
	fi.fs.Var(&maps, "map", "COLUMN=field: read COLUMN as field (repeatable)")
	sector := fi.fs.String("sector", "", "sector slug for every row")
	status := fi.fs.String("status", "", "status of imported actors (default published)")
	applyProposals := fi.fs.Bool("apply-proposals", false, "give rows the sectors proposed from their NAF code, name and description")
	schema := fi.fs.String("schema", "", "the file's schema: data-inclusion (structures, CSV or JSON)")
	path, err := fi.parse(args)
	if err != nil {
		return err
	}
	m, err := actorfile.ParseMap(maps)
	if err != nil {
		return err
	}
	opt := actorfile.Options{Map: m, Sector: *sector, Status: geo.Status(*status), Source: *fi.source,
		Attribution: *fi.attribution, DryRun: *fi.dryRun, ApplyProposals: *applyProposals, Schema: *schema}
	if opt.Schema != "" && opt.Schema != actorfile.SchemaDataInclusion {
		return usagef("import: --schema must be %s", actorfile.SchemaDataInclusion)
	}
	if opt.Status != "" && !opt.Status.Valid() {
		return usagef("import: --status must be draft, published or archived")
	}
	return runFileImport(ctx, cfg, logger, stdout, fi, path, "import",
		func(a *app, f *os.File, bar *progressBar) (*actorfile.Result, error) {
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
			return a.importer.Import(geo.WithAuthor(ctx, geo.Author{Who: "cli", Route: "maillage import"}), f, path, opt, progress)
		}, printReport)
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
			printProblem(w, p.Row, "", p.Field, p.Reason)
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
