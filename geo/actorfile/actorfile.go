// Package actorfile reads and writes files of actors. Import reads the
// files directory keepers have, CSV spreadsheet exports and GeoJSON, into
// actors: a row that cannot become a valid actor is reported and skipped;
// the others are kept. Export writes actors as CSV, which import reads
// back, and as GeoJSON, each with the attribution its source requires; the
// API shows an actor in the same JSON.
package actorfile

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/maillage/maillage/geo"
)

// Options are the choices of the person importing a file.
type Options struct {
	Map    map[string]string // file column header -> field name (from --map COLUMN=field, see ParseMap)
	Sector string            // slug applied to every row (--sector), replacing the file's sectors; already validated by the caller
	Status geo.Status        // status of imported actors; "" means published
	Source string            // attribution/source name; "" -> the row's "source" value if any, else the file's base name without extension
	Schema string            // "" or SchemaDataInclusion: the file is in data·inclusion's structures schema (CSV or JSON), Map is ignored

	// Used by Importer, not by Parse.
	DryRun bool // check and report without storing
	// ApplyProposals gives imported actors the sectors the rules propose
	// (geo.SectorProposer); without it they are only counted.
	ApplyProposals bool
	Attribution    string // attribution text for the imported sources, such as "© Transiscope, ODbL"
}

// Taxonomy is what the directory knows to read sectors and legal forms.
type Taxonomy struct {
	Sectors    *geo.SectorMatcher // nil matches no sector
	LegalForms *geo.LegalForms    // nil knows only the built-in legal-form names
	// DefaultSector is the slug given to rows with no known sector, such as
	// "autres"; with "" such rows fail on field "sector".
	DefaultSector string
	// Territory is the configured territory: a point outside it is warned
	// of, as one outside France is. Empty: France only.
	Territory []geo.Area
}

// Row is an actor read from a file.
type Row struct {
	// Line is the row as a person finds it: for CSV the line of the file
	// the row starts on, counting the header (the first data row is 2); for
	// GeoJSON the feature's index plus one.
	Line  int
	Actor geo.Actor
}

// Parse reads the actors of a CSV or GeoJSON file, named filename, with the
// rows that are not valid actors listed in the report's Failed and notes on
// the kept ones in its Warnings.
//
// The format comes from the content (a leading "{" is GeoJSON) and the
// extension. CSV may be UTF-8 (with or without BOM), UTF-16 with BOM or
// Windows-1252, delimited by commas, semicolons or tabs; headers are
// matched to fields by the names people use (see Fields), overridden by
// opt.Map. GeoJSON is a FeatureCollection of Point features, with properties
// read like CSV headers.
//
// Each actor is normalized and validated (geo.Actor.ValidateImported: a
// 14-digit SIRET failing its checksum is kept, with a warning), with status
// opt.Status (published if empty); its sectors are opt.Sector, else those
// its sector values name, else the one its structure type names, else
// tax.DefaultSector. Actors without coordinates wait as
// geo.GeocodePending. A legal form, sector value or structure type that
// matches nothing is a warning, not a failure.
//
// Parse returns an EInvalid *geo.Error, and no rows, when the whole file
// cannot be imported: on field "file" when it is empty, unreadable, neither
// CSV nor GeoJSON, or has no name column; on field "map" when opt.Map names
// an unknown field or a column the file lacks; on field "status" when
// opt.Status is unknown.
func Parse(r io.Reader, filename string, opt Options, tax Taxonomy) ([]Row, *Report, error) {
	var rows []Row
	rep, err := Scan(r, filename, opt, tax, func(row Row, _ *Report) error {
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	rep.Finish()
	return rows, rep, nil
}

// sniffSize is how much of a file is read ahead to tell its encoding,
// format and delimiter.
const sniffSize = 64 << 10

// Scan reads a file as Parse does but hands each valid row to each as soon
// as it is read, so that a CSV file of any size is read in bounded memory
// (a GeoJSON file is still read whole); each also gets the report so far.
// It stops with each's error. The
// caller ends the report with its Finish method.
func Scan(r io.Reader, filename string, opt Options, tax Taxonomy, each func(row Row, sofar *Report) error) (*Report, error) {
	if opt.Status != "" && !opt.Status.Valid() {
		return nil, &geo.Error{Code: geo.EInvalid, Message: "invalid import options",
			Fields: map[string]string{"status": "must be draft, published or archived"}}
	}
	hm, err := newHeaderMatcher(opt.Map)
	if err != nil {
		return nil, err
	}
	text, encoding, err := decodeStream(r)
	if err != nil {
		return nil, err
	}
	head, err := text.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fileError("unreadable: %v", err)
	}
	b := newBuilder(filename, opt, tax)
	var rep *Report
	switch format, err := detectFormat(filename, string(head)); {
	case opt.Schema == SchemaDataInclusion:
		rep, err = scanDataInclusion(text, string(head), b, each)
		if err != nil {
			return nil, err
		}
	case opt.Schema != "":
		return nil, &geo.Error{Code: geo.EInvalid, Message: "invalid import options",
			Fields: map[string]string{"schema": "only " + SchemaDataInclusion}}
	case err != nil:
		return nil, err
	case format == "geojson":
		all, err := io.ReadAll(text)
		if err != nil {
			return nil, fileError("unreadable: %v", err)
		}
		var rows []Row
		rows, rep, err = parseGeoJSON(string(all), hm, b)
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			if err := each(row, rep); err != nil {
				return nil, err
			}
		}
	default:
		rep, err = parseCSV(text, string(head), hm, b, each)
		if err != nil {
			return nil, err
		}
	}
	rep.Encoding = encoding
	return rep, nil
}

