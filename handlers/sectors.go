package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

func (s *Server) listSectors(c *echo.Context) error {
	if err := readParams(c).err(); err != nil {
		return err
	}
	sectors, err := s.Sectors.FindSectors(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listPage[geo.Sector]{Items: sectors, Total: len(sectors)})
}

func (s *Server) getSector(c *echo.Context) error {
	if err := readParams(c).err(); err != nil {
		return err
	}
	sec, err := s.Sectors.FindSector(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sec)
}

// sectorInput is the body of POST and PATCH on sectors.
type sectorInput struct {
	Slug     *string   `json:"slug"`
	Label    *string   `json:"label"`
	Color    *string   `json:"color"`
	Icon     *string   `json:"icon"`
	Synonyms *[]string `json:"synonyms"`
	Position *int      `json:"position"`
}

// decodeStrict decodes a JSON object into v, naming an unknown field or a
// field of the wrong type in the error.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return &geo.Error{Code: geo.EInvalid, Message: "invalid field", Fields: map[string]string{typeErr.Field: "must be a " + typeErr.Value + " of type " + typeErr.Type.String()}}
	}
	if field, ok := unknownField(err); ok {
		return &geo.Error{Code: geo.EInvalid, Message: "unknown field", Fields: map[string]string{field: "unknown field"}}
	}
	return &geo.Error{Code: geo.EInvalid, Message: "the body must be a JSON object", Fields: map[string]string{"body": "not a valid JSON object"}}
}

// decodeSector reads the body of POST and PATCH on sectors.
func (s *Server) decodeSector(c *echo.Context) (geo.SectorUpdate, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return geo.SectorUpdate{}, err
	}
	var in sectorInput
	if err := decodeStrict(body, &in); err != nil {
		return geo.SectorUpdate{}, err
	}
	return geo.SectorUpdate(in), nil
}

func (s *Server) createSector(c *echo.Context) error {
	upd, err := s.decodeSector(c)
	if err != nil {
		return err
	}
	var sec geo.Sector
	upd.Apply(&sec)
	if err := s.Sectors.CreateSector(c.Request().Context(), &sec); err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/sectors/"+sec.Slug)
	return c.JSON(http.StatusCreated, sec)
}

func (s *Server) updateSector(c *echo.Context) error {
	upd, err := s.decodeSector(c)
	if err != nil {
		return err
	}
	if slug := c.Param("slug"); slug == s.opts.DefaultSector && upd.Slug != nil && *upd.Slug != slug {
		return &geo.Error{Code: geo.EConflict, Message: "the default sector of imports cannot be renamed",
			Fields: map[string]string{"slug": "the default sector (MAILLAGE_DEFAULT_SECTOR) keeps its slug; change its label instead"}}
	}
	sec, err := s.Sectors.UpdateSector(c.Request().Context(), c.Param("slug"), upd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sec)
}

func (s *Server) deleteSector(c *echo.Context) error {
	if c.Param("slug") == s.opts.DefaultSector {
		return &geo.Error{Code: geo.EConflict, Message: "the default sector of imports cannot be deleted",
			Fields: map[string]string{"slug": "the default sector (MAILLAGE_DEFAULT_SECTOR)"}}
	}
	if err := s.Sectors.DeleteSector(c.Request().Context(), c.Param("slug")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// checkSectors returns an EInvalid error naming sectors if one of slugs is
// not a sector.
func (s *Server) checkSectors(ctx context.Context, slugs []string) error {
	if len(slugs) == 0 {
		return nil
	}
	known, err := s.Sectors.FindSectors(ctx)
	if err != nil {
		return err
	}
	for _, slug := range slugs {
		if !sectorExists(known, slug) {
			return &geo.Error{Code: geo.EInvalid, Message: "invalid query parameters",
				Fields: map[string]string{"sectors": fmt.Sprintf("unknown sector %q (see /api/sectors)", slug)}}
		}
	}
	return nil
}

func sectorExists(sectors []geo.Sector, slug string) bool {
	for _, s := range sectors {
		if s.Slug == slug {
			return true
		}
	}
	return false
}
