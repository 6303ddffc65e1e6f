package handlers

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
)

// startTime stands for the assets' modification time: they are embedded
// in the binary and change only when it does.
var startTime = time.Now()

// notBuilt is served at / when the binary was built without the page.
const notBuilt = `<!doctype html><html lang="fr"><meta charset="utf-8"><title>maillage</title>
<p>L'interface web n'a pas été construite. Lancez <code>make build</code> puis redémarrez le serveur.
L'API reste disponible sous <a href="/api/actors">/api/actors</a>.</p></html>`

// index serves the map page with the server's settings in a JSON script
// element, which the page reads before anything else.
func (s *Server) index(c *echo.Context) error {
	if err := readParams(c, "embed").err(); err != nil {
		return err
	}
	var page []byte
	if s.opts.Frontend != nil {
		page, _ = fs.ReadFile(s.opts.Frontend, "index.html")
	}
	if page == nil {
		return c.HTML(http.StatusOK, notBuilt)
	}
	cfg, err := json.Marshal(s.opts.Page) // escapes <, > and & for a script element
	if err != nil {
		return err
	}
	script := append([]byte(`<script id="maillage-config" type="application/json">`), cfg...)
	script = append(script, "</script>\n</head>"...)
	page = bytes.Replace(page, []byte("</head>"), script, 1)
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.HTMLBlob(http.StatusOK, page)
}

// assets serves the built JavaScript, CSS and images.
func (s *Server) assets(c *echo.Context) error {
	name := path.Clean("assets/" + c.Param("*"))
	if s.opts.Frontend == nil || !strings.HasPrefix(name, "assets/") {
		return echo.ErrNotFound
	}
	data, err := fs.ReadFile(s.opts.Frontend, name)
	if err != nil {
		return echo.ErrNotFound
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeContent(c.Response(), c.Request(), name, startTime, bytes.NewReader(data))
	return nil
}
