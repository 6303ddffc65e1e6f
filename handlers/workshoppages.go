package handlers

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
	"regexp"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// WorkshopFinder finds the workshop a join code names, for its pages.
type WorkshopFinder interface {
	// FindWorkshopByCode returns the workshop of code (as stored: upper
	// case). Returns ENotFound if there is none.
	FindWorkshopByCode(ctx context.Context, code string) (*geo.Workshop, error)
}

// workshopPageJSON tells a workshop page which workshop and which page it
// is; the page reads the rest from the API with its token.
type workshopPageJSON struct {
	ID   int64  `json:"id,omitempty"`
	Code string `json:"code,omitempty"`
	Page string `json:"page"` // participant, projection, record or keeper
}

// The workshop pages: the built shell of each and the depth of its path
// under the app's root, which sets its <base>.
var workshopShells = map[string]struct {
	shell string
	base  string
}{
	"keeper":      {"ateliers.html", ""},
	"participant": {"atelier.html", "../"},
	"projection":  {"projection.html", "../../"},
	"record":      {"synthese.html", "../../"},
}

var shellTitle = regexp.MustCompile(`(?s)<title>.*?</title>`)

var workshopTitle = template.Must(template.New("title").Parse(`<title>{{.}}</title>`))

// workshopsPage serves the list of workshops (/ateliers); the page works
// through the session of an account that manages workshops, or asks for
// a keeper's token itself.
func (s *Server) workshopsPage(c *echo.Context) error {
	if err := readParams(c).err(); err != nil {
		return err
	}
	sh := workshopShells["keeper"]
	return s.serveShell(c, sh.shell, http.StatusOK, pageJSON{Workshop: &workshopPageJSON{Page: "keeper"}}, nil, sh.base)
}

// workshopPage returns the handler of one page of a workshop found by the
// code in the path: the participant's, the projection or the record. An
// unknown code gets the page with status 404, which says so. Nothing
// private is in the shell: the page reads the workshop with its token.
func (s *Server) workshopPage(page string) echo.HandlerFunc {
	sh := workshopShells[page]
	return func(c *echo.Context) error {
		if err := readParams(c).err(); err != nil {
			return err
		}
		strs := s.pageStrings()
		var finder WorkshopFinder = s.Workshops
		var w *geo.Workshop
		code, ok := geo.NormalizeWorkshopCode(c.Param("code"))
		var err error = geo.Errorf(geo.ENotFound, "no workshop has this code")
		if ok && finder != nil {
			w, err = finder.FindWorkshopByCode(c.Request().Context(), code)
		}
		var e *geo.Error
		if errors.As(err, &e) && e.Code == geo.ENotFound {
			return s.serveShell(c, sh.shell, http.StatusNotFound,
				pageJSON{NotFound: true, Workshop: &workshopPageJSON{Page: page}},
				retitle(strs.WorkshopNotFoundTitle), sh.base)
		}
		if err != nil {
			return err
		}
		suffix := strs.WorkshopSuffix
		switch page {
		case "projection":
			suffix = strs.ProjectionSuffix + strs.WorkshopSuffix
		case "record":
			suffix = strs.RecordSuffix + strs.WorkshopSuffix
		}
		return s.serveShell(c, sh.shell, http.StatusOK,
			pageJSON{Workshop: &workshopPageJSON{ID: w.ID, Code: w.Code, Page: page}},
			retitle(w.Title+suffix), sh.base)
	}
}

// retitle returns an edit of a shell that sets its <title> to title,
// escaped.
func retitle(title string) func([]byte) []byte {
	return func(page []byte) []byte {
		var b bytes.Buffer
		if err := workshopTitle.Execute(&b, title); err != nil {
			return page
		}
		return shellTitle.ReplaceAllLiteral(page, b.Bytes())
	}
}