// decodeStream returns r as UTF-8 text with the name of the encoding it was
// read in: UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252
// (what Excel on Windows writes as "CSV"). The encoding is told from the
// first sniffSize bytes.
func decodeStream(r io.Reader) (*bufio.Reader, string, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, "", fileError("unreadable: %v", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		br.Discard(3)
		return br, "utf-8-bom", nil
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		enc, name := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "utf-16le"
		if head[0] == 0xfe {
			enc, name = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), "utf-16be"
		}
		return bufio.NewReaderSize(transform.NewReader(br, enc.NewDecoder()), sniffSize), name, nil
	case validUTF8Prefix(head, len(head) == sniffSize):
		return br, "utf-8", nil
	}
	return bufio.NewReaderSize(transform.NewReader(br, charmap.Windows1252.NewDecoder()), sniffSize), "windows-1252", nil
}

// validUTF8Prefix reports whether b is UTF-8, allowing a rune cut at its
// end when b is only the start of the file.
func validUTF8Prefix(b []byte, cut bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if !cut {
		return false
	}
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		if utf8.Valid(b[:len(b)-i]) {
			return true
		}
	}
	return false
}

// detectFormat returns "csv" or "geojson", or an EInvalid *geo.Error when
// text is empty or neither.
func detectFormat(filename, text string) (string, error) {
	trimmed := strings.TrimSpace(text)
	ext := strings.ToLower(filepath.Ext(filename))
	switch {
	case trimmed == "":
		return "", fileError("empty file")
	case strings.HasPrefix(trimmed, "{"):
		return "geojson", nil
	case strings.HasPrefix(text, "PK\x03\x04"):
		return "", fileError("a spreadsheet (xlsx, ods) or zip file, not CSV nor GeoJSON: save it as CSV")
	case strings.ContainsRune(text[:min(len(text), 4096)], 0):
		return "", fileError("a binary file, not CSV nor GeoJSON")
	case ext == ".geojson" || ext == ".json" || strings.HasPrefix(trimmed, "["):
		return "", fileError("not GeoJSON: a FeatureCollection object is expected")
	}
	return "csv", nil
}
