package actorfile

import (
	"cmp"
	"fmt"
	"slices"
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
	Format    string            `json:"format"` // "csv" or "geojson"
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
}

func newReport(format string) *Report {
	return &Report{Format: format, Columns: map[string]string{}, Ignored: []string{},
		Failed: []Problem{}, Warnings: []Problem{}, SectorProposals: map[string]int{}}
}

// add records a row's outcome: skipped with its failures, or kept with its
// warnings.
func (rep *Report) add(line int, fails, warns []Problem) bool {
	rep.Rows++
	if len(fails) > 0 {
		rep.Failed = append(rep.Failed, sortProblems(fails)...)
		return false
	}
	rep.Valid++
	rep.Warnings = append(rep.Warnings, sortProblems(warns)...)
	return true
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
