package actorfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync/atomic"

	"github.com/maillage/maillage/geo"
)

// Store is where imported actors go.
type Store interface {
	// ImportBatches runs fill in one transaction, kept unless dryRun when
	// fill returns nil; put imports a batch of actors and returns what it
	// did to each. attribution, unless "", is recorded in the same
	// transaction for the source of each actor stored.
	ImportBatches(ctx context.Context, dryRun bool, attribution string, fill func(put func([]*geo.Actor) ([]geo.ImportOutcome, error)) error) error
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
	Territory     Zone            // the configured territory, whose outside is warned of; nil: France only
}

// Zone gives the areas of the configured territory.
type Zone interface {
	Areas(ctx context.Context) ([]geo.Area, error)
}

// Result is an import's report with what the import changed.
type Result struct {
	*Report
	DryRun    bool `json:"dry_run"`
	Created   int  `json:"created"`
	Updated   int  `json:"updated"`
	Unchanged int  `json:"unchanged"`
}

// Progress is how far an import is.
type Progress struct {
	Read   int   `json:"rows_read"`   // rows read from the file
	Stored int   `json:"rows_stored"` // rows created, updated or found unchanged (not yet committed)
	Failed int   `json:"rows_failed"` // rows skipped
	Bytes  int64 `json:"bytes_read"`  // bytes of the file read
}

// BatchSize is the number of rows an import hands the store at a time: the
// memory an import takes is bounded by it, not by the file.
const BatchSize = 1000

// Import parses r as the file filename and imports its valid rows, read
// and stored a batch at a time, in one transaction. Rows that fail to
// parse or to store are in the report and skipped; the others are kept.
// It returns an error only when the file as a whole cannot be read
// (EInvalid), the database fails or ctx ends: then nothing is stored
// (but see Store.ImportBatches for a commit cut off).
// progress, if not nil, is told after each batch.
func (im *Importer) Import(ctx context.Context, r io.Reader, filename string, opt Options, progress func(Progress)) (*Result, error) {
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
	if im.Territory != nil {
		if tax.Territory, err = im.Territory.Areas(ctx); err != nil {
			return nil, err
		}
	}
	proposer := geo.NewSectorProposer(sectors)
	proposals := map[string]int{}
	cr := &countingReader{r: r}
	res := &Result{DryRun: opt.DryRun}
	var p Progress
	var storeFailed, storeWarned []Problem
	refused := 0 // rows the store refused
	err = im.Store.ImportBatches(ctx, opt.DryRun, opt.Attribution, func(put func([]*geo.Actor) ([]geo.ImportOutcome, error)) error {
		// The file is read a batch ahead of the store, in a goroutine of
		// its own: reading and storing overlap.
		sctx, stop := context.WithCancel(ctx)
		defer stop()
		batches := make(chan readBatch, 1)
		var rep *Report
		var scanErr error
		go func() {
			defer close(batches)
			var rows []Row
			send := func(sofar *Report) error {
				b := readBatch{rows: rows, read: sofar.Rows, invalid: sofar.Rows - sofar.Valid, bytes: cr.bytes()}
				rows = make([]Row, 0, BatchSize)
				select {
				case batches <- b:
					return nil
				case <-sctx.Done():
					return sctx.Err()
				}
			}
			rep, scanErr = Scan(cr, filename, opt, tax, func(row Row, sofar *Report) error {
				rows = append(rows, row)
				if len(rows) < BatchSize {
					return nil
				}
				return send(sofar)
			})
			if scanErr == nil {
				scanErr = send(rep)
			}
		}()
		for b := range batches {
			actors := make([]*geo.Actor, len(b.rows))
			for i := range b.rows {
				actors[i] = &b.rows[i].Actor
				for _, p := range proposer.Propose(actors[i]) {
					proposals[p.Sector]++
					if opt.ApplyProposals {
						actors[i].Sectors = append(actors[i].Sectors, p.Sector)
					}
				}
				if actors[i].SIRET == "" && actors[i].ExternalID == "" {
					actors[i].ExternalID = derivedID(actors[i])
				}
			}
			outcomes, err := put(actors)
			if err != nil {
				stop()
				for range batches {
				}
				return err
			}
			for i, o := range outcomes {
				switch o.Change {
				case geo.ImportCreated:
					res.Created++
					if d := o.Duplicate; d != nil {
						why := map[string]string{"siret": "the same SIRET", "name": "a similar name within 300 m"}[d.Reason]
						storeWarned = append(storeWarned, Problem{Row: b.rows[i].Line, Field: "duplicate",
							Reason: fmt.Sprintf("may repeat actor %d %q (%s)", d.ActorID, cut(d.Name, 60), why)})
					}
				case geo.ImportUpdated:
					res.Updated++
				case geo.ImportUnchanged:
					res.Unchanged++
				case geo.ImportFailed:
					storeFailed = append(storeFailed, failure(b.rows[i].Line, o.Err)...)
					refused++
					continue
				}
				p.Stored++
			}
			p.Read, p.Failed, p.Bytes = b.read, b.invalid+refused, b.bytes
			if progress != nil {
				progress(p)
			}
		}
		if scanErr != nil {
			return scanErr
		}
		rep.SectorProposals, rep.ProposalsApplied = proposals, opt.ApplyProposals
		res.Report = rep
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	rep := res.Report
	rep.Valid -= refused
	rep.Failed = capped(rep.Failed, storeFailed, rep.failedOver, maxFailures)
	rep.Warnings = capped(rep.Warnings, storeWarned, rep.warnedOver, maxWarnings)
	sort.SliceStable(rep.Warnings, func(i, j int) bool { return rep.Warnings[i].Row < rep.Warnings[j].Row })
	sort.SliceStable(rep.Failed, func(i, j int) bool { return rep.Failed[i].Row < rep.Failed[j].Row })
	rep.Finish()
	if progress != nil {
		progress(Progress{Read: rep.Rows, Stored: res.Created + res.Updated + res.Unchanged,
			Failed: rep.Rows - rep.Valid, Bytes: cr.bytes()})
	}
	return res, nil
}

// failure returns the problems of a row that the store refused.
func failure(line int, err error) []Problem {
	gerr, ok := errors.AsType[*geo.Error](err)
	if !ok {
		return []Problem{{Row: line, Reason: "internal error"}}
	}
	if len(gerr.Fields) == 0 {
		return []Problem{{Row: line, Reason: gerr.Message}}
	}
	var ps []Problem
	for field, reason := range gerr.Fields {
		ps = append(ps, Problem{Row: line, Field: field, Reason: reason})
	}
	return sortProblems(ps)
}

// readBatch is a batch of rows read, with how far the file was read.
type readBatch struct {
	rows          []Row
	read, invalid int
	bytes         int64
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingReader) bytes() int64 { return c.n.Load() }

// derivedID identifies a row that has neither SIRET nor identifier by its
// folded name and address, so that importing the same file again finds
// the actor it created instead of adding a copy.
func derivedID(a *geo.Actor) string {
	return "nom:" + geo.Fold(a.Name) + "|" + geo.Fold(a.Address.Street) + "|" + a.Address.Postcode + "|" + geo.Fold(a.Address.City)
}
