package actorfile

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/maillage/maillage/geo"
)

// record is one row of a file as values by field, before it becomes an
// actor.
type record struct {
	line   int
	values map[string][]string // field -> non-empty values, best column first
	ranks  map[string][]int    // field -> rank of each value's column

	// From a GeoJSON geometry: point, or geomErr when it is unusable.
	// Neither means no geometry.
	point   *geo.Point
	geomErr string
}

func newRecord(line int) *record {
	return &record{line: line, values: make(map[string][]string), ranks: make(map[string][]int)}
}

// add appends v as a value of the column's field, keeping values ordered
// by the rank of their column.
func (r *record) add(c column, v string) {
	v = strings.TrimSpace(v)
	if c.field == "" || v == "" {
		return
	}
	ranks := r.ranks[c.field]
	i, _ := slices.BinarySearch(ranks, c.rank+1) // after equal ranks: file order
	r.ranks[c.field] = slices.Insert(ranks, i, c.rank)
	r.values[c.field] = slices.Insert(r.values[c.field], i, v)
}

func (r *record) first(field string) string {
	if v := r.values[field]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// builder turns records into actors.
type builder struct {
	opt    Options
	tax    Taxonomy
	source string // when neither opt.Source nor the row give one
}

func newBuilder(filename string, opt Options, tax Taxonomy) *builder {
	base := filepath.Base(filename)
	if base == "." || base == string(filepath.Separator) {
		base = ""
	}
	return &builder{opt: opt, tax: tax, source: strings.TrimSuffix(base, filepath.Ext(base))}
}

// validateFields names the fields of geo.Actor.Validate as import fields.
var validateFields = map[string]string{"sectors": "sector", "street": "address", "location": "latitude"}

// build returns the actor rec describes, with the problems that make the row
// fail (fails) and the notes on a kept row (warns).
func (b *builder) build(rec *record) (a geo.Actor, fails, warns []Problem) {
	fail := func(field, reason string) {
		fails = append(fails, Problem{Row: rec.line, Field: field, Reason: reason})
	}
	warn := func(field, reason string) {
		warns = append(warns, Problem{Row: rec.line, Field: field, Reason: reason})
	}

	a.Name = firstOf(rec.first("brand"), rec.first("name"))
	a.Address = geo.Address{
		Street:   rec.first("address"),
		Postcode: padDigits(strings.ReplaceAll(rec.first("postcode"), " ", ""), 5),
		City:     rec.first("city"),
		Citycode: padDigits(rec.first("citycode"), 5),
	}
	a.SIRET = geo.NormalizeSIRET(rec.first("siret"))
	if len(a.SIRET) == 13 && geo.ValidSIRET("0"+a.SIRET) {
		a.SIRET = "0" + a.SIRET // a spreadsheet dropped the leading zero
	}
	a.NAF = strings.ReplaceAll(rec.first("naf"), " ", "")
	a.Website = rec.first("website")
	a.Email = strings.TrimPrefix(rec.first("email"), "mailto:")
	a.Phone = rec.first("phone")
	a.Description = rec.first("description")
	a.ExternalID = rec.first("external_id")
	a.Networks = slices.Clone(rec.values["networks"])       // data·inclusion files only
	a.ContactPublic = rec.first("contact_public") == "true" // data·inclusion files only
	a.Source = firstOf(b.opt.Source, rec.first("source"), b.source)
	a.Status = firstOf(b.opt.Status, geo.StatusPublished)

	legal := rec.first("legal_form")
	if legal != "" {
		f, ok := b.tax.LegalForms.Match(legal)
		a.LegalForm = f
		if !ok {
			warn("legal_form", "no INSEE legal form matches "+quote(legal)+": kept as text")
		}
	}

	if kind := rec.first("kind"); kind != "" {
		a.Kind = b.kind(kind)
		if a.Kind == "" {
			if f, ok := b.tax.LegalForms.Match(kind); legal == "" && ok && (f.Code != "" || f.Family != "") {
				a.LegalForm = f
			} else {
				warn("kind", "unknown structure type "+quote(kind)+" (ACI, AI, EI, ETTI, EITI, GEIQ or EA): ignored")
			}
		}
	}

	a.Sectors = b.sectors(rec, a.Kind, warn)
	if len(a.Sectors) == 0 {
		fail("sector", "no sector: the row names none that is known and no default sector is set (--sector)")
	}

	switch loc, field, reason := location(rec); {
	case field != "":
		fail(field, reason)
	case loc != nil:
		a.Location = loc
		a.Geocoding.Source = geo.LocationFromFile
		if w := geo.OutsideWarning(*loc, b.tax.Territory); w != "" {
			warn("latitude", w)
		}
	default:
		a.Geocoding.State = geo.GeocodePending
		if reason != "" {
			warn("latitude", reason)
		}
	}

	a.Normalize()
	if !a.SIRETValid() && siretShape(a.SIRET) {
		warn("siret", fmt.Sprintf("the SIRET %q fails its checksum: kept as given, to check", a.SIRET))
	}
	if err := a.ValidateImported(); err != nil {
		e, ok := errors.AsType[*geo.Error](err)
		if !ok {
			fail("", err.Error())
			return a, fails, warns
		}
		for field, reason := range e.Fields {
			if f, ok := validateFields[field]; ok {
				field = f
			}
			if field == "sector" && len(a.Sectors) == 0 {
				continue // reported above
			}
			if v := rec.first(field); v != "" {
				reason += ": " + quote(v)
			}
			fail(field, reason)
		}
	}
	return a, fails, warns
}

// kind returns the key of geo.Kinds that v names, by key or by label, or "".
func (b *builder) kind(v string) string {
	k := strings.ToUpper(strings.TrimSpace(v))
	if _, ok := geo.Kinds[k]; ok {
		return k
	}
	for k, label := range geo.Kinds {
		if geo.Fold(label) == geo.Fold(v) {
			return k
		}
	}
	return ""
}

// sectors returns the row's sector slugs: opt.Sector when set; else the
// sectors its sector values name, each unknown value noted by warn; else
// the sector its structure type names (ACI, EI... are synonyms of the
// insertion sector); else the taxonomy's default sector; else none.
func (b *builder) sectors(rec *record, kind string, warn func(field, reason string)) []string {
	if b.opt.Sector != "" {
		return []string{b.opt.Sector}
	}
	slugs, unmatched := b.tax.Sectors.MatchAll(rec.values["sector"])
	for _, u := range unmatched {
		warn("sector", "no sector matches "+quote(u))
	}
	if len(slugs) > 0 {
		return slugs
	}
	if kind != "" {
		if s, ok := b.tax.Sectors.Match(kind); ok {
			return []string{s}
		}
	}
	if b.tax.DefaultSector != "" {
		return []string{b.tax.DefaultSector}
	}
	return nil
}

// location returns the row's point from its GeoJSON geometry, else from its
// latitude and longitude (or coordinates) values. It returns the field at
// fault and why when they are unusable, or only a reason when they are
// dropped (0, 0, a placeholder for no point).
func location(rec *record) (p *geo.Point, field, reason string) {
	if rec.geomErr != "" {
		return nil, "geometry", rec.geomErr
	}
	if rec.point != nil {
		return rec.point, "", ""
	}
	latS, lonS := rec.first("latitude"), rec.first("longitude")
	if latS == "" && lonS == "" {
		c := rec.first("coordinates")
		if c == "" {
			return nil, "", ""
		}
		var ok bool
		if latS, lonS, ok = splitCoordinates(c); !ok {
			return nil, "coordinates", "not \"latitude, longitude\": " + quote(c)
		}
	}
	switch {
	case latS == "":
		return nil, "latitude", "longitude given without latitude"
	case lonS == "":
		return nil, "longitude", "latitude given without longitude"
	}
	lat, ok := parseNumber(latS)
	if !ok {
		return nil, "latitude", "not a number: " + quote(latS)
	}
	lon, ok := parseNumber(lonS)
	if !ok {
		return nil, "longitude", "not a number: " + quote(lonS)
	}
	switch {
	case lat < -90 || lat > 90:
		return nil, "latitude", "out of range (WGS 84 degrees, -90 to 90; Lambert 93 is not read): " + quote(latS)
	case lon < -180 || lon > 180:
		return nil, "longitude", "out of range (WGS 84 degrees, -180 to 180; Lambert 93 is not read): " + quote(lonS)
	case lat == 0 && lon == 0:
		return nil, "", "0, 0 taken as no point: to geocode"
	}
	return &geo.Point{Lon: lon, Lat: lat}, "", ""
}

// splitCoordinates splits "46.32, -0.46" or "46,32;-0,46" (latitude first,
// as in OpenDataSoft geo_point_2d) into its two numbers.
func splitCoordinates(s string) (lat, lon string, ok bool) {
	for _, sep := range []string{";", ", ", " ", ","} {
		if a, b, found := strings.Cut(s, sep); found && !strings.Contains(b, sep) {
			return strings.TrimSpace(a), strings.TrimSpace(b), true
		}
	}
	return "", "", false
}

// parseNumber reads a decimal number written with a point or a comma
// ("46,3231"). It rejects infinities, NaN and thousands separators.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, ",") {
		if strings.Contains(s, ".") {
			return 0, false
		}
		s = strings.Replace(s, ",", ".", 1)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// padDigits puts back the leading zero a spreadsheet dropped from a code of
// n characters written with digits only ("1000" -> "01000").
func padDigits(s string, n int) string {
	if len(s) != n-1 {
		return s
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return s
		}
	}
	return "0" + s
}

// firstOf returns the first of vs that is not the zero value.
func firstOf[T comparable](vs ...T) T {
	var zero T
	for _, v := range vs {
		if v != zero {
			return v
		}
	}
	return zero
}

// siretShape reports whether s has the 14 digits of a SIRET, whatever its
// checksum.
func siretShape(s string) bool {
	if len(s) != 14 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
