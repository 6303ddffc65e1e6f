package territoryfile

import (
	"cmp"
	"context"
	"io"
	"path/filepath"
	"slices"

	"github.com/maillage/maillage/geo"
)

// Store is where imported territories go.
type Store interface {
	ImportTerritories(ctx context.Context, rows []geo.TerritoryRow, weakNames, dryRun bool, progress func(done, total int)) (*geo.TerritoryImportResult, error)
	SetTerritoryAttribution(ctx context.Context, source, attribution string) error
}

// Importer parses files of territories and stores their rows: the one path
// shared by `maillage territories import` and POST /api/territories/imports.
type Importer struct {
	Store Store
}

// Options are the choices of one import.
type Options struct {
	Level  string // level of a GeoJSON file's rows; empty: guessed from each code
	DryRun bool
	// Source names the data and Attribution is what its licence requires
	// to be shown with it (maps, exports, printed pages).
	Source, Attribution string
}

// Import parses r as the file filename and stores its valid rows. Rows
// that cannot be read are reported and skipped, the others kept. It
// returns an error only when the file as a whole cannot be read (EInvalid)
// or the database fails.
func (im *Importer) Import(ctx context.Context, r io.Reader, filename string, opt Options, progress func(done, total int)) (*geo.TerritoryImportResult, error) {
	f, err := Parse(r, filename, opt.Level)
	if err != nil {
		return nil, err
	}
	res, err := im.Store.ImportTerritories(ctx, f.Rows, f.WeakNames, opt.DryRun, progress)
	if err != nil {
		return nil, err
	}
	if !opt.DryRun && opt.Attribution != "" {
		source := opt.Source
		if source == "" {
			source = filepath.Base(filename)
		}
		if err := im.Store.SetTerritoryAttribution(ctx, source, opt.Attribution); err != nil {
			return nil, err
		}
	}
	res.Format = f.Format
	res.Rows += distinctRows(f.Failed)
	res.Failed = append(res.Failed, f.Failed...)
	res.Warnings = append(res.Warnings, f.Warnings...)
	for _, ps := range [][]geo.ImportReason{res.Failed, res.Warnings} {
		slices.SortStableFunc(ps, func(a, b geo.ImportReason) int {
			return cmp.Or(cmp.Compare(a.Row, b.Row), cmp.Compare(a.Field, b.Field))
		})
	}
	return res, nil
}

// distinctRows is the number of rows named in ps: a row may have several
// reasons.
func distinctRows(ps []geo.ImportReason) int {
	seen := map[int]bool{}
	for _, p := range ps {
		seen[p.Row] = true
	}
	return len(seen)
}
