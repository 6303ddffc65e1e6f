package handlers

import (
	"io"
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// sectorProposals are the sectors proposed for the actors, optionally
// only those of the sector slugs in only.
func (s *Server) sectorProposals(c *echo.Context, only []string) ([]geo.SectorProposal, error) {
	ctx := c.Request().Context()
	if err := s.checkSectors(ctx, only); err != nil {
		return nil, err
	}
	sectors, err := s.Sectors.FindSectors(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := s.Actors.ProposeSectors(ctx, sectors)
	if err != nil || len(only) == 0 {
		return ps, err
	}
	keep := map[string]bool{}
	for _, slug := range only {
		keep[slug] = true
	}
	out := ps[:0]
	for _, p := range ps {
		if keep[p.Sector] {
			out = append(out, p)
		}
	}
	return out, nil
}

type proposalsJSON struct {
	Items    []geo.SectorProposal `json:"items"`
	Total    int                  `json:"total"`
	BySector map[string]int       `json:"by_sector"`
}

// listSectorProposals answers GET /api/sector-proposals[?sectors=a,b]:
// the sectors the rules propose from the actors' NAF codes, names and
// descriptions, with counts by sector.
func (s *Server) listSectorProposals(c *echo.Context) error {
	p := readParams(c, "sectors")
	only := p.list("sectors")
	if err := p.err(); err != nil {
		return err
	}
	ps, err := s.sectorProposals(c, only)
	if err != nil {
		return err
	}
	out := proposalsJSON{Items: ps, Total: len(ps), BySector: map[string]int{}}
	for _, p := range ps {
		out.BySector[p.Sector]++
	}
	return c.JSON(http.StatusOK, out)
}

// applySectorProposals answers POST /api/sector-proposals/apply with an
// optional body {"sectors": [...]}: it gives the actors every proposed
// sector (or those of the listed sectors) and says how many were given.
func (s *Server) applySectorProposals(c *echo.Context) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	var in struct {
		Sectors []string `json:"sectors"`
	}
	if len(body) > 0 {
		if err := decodeStrict(body, &in); err != nil {
			return err
		}
	}
	ps, err := s.sectorProposals(c, in.Sectors)
	if err != nil {
		return err
	}
	n, err := s.Actors.ApplySectorProposals(c.Request().Context(), ps)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"proposed": len(ps), "applied": n})
}
