// Package territoryfile reads files of territories: GeoJSON polygons of
// communes, EPCI, départements or regions, the national commune table
// (communes-france-2026.csv layout) and commune points
// (communes-france-points-2018.csv layout). Rows are joined on the INSEE
// code, never the name.
package territoryfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/geojson"

	"github.com/maillage/maillage/geo"
)

// Formats of territory files.
const (
	FormatGeoJSON     = "geojson"
	FormatCommunesCSV = "communes-csv" // the national table: population, EPCI, département, postcodes
	FormatPointsCSV   = "points-csv"   // one reference point per commune
)

// File is a parsed file: its valid rows and a reason for each row left out.
type File struct {
	Format   string
	Rows     []geo.TerritoryRow
	Failed   []geo.ImportReason
	Warnings []geo.ImportReason
	// WeakNames: the file's names (the points file's, from 2018) only
	// name territories that have none.
	WeakNames bool
}

// Parse reads r, a file called filename. level forces the level of the
// rows of a GeoJSON file; empty guesses it from each code (5 characters:
// commune, 9 digits: EPCI, 2 or 3: département). It returns an EInvalid
// error when the file as a whole cannot be read.
func Parse(r io.Reader, filename, level string) (*File, error) {
	if level != "" && geo.LevelRank(level) < 0 {
		return nil, &geo.Error{Code: geo.EInvalid, Message: "unknown level",
			Fields: map[string]string{"level": "commune, epci, departement or region"}}
	}
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return nil, fileError("empty or unreadable file")
	}
	ext := strings.ToLower(filepath.Ext(filename))
	var f *File
	if first == '{' || ext == ".geojson" || ext == ".json" {
		f, err = parseGeoJSON(br, level)
	} else {
		if level != "" && level != geo.LevelCommune {
			return nil, &geo.Error{Code: geo.EInvalid, Message: "CSV files hold communes",
				Fields: map[string]string{"level": "CSV files hold communes only"}}
		}
		f, err = parseCSV(br)
	}
	if err != nil {
		return nil, err
	}
	dedupe(f)
	return f, nil
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case 0xEF: // UTF-8 byte order mark
			br.Discard(2)
			continue
		}
		br.UnreadByte()
		return b, nil
	}
}

func fileError(format string, args ...any) error {
	return &geo.Error{Code: geo.EInvalid, Message: "cannot import file",
		Fields: map[string]string{"file": fmt.Sprintf(format, args...)}}
}

// dedupe keeps the first row of each level and code and reports the others.
func dedupe(f *File) {
	first := map[string]int{}
	kept := f.Rows[:0]
	for _, r := range f.Rows {
		k := r.Level + "/" + r.Code
		if at, dup := first[k]; dup {
			f.Failed = append(f.Failed, geo.ImportReason{Row: r.Row, Code: r.Code, Field: "code",
				Reason: fmt.Sprintf("duplicated code %s, first at row %d", r.Code, at)})
			continue
		}
		first[k] = r.Row
		kept = append(kept, r)
	}
	f.Rows = kept
}

// property names, lower case, in order of preference.
var (
	codeKeys        = []string{"code", "code_insee", "insee", "insee_com", "codgeo", "code_commune"}
	nameKeys        = []string{"nom", "name", "libelle", "nom_commune"}
	populationKeys  = []string{"population", "pop", "ptot"}
	epciKeys        = []string{"epci_code", "epci", "siren_epci", "code_epci"}
	epciNameKeys    = []string{"epci_nom", "epci_name", "nom_epci"}
	departementKeys = []string{"departement", "dep", "code_departement", "insee_dep"}
	regionKeys      = []string{"region", "reg", "code_region", "insee_reg"}
	postcodeKeys    = []string{"codes_postaux", "code_postal", "postcodes", "postcode"}
	lonKeys         = []string{"lon", "longitude", "lng", "x"}
	latKeys         = []string{"lat", "latitude", "y"}
)

