package handlers

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
)

// Importer imports a file of actors into the directory.
type Importer interface {
	Import(ctx context.Context, r io.Reader, filename string, opt actorfile.Options, progress func(done, total int)) (*actorfile.Result, error)
}

// importFields are the form fields POST /api/imports accepts beside file.
var importFields = []string{"map", "sector", "status", "dry_run", "source", "attribution"}

// importFile answers POST /api/imports: a multipart form with the file in
// field "file" and the options of maillage import as fields. The answer is
// the import report: rows kept, rows skipped with their reason.
func (s *Server) importFile(c *echo.Context) error {
	r := c.Request()
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return &geo.Error{Code: geo.EInvalid, Message: "send the file as multipart/form-data",
			Fields: map[string]string{"file": "missing: send it in the multipart field \"file\""}}
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		if tooLarge(err) {
			return err
		}
		return &geo.Error{Code: geo.EInvalid, Message: "malformed multipart form", Fields: map[string]string{"file": "unreadable form"}}
	}
	defer r.MultipartForm.RemoveAll()
	errs := geo.FieldErrors{}
	for name, vs := range r.MultipartForm.Value {
		switch {
		case !slices.Contains(importFields, name):
			errs.Add(name, "unknown field; accepted: file, "+strings.Join(importFields, ", "))
		case name != "map" && len(vs) > 1:
			errs.Add(name, "given more than once")
		}
	}
	files := r.MultipartForm.File["file"]
	if len(files) != 1 {
		errs.Add("file", "exactly one file is required in field \"file\"")
	}
	opt := actorfile.Options{
		Sector:      r.FormValue("sector"),
		Source:      r.FormValue("source"),
		Attribution: r.FormValue("attribution"),
	}
	if st := r.FormValue("status"); st != "" {
		if !geo.Status(st).Valid() {
			errs.Add("status", "draft, published or archived")
		}
		opt.Status = geo.Status(st)
	}
	switch r.FormValue("dry_run") {
	case "", "0", "false":
	case "1", "true":
		opt.DryRun = true
	default:
		errs.Add("dry_run", "true or false")
	}
	switch r.FormValue("apply_proposals") {
	case "", "0", "false":
	case "1", "true":
		opt.ApplyProposals = true
	default:
		errs.Add("apply_proposals", "true or false")
	}
	m, err := actorfile.ParseMap(r.MultipartForm.Value["map"])
	if err != nil {
		return err
	}
	opt.Map = m
	if err := errs.Err(); err != nil {
		return err
	}
	f, err := files[0].Open()
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := s.Importer.Import(r.Context(), f, files[0].Filename, opt, nil)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func tooLarge(err error) bool {
	var maxErr *http.MaxBytesError
	return errors.As(err, &maxErr) || strings.Contains(err.Error(), "request body too large")
}
