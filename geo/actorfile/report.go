package actorfile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/maillage/maillage/geo"
)

// Problem is a note on one row of a file: why it was skipped, or what was
// changed or dropped in it.
type Problem struct {
	Row    int    `json:"row"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// Report says how a file was read and what happened to each row.
type Report struct {
	Format    string            `json:"format"` // "csv", "geojson", or "json" (data·inclusion)
	Encoding  string            `json:"encoding,omitempty"`
	Delimiter string            `json:"delimiter,omitempty"`
	Columns   map[string]string `json:"columns,omitempty"` // header -> field used
	Ignored   []string          `json:"ignored_columns"`   // headers that matched no field
	Rows      int               `json:"rows"`
	Valid     int               `json:"valid"`
	Failed    []Problem         `json:"failed"`   // rows skipped, with field and reason
	Warnings  []Problem         `json:"warnings"` // kept rows with a note
	// SectorProposals counts, by sector, the valid rows to which the rules
	// propose it (NAF code, name, description); ProposalsApplied says
	// whether the import gave them those sectors.
	SectorProposals  map[string]int `json:"sector_proposals"`
	ProposalsApplied bool           `json:"proposals_applied"`

	// Past the first maxProblems of a field, failures and warnings are
	// counted, not listed; finish adds one line per field saying how many.
	failedOver, warnedOver map[string]*overflow
}

// maxFailures and maxWarnings are how many failures and warnings of one
// field a report lists; the others are counted.
const (
	maxFailures = 1000
	maxWarnings = 100
)

// overflow counts the problems of a field left out of a report.
type overflow struct {
	listed int    // problems listed
	rows   int    // rows left out
	first  string // reason of the first left out
	last   int    // last row counted, so that a row counts once
}

func newReport(format string) *Report {
	return &Report{Format: format, Columns: map[string]string{}, Ignored: []string{},
		Failed: []Problem{}, Warnings: []Problem{}, SectorProposals: map[string]int{},
		failedOver: map[string]*overflow{}, warnedOver: map[string]*overflow{}}
}

// add records a row's outcome: skipped with its failures, or kept with its
// warnings.
func (rep *Report) add(line int, fails, warns []Problem) bool {
	rep.Rows++
	if len(fails) > 0 {
		rep.Failed = capped(rep.Failed, sortProblems(fails), rep.failedOver, maxFailures)
		return false
	}
	rep.Valid++
	rep.Warnings = capped(rep.Warnings, sortProblems(warns), rep.warnedOver, maxWarnings)
	return true
}

// capped appends ps to list, up to limit problems per field; the others are
// counted in over.
func capped(list, ps []Problem, over map[string]*overflow, limit int) []Problem {
	for _, p := range ps {
		o := over[p.Field]
		if o == nil {
			o = &overflow{}
			over[p.Field] = o
		}
		if o.listed < limit {
			o.listed++
			list = append(list, p)
			continue
		}
		if o.rows == 0 {
			o.first = p.Reason
		}
		if o.last != p.Row || o.rows == 0 {
			o.rows++
			o.last = p.Row
		}
	}
	return list
}

// Finish adds to the report a line per field whose problems were counted,
// not listed, such as "249 more rows: no INSEE legal form matches…".
func (rep *Report) Finish() {
	for _, t := range []struct {
		list *[]Problem
		over map[string]*overflow
	}{{&rep.Failed, rep.failedOver}, {&rep.Warnings, rep.warnedOver}} {
		for _, field := range sortedKeys(t.over) {
			o := t.over[field]
			if o.rows == 0 {
				continue
			}
			reason := o.first
			if i := strings.IndexAny(reason, "\"("); i > 0 {
				reason = strings.TrimRight(reason[:i], " :")
			}
			*t.list = append(*t.list, Problem{Field: field,
				Reason: fmt.Sprintf("%d more rows: %s…", o.rows, cut(reason, 80))})
			o.rows = 0
		}
	}
}

// cut shortens v to n characters.
func cut(v string, n int) string {
	if utf8.RuneCountInString(v) > n {
		return string([]rune(v)[:n-1]) + "…"
	}
	return v
}

func sortProblems(ps []Problem) []Problem {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Row, b.Row), cmp.Compare(a.Field, b.Field))
	})
	return ps
}

// quote returns v quoted for a reason, shortened to 60 characters.
func quote(v string) string {
	if utf8.RuneCountInString(v) > 60 {
		v = string([]rune(v)[:59]) + "…"
	}
	return fmt.Sprintf("%q", v)
}

// fileError is the error of a file that cannot be imported at all.
func fileError(format string, args ...any) error {
	return &geo.Error{Code: geo.EInvalid, Message: "cannot import file",
		Fields: map[string]string{"file": fmt.Sprintf(format, args...)}}
}