// row reads one record's fields, by lower-case name, into a row; it
// returns the reasons that make the row invalid.
func readRow(get func(keys []string) (any, bool), row int, level string) (geo.TerritoryRow, []geo.ImportReason) {
	r := geo.TerritoryRow{Row: row, Level: level}
	var fails []geo.ImportReason
	fail := func(field, reason string) {
		fails = append(fails, geo.ImportReason{Row: row, Code: r.Code, Field: field, Reason: reason})
	}
	text := func(keys []string) string {
		v, ok := get(keys)
		if !ok || v == nil {
			return ""
		}
		switch x := v.(type) {
		case string:
			return strings.TrimSpace(x)
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return strings.TrimSpace(fmt.Sprint(v))
	}
	r.Code = strings.ToUpper(text(codeKeys))
	if r.Code == "" {
		fail("code", "missing code")
		return r, fails
	}
	if r.Level == "" {
		switch {
		case geo.ValidTerritoryCode(geo.LevelCommune, r.Code):
			r.Level = geo.LevelCommune
		case geo.ValidTerritoryCode(geo.LevelEPCI, r.Code):
			r.Level = geo.LevelEPCI
		case geo.ValidTerritoryCode(geo.LevelDepartement, r.Code):
			r.Level = geo.LevelDepartement
		}
	}
	if !geo.ValidTerritoryCode(r.Level, r.Code) {
		if r.Level == "" {
			fail("code", fmt.Sprintf("%q is not an INSEE commune code, an EPCI SIREN or a département code", r.Code))
		} else {
			fail("code", fmt.Sprintf("%q is not a %s code", r.Code, r.Level))
		}
		return r, fails
	}
	r.Name = text(nameKeys)
	if v, ok := get(populationKeys); ok && v != nil {
		switch x := v.(type) {
		case float64:
			if x < 0 || x != math.Trunc(x) || x > math.MaxInt32 {
				fail("population", fmt.Sprintf("%v is not a whole number of inhabitants", x))
			} else {
				n := int(x)
				r.Population = &n
			}
		case string:
			s := strings.ReplaceAll(strings.TrimSpace(x), " ", "")
			if s != "" {
				n, err := strconv.Atoi(s)
				if err != nil || n < 0 {
					fail("population", fmt.Sprintf("%q is not a number of inhabitants", x))
				} else {
					r.Population = &n
				}
			}
		default:
			fail("population", fmt.Sprintf("%v is not a number of inhabitants", v))
		}
	}
	if r.Level == geo.LevelCommune {
		r.EPCI = text(epciKeys)
		r.EPCIName = text(epciNameKeys)
		if r.EPCI != "" && !geo.ValidTerritoryCode(geo.LevelEPCI, r.EPCI) {
			fail("epci_code", fmt.Sprintf("%q is not an EPCI SIREN (9 digits)", r.EPCI))
		}
		r.Departement = strings.ToUpper(text(departementKeys))
		if r.Departement == "" {
			r.Departement = geo.DepartementOfCommune(r.Code)
		}
		if !geo.ValidTerritoryCode(geo.LevelDepartement, r.Departement) {
			fail("departement", fmt.Sprintf("%q is not a département code", r.Departement))
		}
	}
	if r.Level == geo.LevelCommune || r.Level == geo.LevelDepartement {
		r.Region = text(regionKeys)
		if r.Region != "" && !geo.ValidTerritoryCode(geo.LevelRegion, r.Region) {
			fail("region", fmt.Sprintf("%q is not a region code", r.Region))
		}
	}
	if pc := text(postcodeKeys); pc != "" {
		r.Postcodes = strings.Fields(strings.NewReplacer(",", " ", ";", " ", "|", " ").Replace(pc))
	}
	return r, fails
}

// parseGeoJSON reads a FeatureCollection of polygons. A feature without a
// geometry is kept without a polygon; one with a broken geometry is
// reported.
func parseGeoJSON(r io.Reader, level string) (*File, error) {
	var fc struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.NewDecoder(r).Decode(&fc); err != nil {
		return nil, fileError("not a GeoJSON FeatureCollection: %v", err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, fileError("not a GeoJSON FeatureCollection (type %q)", fc.Type)
	}
	f := &File{Format: FormatGeoJSON}
	for i, raw := range fc.Features {
		n := i + 1
		var feat struct {
			Type       string          `json:"type"`
			Properties map[string]any  `json:"properties"`
			Geometry   json.RawMessage `json:"geometry"`
		}
		if err := json.Unmarshal(raw, &feat); err != nil || feat.Type != "Feature" {
			f.Failed = append(f.Failed, geo.ImportReason{Row: n, Reason: "not a GeoJSON Feature object"})
			continue
		}
		props := map[string]any{}
		for k, v := range feat.Properties {
			props[strings.ToLower(strings.TrimSpace(k))] = v
		}
		get := func(keys []string) (any, bool) {
			for _, k := range keys {
				if v, ok := props[k]; ok {
					return v, true
				}
			}
			return nil, false
		}
		row, fails := readRow(get, n, level)
		if len(fails) == 0 {
			g, reason := readPolygon(feat.Geometry)
			if reason != "" {
				fails = append(fails, geo.ImportReason{Row: n, Code: row.Code, Field: "geometry", Reason: reason})
			}
			row.Geometry = g
		}
		if len(fails) > 0 {
			f.Failed = append(f.Failed, fails...)
			continue
		}
		f.Rows = append(f.Rows, row)
	}
	return f, nil
}

// readPolygon checks a GeoJSON geometry: a Polygon or MultiPolygon whose
// rings are closed, of at least four positions, in longitude and
// latitude. It returns the geometry (nil for a null one) or why it is
// broken. Self-intersections are left to ST_MakeValid.
func readPolygon(raw json.RawMessage) ([]byte, string) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, ""
	}
	var g geom.T
	if err := geojson.Unmarshal(raw, &g); err != nil {
		return nil, "unreadable geometry: " + err.Error()
	}
	var polys []*geom.Polygon
	switch v := g.(type) {
	case *geom.Polygon:
		polys = []*geom.Polygon{v}
	case *geom.MultiPolygon:
		for i := 0; i < v.NumPolygons(); i++ {
			polys = append(polys, v.Polygon(i))
		}
	default:
		return nil, fmt.Sprintf("a %s, not a Polygon or MultiPolygon", geometryType(raw))
	}
	if len(polys) == 0 {
		return nil, "empty geometry"
	}
	multi := geom.NewMultiPolygon(geom.XY)
	for _, p := range polys {
		if p.NumLinearRings() == 0 {
			return nil, "polygon without a ring"
		}
		rings := make([][]geom.Coord, 0, p.NumLinearRings())
		for r := 0; r < p.NumLinearRings(); r++ {
			ring := p.LinearRing(r).Coords()
			if len(ring) < 4 {
				return nil, fmt.Sprintf("a ring of %d positions (at least 4 are needed)", len(ring))
			}
			if !ring[0].Equal(geom.XY, ring[len(ring)-1]) {
				return nil, "a ring is not closed (its last position differs from its first)"
			}
			for _, pt := range ring {
				if !(pt[0] >= -180 && pt[0] <= 180 && pt[1] >= -90 && pt[1] <= 90) {
					return nil, fmt.Sprintf("position %v is not a longitude and latitude", []float64(pt[:2]))
				}
			}
			xy := make([]geom.Coord, len(ring))
			for k, pt := range ring {
				xy[k] = geom.Coord{pt[0], pt[1]}
			}
			rings = append(rings, xy)
		}
		poly, err := geom.NewPolygon(geom.XY).SetCoords(rings)
		if err == nil {
			err = multi.Push(poly)
		}
		if err != nil {
			return nil, "unreadable geometry: " + err.Error()
		}
	}
	out, err := geojson.Marshal(multi)
	if err != nil {
		return nil, "unreadable geometry: " + err.Error()
	}
	return out, ""
}

