package actorfile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

var sepLineRe = regexp.MustCompile(`^sep=(.)\r?\n`)

// parseCSV reads text as CSV with a header line, head being its start, and
// hands each valid row to each.
func parseCSV(text io.Reader, head string, hm *headerMatcher, b *builder, each func(Row, *Report) error) (*Report, error) {
	rep := newReport("csv")
	delim, sepLine := detectDelimiter(head)
	rep.Delimiter = string(delim)
	cr := csv.NewReader(text)
	cr.ReuseRecord = true
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	if sepLine {
		if _, err := cr.Read(); err != nil {
			return nil, fileError("unreadable CSV: %v", err)
		}
	}
	header, err := csvHeader(cr)
	if err != nil {
		return nil, err
	}
	cols := make([]column, len(header))
	named := false
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		cols[i] = hm.match(h)
		switch {
		case cols[i].field != "":
			rep.Columns[h] = cols[i].field
			named = named || isNameField(cols[i].field)
		case h == "":
			rep.Ignored = append(rep.Ignored, fmt.Sprintf("(column %d)", i+1))
		default:
			rep.Ignored = append(rep.Ignored, h)
		}
	}
	if err := hm.unused(); err != nil {
		return nil, err
	}
	if !named {
		return nil, fileError("no name column (nom, raison sociale, dénomination, name...) among the headers %s: use --map COLUMN=name",
			quote(strings.Join(header, string(delim))))
	}

	err = csvRows(cr, rep, func(cells []string, line int) error {
		rec := newRecord(line)
		for i, c := range cells {
			if i < len(cols) {
				rec.add(cols[i], c)
			}
		}
		return buildRow(rep, b, rec, each)
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// csvHeader reads the header line of cr. Returns EInvalid for an empty
// file or an unreadable header.
func csvHeader(cr *csv.Reader) ([]string, error) {
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fileError("empty file")
	}
	if err != nil {
		return nil, fileError("unreadable CSV header: %v", err)
	}
	return header, nil
}

// csvRows calls row with the cells and line of each record of cr that is
// not blank, up to the end of the file. A record that is not valid CSV is
// a problem of rep and is skipped. Returns the first error of row, or
// EInvalid if cr cannot read on.
func csvRows(cr *csv.Reader, rep *Report, row func(cells []string, line int) error) error {
	for {
		cells, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			rep.add(perr.StartLine, []Problem{{Row: perr.StartLine, Reason: "unreadable CSV: " + perr.Err.Error()}}, nil)
			continue
		}
		if err != nil {
			return fileError("unreadable CSV: %v", err)
		}
		if blank(cells) {
			continue
		}
		line, _ := cr.FieldPos(0)
		if err := row(cells, line); err != nil {
			return err
		}
	}
}

// detectDelimiter returns the delimiter of the header line of text: the
// most frequent of semicolon, tab and comma outside quotes, in that order
// on ties, comma when there is none. A first line "sep=;" as Excel writes
// it gives the delimiter, and sepLine is then true.
func detectDelimiter(text string) (delim rune, sepLine bool) {
	if m := sepLineRe.FindStringSubmatch(text); m != nil && strings.ContainsAny(m[1], ",;\t|") {
		return rune(m[1][0]), true
	}
	counts := map[rune]int{}
	quoted := false
	for _, r := range strings.TrimLeft(text, "\r\n") {
		if r == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if r == '\n' || r == '\r' {
			break
		}
		counts[r]++
	}
	delim = ','
	for _, d := range []rune{'\t', ';'} {
		if counts[d] > 0 && counts[d] >= counts[delim] {
			delim = d
		}
	}
	return delim, false
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
