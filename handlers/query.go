package handlers

import (
	"errors"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// params reads query parameters, rejecting unknown ones, and collects a
// reason per bad parameter so that one 400 names them all.
type params struct {
	values url.Values
	errs   geo.FieldErrors
}

// readParams returns the query of c, with an error for each parameter not
// in allowed or given twice.
func readParams(c *echo.Context, allowed ...string) *params {
	p := &params{values: c.QueryParams(), errs: geo.FieldErrors{}}
	for name, vs := range p.values {
		switch {
		case !slices.Contains(allowed, name):
			p.errs.Add(name, "unknown parameter; accepted: "+strings.Join(allowed, ", "))
		case len(vs) > 1:
			p.errs.Add(name, "given more than once")
		case strings.ContainsRune(vs[0], 0) || !utf8.ValidString(vs[0]):
			p.errs.Add(name, "must be UTF-8 text without NUL characters")
			p.values.Del(name)
		}
	}
	return p
}

func (p *params) str(name string) string {
	return strings.TrimSpace(p.values.Get(name))
}

// list reads a comma-separated list, without empty items.
func (p *params) list(name string) []string {
	var out []string
	for _, v := range strings.Split(p.values.Get(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// intIn reads an integer within [min, max], or def when absent.
func (p *params) intIn(name string, def, min, max int) int {
	s := p.str(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		p.errs.Add(name, "an integer from "+strconv.Itoa(min)+" to "+strconv.Itoa(max))
		return def
	}
	return n
}

// point reads "lon,lat".
func (p *params) point(name string) *geo.Point {
	s := p.str(name)
	if s == "" {
		return nil
	}
	lon, lat, ok := strings.Cut(s, ",")
	x, errX := strconv.ParseFloat(strings.TrimSpace(lon), 64)
	y, errY := strconv.ParseFloat(strings.TrimSpace(lat), 64)
	if !ok || errX != nil || errY != nil || x < -180 || x > 180 || y < -90 || y > 90 {
		p.errs.Add(name, "lon,lat in WGS 84")
		return nil
	}
	return &geo.Point{Lon: x, Lat: y}
}

// bbox reads "minLon,minLat,maxLon,maxLat".
func (p *params) bbox(name string) *geo.BBox {
	s := p.str(name)
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		p.errs.Add(name, "four numbers: minLon,minLat,maxLon,maxLat")
		return nil
	}
	var v [4]float64
	for i, part := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			p.errs.Add(name, "four numbers: minLon,minLat,maxLon,maxLat")
			return nil
		}
		v[i] = f
	}
	b := &geo.BBox{MinLon: v[0], MinLat: v[1], MaxLon: v[2], MaxLat: v[3]}
	if err := b.Validate(name); err != nil {
		reason := geo.ErrorMessage(err)
		if gerr, ok := errors.AsType[*geo.Error](err); ok && gerr.Fields[name] != "" {
			reason = gerr.Fields[name]
		}
		p.errs.Add(name, reason)
		return nil
	}
	return b
}

func (p *params) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return &geo.Error{Code: geo.EInvalid, Message: "invalid query parameters", Fields: p.errs}
}