// parseCSV reads the national commune table or the commune points, told
// apart by their columns (lon and lat for points).
func parseCSV(r io.Reader) (*File, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(4096)
	line, _, _ := bytes.Cut(head, []byte("\n"))
	cr := csv.NewReader(br)
	cr.Comma = ','
	if bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, fileError("no header line: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	find := func(keys []string) (int, bool) {
		for _, k := range keys {
			if i, ok := col[k]; ok {
				return i, true
			}
		}
		return 0, false
	}
	if _, ok := find(codeKeys); !ok {
		return nil, fileError("no column of INSEE codes (code_insee or code)")
	}
	lonCol, hasLon := find(lonKeys)
	latCol, hasLat := find(latKeys)
	f := &File{Format: FormatCommunesCSV}
	if hasLon && hasLat {
		f.Format, f.WeakNames = FormatPointsCSV, true
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			f.Failed = append(f.Failed, geo.ImportReason{Row: perr.StartLine, Reason: "unreadable CSV: " + perr.Err.Error()})
			continue
		}
		if err != nil {
			return nil, err
		}
		n, _ := cr.FieldPos(0)
		get := func(keys []string) (any, bool) {
			i, ok := find(keys)
			if !ok || i >= len(rec) {
				return nil, false
			}
			return rec[i], true
		}
		row, fails := readRow(get, n, geo.LevelCommune)
		if f.Format == FormatPointsCSV && len(fails) == 0 {
			p, reason := readPoint(rec, lonCol, latCol)
			if reason != "" {
				fails = append(fails, geo.ImportReason{Row: n, Code: row.Code, Field: "lon", Reason: reason})
			}
			row.Point = p
			// The points file names 2018 communes: only their points are read
			// (and their département, from the code).
			row.Region, row.EPCI, row.EPCIName, row.Postcodes = "", "", "", nil
		}
		if len(fails) > 0 {
			f.Failed = append(f.Failed, fails...)
			continue
		}
		f.Rows = append(f.Rows, row)
	}
	return f, nil
}

func readPoint(rec []string, lonCol, latCol int) (*geo.Point, string) {
	if lonCol >= len(rec) || latCol >= len(rec) {
		return nil, "missing lon or lat"
	}
	lon, err1 := strconv.ParseFloat(strings.TrimSpace(rec[lonCol]), 64)
	lat, err2 := strconv.ParseFloat(strings.TrimSpace(rec[latCol]), 64)
	if err1 != nil || err2 != nil || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return nil, fmt.Sprintf("%q, %q is not a longitude and latitude", rec[lonCol], rec[latCol])
	}
	return &geo.Point{Lon: lon, Lat: lat}, ""
}

// geometryType returns the "type" member of a GeoJSON geometry, for errors.
func geometryType(raw json.RawMessage) string {
	var g struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(raw, &g)
	return g.Type
}
