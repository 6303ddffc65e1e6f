package actorfile

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestReportCapsRepeatedProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("nom;forme juridique;siret\n")
	for i := range 350 {
		fmt.Fprintf(&b, "Structure %d;Forme inconnue %d;\n", i, i)
	}
	fmt.Fprintf(&b, "Structure longue;%s;\n", strings.Repeat("x", 100_000))
	for i := range 1200 {
		fmt.Fprintf(&b, "Mauvais SIRET %d;Association;%d\n", i, i)
	}
	rows, rep, err := Parse(strings.NewReader(b.String()), "beaucoup.csv", Options{}, seededTaxonomy(t, "autres", false))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 1551 || len(rows) != 351 || rep.Valid != 351 {
		t.Fatalf("rows %d, kept %d, valid %d; want 1551, 351, 351", rep.Rows, len(rows), rep.Valid)
	}
	var legal []Problem
	for _, w := range rep.Warnings {
		if w.Field == "legal_form" {
			legal = append(legal, w)
		}
	}
	if len(legal) != maxWarnings+1 {
		t.Fatalf("%d legal form warnings, want %d and a count", len(legal), maxWarnings)
	}
	if last := legal[len(legal)-1]; last.Row != 0 || last.Reason != "251 more rows: no INSEE legal form matches…" {
		t.Errorf("count line = %+v", last)
	}
	if first := legal[0]; first.Row != 2 || !strings.Contains(first.Reason, `"Forme inconnue 0"`) {
		t.Errorf("first warning = %+v", first)
	}
	if n := len(rep.Failed); n != maxFailures+1 || rep.Failed[n-1].Reason[:14] != "200 more rows:" {
		t.Errorf("%d failures, last %+v; want %d and a count of 200", n, rep.Failed[n-1], maxFailures)
	}
	data, _ := json.Marshal(rep)
	if len(data) > 200_000 {
		t.Errorf("report of %d bytes for a file with a 100,000-character value", len(data))
	}
	t.Logf("report: %d bytes for a file of %d bytes", len(data), b.Len())
}
