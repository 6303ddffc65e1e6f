// Package actorfile reads and writes files of actors. Import reads the
// files directory keepers have, CSV spreadsheet exports and GeoJSON, into
// actors: a row that cannot become a valid actor is reported and skipped;
// the others are kept. Export writes actors as CSV, which import reads
// back, and as GeoJSON, each with the attribution its source requires; the
// API shows an actor in the same JSON.
package actorfile

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/maillage/maillage/geo"
)

// Options are the choices of the person importing a file.
type Options struct {
	Map    map[string]string // file column header -> field name (from --map COLUMN=field, see ParseMap)
	Sector string            // slug applied to every row (--sector), replacing the file's sectors; already validated by the caller
	Status geo.Status        // status of imported actors; "" means published
	Source string            // attribution/source name; "" -> the row's "source" value if any, else the file's base name without extension

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
	if opt.Status != "" && !opt.Status.Valid() {
		return nil, nil, &geo.Error{Code: geo.EInvalid, Message: "invalid import options",
			Fields: map[string]string{"status": "must be draft, published or archived"}}
	}
	hm, err := newHeaderMatcher(opt.Map)
	if err != nil {
		return nil, nil, err
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fileError("unreadable: %v", err)
	}
	text, encoding, err := decodeText(data)
	if err != nil {
		return nil, nil, err
	}
	b := newBuilder(filename, opt, tax)
	var (
		rows []Row
		rep  *Report
	)
	switch format, err := detectFormat(filename, text); {
	case err != nil:
		return nil, nil, err
	case format == "geojson":
		rows, rep, err = parseGeoJSON(text, hm, b)
		if err != nil {
			return nil, nil, err
		}
	default:
		rows, rep, err = parseCSV(text, hm, b)
		if err != nil {
			return nil, nil, err
		}
	}
	rep.Encoding = encoding
	return rows, rep, nil
}

// decodeText returns data as a string with the name of the encoding it was
// read in: UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252
// (what Excel on Windows writes as "CSV").
func decodeText(data []byte) (text, encoding string, err error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		return string(data[3:]), "utf-8-bom", nil
	case bytes.HasPrefix(data, []byte("\xff\xfe")), bytes.HasPrefix(data, []byte("\xfe\xff")):
		enc, name := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "utf-16le"
		if data[0] == 0xfe {
			enc, name = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), "utf-16be"
		}
		out, err := enc.NewDecoder().Bytes(data)
		if err != nil {
			return "", "", fileError("unreadable %s: %v", name, err)
		}
		return string(out), name, nil
	case utf8.Valid(data):
		return string(data), "utf-8", nil
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(data)
	if err != nil {
		return "", "", fileError("unreadable: %v", err)
	}
	return string(out), "windows-1252", nil
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
