package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
)

// Importer imports a file of actors into the directory.
type Importer interface {
	Import(ctx context.Context, r io.Reader, filename string, opt actorfile.Options, progress func(actorfile.Progress)) (*actorfile.Result, error)
}

// importFields are the form fields POST /api/imports accepts beside file.
var importFields = []string{"map", "sector", "status", "dry_run", "apply_proposals", "source", "attribution"}

// importFile answers POST /api/imports: a multipart form with the file in
// field "file" and the options of maillage import as fields. For a file up
// to ImportSyncMax bytes the answer is the import report: rows kept, rows
// skipped with their reason. A larger file is imported by a job: 202 with
// the job, whose state GET /api/imports/{id} gives.
func (s *Server) importFile(c *echo.Context) error {
	r := c.Request()
	u, err := readUpload(r, importFields, "map")
	if err != nil {
		return err
	}
	defer u.remove(r)
	opt := actorfile.Options{
		Sector:         u.Value("sector"),
		Source:         u.Value("source"),
		Attribution:    u.Value("attribution"),
		DryRun:         u.boolean("dry_run"),
		ApplyProposals: u.boolean("apply_proposals"),
	}
	if st := u.Value("status"); st != "" {
		if !geo.Status(st).Valid() {
			u.errs.Add("status", "draft, published or archived")
		}
		opt.Status = geo.Status(st)
	}
	m, err := actorfile.ParseMap(u.Form.Value["map"])
	if err != nil {
		return err
	}
	opt.Map = m
	if err := u.errs.Err(); err != nil {
		return err
	}
	if s.Imports != nil && u.File.Size > s.opts.ImportSyncMax {
		return s.startImportJob(c, u.File, opt)
	}
	f, err := u.File.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := s.Importer.Import(r.Context(), f, u.File.Filename, opt, nil)
	if err != nil {
		return s.importError(r.Context(), err)
	}
	return c.JSON(http.StatusOK, res)
}

// importError is err, of an import that failed, said in words when the
// database was unavailable or too slow: an import is one transaction, so
// nothing of it was stored (the store says itself when a commit cut off
// leaves that unknown). An import whose client left (ctx cancelled) is
// left as it is.
func (s *Server) importError(ctx context.Context, err error) error {
	if _, ok := errors.AsType[*geo.Error](err); ok || !s.dbUnavailable(err) ||
		errors.Is(ctx.Err(), context.Canceled) && context.Cause(ctx) != errDeadline {
		return err
	}
	return &geo.Error{Code: geo.EUnavailable, Message: "the database became unavailable or too slow during the import: " +
		"nothing was stored; send the file again in a moment"}
}

// ImportJobStore keeps the import jobs, shared by every server on the
// database.
type ImportJobStore interface {
	CreateImportJob(ctx context.Context, j *geo.ImportJob) error
	BeatImportJob(ctx context.Context, id int64, read, stored, failed int, bytes int64) (cancel bool, err error)
	FinishImportJob(ctx context.Context, id int64, state, errText string, read, stored, failed int, result []byte) error
	FindImportJob(ctx context.Context, id int64) (*geo.ImportJob, error)
	CancelImportJob(ctx context.Context, id int64) error
}

// importJobs are the import jobs this process runs.
type importJobs struct {
	ctx  context.Context // ends when the server stops
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// jobBeat is how often a running job records its progress and looks
// whether it was cancelled.
const jobBeat = 2 * time.Second

// StopImports cancels the import jobs this server runs (nothing of them is
// stored) and waits for them to end.
func (s *Server) StopImports() {
	s.jobs.stop()
	s.jobs.wg.Wait()
}

// startImportJob answers 202 with a job importing fh in the background.
func (s *Server) startImportJob(c *echo.Context, fh *multipart.FileHeader, opt actorfile.Options) error {
	f, err := fh.Open()
	if err != nil {
		return err
	}
	form := c.Request().MultipartForm
	c.Request().MultipartForm = nil // the job removes its files, not the handler
	j := &geo.ImportJob{Filename: fh.Filename, DryRun: opt.DryRun, BytesTotal: fh.Size}
	if err := s.Imports.CreateImportJob(c.Request().Context(), j); err != nil {
		f.Close()
		form.RemoveAll()
		return err
	}
	author, _ := geo.AuthorOf(c.Request().Context())
	s.jobs.wg.Add(1)
	go func() {
		defer s.jobs.wg.Done()
		defer form.RemoveAll()
		defer f.Close()
		s.runImportJob(j, f, opt, author)
	}()
	c.Response().Header().Set("Location", fmt.Sprintf("/api/imports/%d", j.ID))
	return c.JSON(http.StatusAccepted, j)
}

// runImportJob imports f for job j, beating its heartbeat, and records
// how it ended.
func (s *Server) runImportJob(j *geo.ImportJob, f io.Reader, opt actorfile.Options, author geo.Author) {
	ctx, cancel := context.WithCancel(geo.WithAuthor(s.jobs.ctx, author))
	defer cancel()
	var mu sync.Mutex
	var last actorfile.Progress
	cancelled := false
	beat := func() {
		mu.Lock()
		p := last
		mu.Unlock()
		stop, err := s.Imports.BeatImportJob(ctx, j.ID, p.Read, p.Stored, p.Failed, p.Bytes)
		if err != nil && ctx.Err() == nil {
			s.logger.Warn("import job heartbeat", "job", j.ID, "err", err)
		}
		if stop {
			mu.Lock()
			cancelled = true
			mu.Unlock()
			cancel()
		}
	}
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		t := time.NewTicker(jobBeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				beat()
			}
		}
	}()
	res, err := s.Importer.Import(ctx, f, j.Filename, opt, func(p actorfile.Progress) {
		mu.Lock()
		last = p
		mu.Unlock()
	})
	if err != nil {
		err = s.importError(ctx, err)
	}
	cancel()
	<-beating
	mu.Lock()
	p, wasCancelled := last, cancelled
	mu.Unlock()
	state, errText := geo.JobDone, ""
	var result []byte
	switch {
	case err == nil:
		result, err = json.Marshal(res)
		if err != nil {
			state, errText = geo.JobFailed, "internal error: nothing was stored"
		}
		p = actorfile.Progress{Read: res.Rows, Stored: res.Created + res.Updated + res.Unchanged, Failed: res.Rows - res.Valid}
	case wasCancelled:
		state, errText = geo.JobCancelled, "cancelled: nothing was stored"
	case s.jobs.ctx.Err() != nil:
		state, errText = geo.JobFailed, "interrupted: the server stopped; nothing was stored"
	default:
		state = geo.JobFailed
		if gerr, ok := errors.AsType[*geo.Error](err); ok && gerr.Code != geo.EInternal {
			errText = gerr.Message
			for field, reason := range gerr.Fields {
				errText += "; " + field + ": " + reason
			}
		} else {
			s.logger.Error("import job", "job", j.ID, "err", err)
			errText = "internal error: nothing was stored"
		}
	}
	// The job's end is recorded even when the server is stopping.
	fctx, fcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer fcancel()
	if err := s.Imports.FinishImportJob(fctx, j.ID, state, errText, p.Read, p.Stored, p.Failed, result); err != nil {
		s.logger.Error("import job end", "job", j.ID, "err", err)
	}
}

