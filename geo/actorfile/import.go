package actorfile

import (
	"context"
	"errors"
	"io"
	"sort"

	"github.com/maillage/maillage/geo"
)

// Store is where imported actors go.
type Store interface {
	ImportActors(ctx context.Context, actors []*geo.Actor, dryRun bool, progress func(done int)) ([]geo.ImportOutcome, error)
	SetAttribution(ctx context.Context, source, attribution string) error
}

// SectorLister gives the current sector taxonomy.
type SectorLister interface {
	FindSectors(ctx context.Context) ([]geo.Sector, error)
}

// Importer parses files and stores their actors: the one path shared by
// `maillage import` and POST /api/imports.
type Importer struct {
	Store         Store
	Sectors       SectorLister
	LegalForms    *geo.LegalForms // nil: legal forms are matched by code and common names only
	DefaultSector string          // sector of rows that name none; "" makes them fail
}

// Result is an import's report with what the import changed.
type Result struct {
	*Report
	DryRun    bool `json:"dry_run"`
	Created   int  `json:"created"`
	Updated   int  `json:"updated"`
	Unchanged int  `json:"unchanged"`
}

// Import parses r as the file filename and imports its valid rows. Rows
// that fail to parse or to store are in the report and skipped; the
// others are kept. It returns an error only when the file as a whole
// cannot be read (EInvalid) or the database fails. progress, if not nil,
// is told of each row stored out of the total.
func (im *Importer) Import(ctx context.Context, r io.Reader, filename string, opt Options, progress func(done, total int)) (*Result, error) {
	sectors, err := im.Sectors.FindSectors(ctx)
	if err != nil {
		return nil, err
	}
	matcher := geo.NewSectorMatcher(sectors)
	if opt.Sector != "" {
		if _, ok := matcher.Match(opt.Sector); !ok {
			return nil, &geo.Error{Code: geo.EInvalid, Message: "unknown sector",
				Fields: map[string]string{"sector": "unknown sector " + opt.Sector + " (see /api/sectors)"}}
		}
	}
	tax := Taxonomy{Sectors: matcher, LegalForms: im.LegalForms, DefaultSector: im.DefaultSector}
	rows, report, err := Parse(r, filename, opt, tax)
	if err != nil {
		return nil, err
	}
	proposer := geo.NewSectorProposer(sectors)
	report.ProposalsApplied = opt.ApplyProposals
	actors := make([]*geo.Actor, len(rows))
	for i := range rows {
		actors[i] = &rows[i].Actor
		for _, p := range proposer.Propose(actors[i]) {
			report.SectorProposals[p.Sector]++
			if opt.ApplyProposals {
				actors[i].Sectors = append(actors[i].Sectors, p.Sector)
			}
		}
		if actors[i].SIRET == "" && actors[i].ExternalID == "" {
			actors[i].ExternalID = derivedID(actors[i])
		}
	}
	var tick func(int)
	if progress != nil {
		tick = func(done int) { progress(done, len(actors)) }
	}
	outcomes, err := im.Store.ImportActors(ctx, actors, opt.DryRun, tick)
	if err != nil {
		return nil, err
	}
	res := &Result{Report: report, DryRun: opt.DryRun}
	for i, o := range outcomes {
		switch o.Change {
		case geo.ImportCreated:
			res.Created++
		case geo.ImportUpdated:
			res.Updated++
		case geo.ImportUnchanged:
			res.Unchanged++
		case geo.ImportFailed:
			res.fail(rows[i].Line, o.Err)
		}
	}
	sort.SliceStable(res.Failed, func(i, j int) bool { return res.Failed[i].Row < res.Failed[j].Row })
	if !opt.DryRun && opt.Attribution != "" {
		for _, src := range distinctSources(actors) {
			if err := im.Store.SetAttribution(ctx, src, opt.Attribution); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

// fail moves a row that the store refused from valid to failed.
func (res *Result) fail(line int, err error) {
	res.Valid--
	gerr, ok := errors.AsType[*geo.Error](err)
	if !ok {
		res.Failed = append(res.Failed, Problem{Row: line, Reason: "internal error"})
		return
	}
	if len(gerr.Fields) == 0 {
		res.Failed = append(res.Failed, Problem{Row: line, Reason: gerr.Message})
	}
	for field, reason := range gerr.Fields {
		res.Failed = append(res.Failed, Problem{Row: line, Field: field, Reason: reason})
	}
}

func distinctSources(actors []*geo.Actor) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range actors {
		if a.Source != "" && !seen[a.Source] {
			seen[a.Source] = true
			out = append(out, a.Source)
		}
	}
	return out
}

// derivedID identifies a row that has neither SIRET nor identifier by its
// folded name and address, so that importing the same file again finds
// the actor it created instead of adding a copy.
func derivedID(a *geo.Actor) string {
	return "nom:" + geo.Fold(a.Name) + "|" + geo.Fold(a.Address.Street) + "|" + a.Address.Postcode + "|" + geo.Fold(a.Address.City)
}
