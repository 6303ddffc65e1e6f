package handlers

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
)

// readSchema reads the schema parameter of the actor exports: empty, or
// data-inclusion.
func readSchema(p *params) string {
	s := p.str("schema")
	if s != "" && s != actorfile.SchemaDataInclusion {
		p.errs.Add("schema", "only "+actorfile.SchemaDataInclusion)
	}
	return s
}

// actorsDataInclusion answers GET /api/actors.csv?schema=data-inclusion
// and /api/actors.json?schema=data-inclusion: the actors of the filter as
// data·inclusion structures, streamed in name order. Contacts are given
// with the actor's consent, or to keepers.
func (s *Server) actorsDataInclusion(c *echo.Context, f geo.ActorFilter, asCSV, raw bool) error {
	ctx := c.Request().Context()
	h := c.Response().Header()
	name := "structures-data-inclusion.json"
	h.Set("Content-Type", "application/json")
	if asCSV {
		name = "structures-data-inclusion.csv"
		h.Set("Content-Type", "text/csv; charset=utf-8")
	}
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	bw := bufio.NewWriterSize(c.Response(), 32<<10)
	cw := csv.NewWriter(bw)
	enc := json.NewEncoder(bw)
	started := false
	start := func() error {
		c.Response().WriteHeader(http.StatusOK)
		started = true
		if asCSV {
			return cw.Write(actorfile.DataInclusionColumns)
		}
		_, err := bw.WriteString("[\n")
		return err
	}
	withContacts := keeper(c) != nil
	n := 0
	err := s.Actors.EachActor(ctx, f, func(a *geo.Actor) error {
		if !started {
			if err := start(); err != nil {
				return err
			}
		}
		d := actorfile.NewDataInclusion(a, withContacts)
		if asCSV {
			record := d.CSVRecord()
			if !raw {
				actorfile.SpreadsheetSafe(record)
			}
			return cw.Write(record)
		}
		if n++; n > 1 {
			bw.WriteString(",\n")
		}
		return enc.Encode(d)
	})
	if err != nil {
		if started {
			s.logRequestError(c, "streaming data·inclusion export", err)
			panic(http.ErrAbortHandler)
		}
		return err
	}
	if !started {
		if err := start(); err != nil {
			return err
		}
	}
	if asCSV {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	} else {
		bw.WriteString("]\n")
	}
	return bw.Flush()
}

// actorsJSON answers GET /api/actors.json?schema=data-inclusion.
func (s *Server) actorsJSON(c *echo.Context) error {
	p := readParams(c, "sectors", "q", "bbox", "status", "schema")
	f, err := s.readActorFilter(c, p)
	if err != nil {
		return err
	}
	if readSchema(p) == "" {
		p.errs.Add("schema", "required: "+actorfile.SchemaDataInclusion+" (the actor JSON is /api/actors)")
	}
	if err := p.err(); err != nil {
		return err
	}
	return s.actorsDataInclusion(c, f, false, false)
}