// importJobBody is the answer of GET /api/imports/{id}: the job and, once
// done, the import report.
type importJobBody struct {
	*geo.ImportJob
	Report json.RawMessage `json:"report,omitempty"`
}

// getImport answers GET /api/imports/{id}: the job's state, progress and,
// once done, its report.
func (s *Server) getImport(c *echo.Context) error {
	if s.Imports == nil {
		return geo.Errorf(geo.ENotFound, "no import jobs")
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return &geo.Error{Code: geo.EInvalid, Message: "invalid import id", Fields: map[string]string{"id": "a positive integer"}}
	}
	j, err := s.Imports.FindImportJob(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, importJobBody{ImportJob: j, Report: j.Result})
}

// cancelImport answers DELETE /api/imports/{id}: the job is cancelled and
// rolled back within a few seconds; 202 with the job as it is.
func (s *Server) cancelImport(c *echo.Context) error {
	if s.Imports == nil {
		return geo.Errorf(geo.ENotFound, "no import jobs")
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return &geo.Error{Code: geo.EInvalid, Message: "invalid import id", Fields: map[string]string{"id": "a positive integer"}}
	}
	if err := s.Imports.CancelImportJob(c.Request().Context(), id); err != nil {
		return err
	}
	j, err := s.Imports.FindImportJob(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, importJobBody{ImportJob: j})
}

// upload is a multipart form that carries one file in field "file".
type upload struct {
	*multipart.Form
	File *multipart.FileHeader
	errs geo.FieldErrors // of the fields, added to by the caller
}

// readUpload parses the multipart form of r. Fields not in accepted, and
// fields given more than once unless repeatable, are named in u.errs, as
// is a missing file; u.File is nil then. An error is returned only when
// the body is not a readable multipart form.
func readUpload(r *http.Request, accepted []string, repeatable ...string) (*upload, error) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return nil, &geo.Error{Code: geo.EInvalid, Message: "send the file as multipart/form-data",
			Fields: map[string]string{"file": "missing: send it in the multipart field \"file\""}}
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		if tooLarge(err) {
			return nil, err
		}
		return nil, &geo.Error{Code: geo.EInvalid, Message: "malformed multipart form", Fields: map[string]string{"file": "unreadable form"}}
	}
	u := &upload{Form: r.MultipartForm, errs: geo.FieldErrors{}}
	for name, vs := range u.Form.Value {
		switch {
		case !slices.Contains(accepted, name):
			u.errs.Add(name, "unknown field; accepted: file, "+strings.Join(accepted, ", "))
		case !slices.Contains(repeatable, name) && len(vs) > 1:
			u.errs.Add(name, "given more than once")
		}
	}
	if files := u.Form.File["file"]; len(files) == 1 {
		u.File = files[0]
	} else {
		u.errs.Add("file", "exactly one file is required in field \"file\"")
	}
	return u, nil
}

// Value returns the first value of the field name, or "".
func (u *upload) Value(name string) string {
	if vs := u.Form.Value[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// boolean reads the field name as true or false (absent: false); another
// value is named in u.errs.
func (u *upload) boolean(name string) bool {
	switch u.Value(name) {
	case "", "0", "false":
		return false
	case "1", "true":
		return true
	}
	u.errs.Add(name, "true or false")
	return false
}

// remove deletes the form's temporary files, unless a job took them
// (r.MultipartForm set to nil).
func (u *upload) remove(r *http.Request) {
	if r.MultipartForm != nil {
		u.Form.RemoveAll()
	}
}

func tooLarge(err error) bool {
	var maxErr *http.MaxBytesError
	return errors.As(err, &maxErr) || strings.Contains(err.Error(), "request body too large")
}
