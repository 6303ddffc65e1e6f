package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// startTime stands for the assets' modification time: they are embedded
// in the binary and change only when it does.
var startTime = time.Now()

// notBuilt is served at / when the binary was built without the page.
const notBuilt = `<!doctype html><html lang="fr"><meta charset="utf-8"><title>maillage</title>
<p>L'interface web n'a pas été construite. Lancez <code>make build</code> puis redémarrez le serveur.
L'API reste disponible sous <a href="/api/actors">/api/actors</a>.</p></html>`

// pageJSON is the configuration the page reads from its
// <script id="maillage-config">.
type pageJSON struct {
	PageConfig
	ActorZoom int   `json:"actorZoom"`         // first zoom of single actors in the tiles
	ActorID   int64 `json:"actorId,omitempty"` // on /acteurs/{id}: the actor to open
	NotFound  bool  `json:"notFound,omitempty"`
	Keeper    bool  `json:"keeper,omitempty"` // on /gestion: the keepers' tools

	Workshop *workshopPageJSON `json:"workshop,omitempty"` // on the workshop pages
}

// pageStrings are the French strings of the server-rendered <head>, which
// the page's build writes into dist/strings.json from its locale file.
type pageStrings struct {
	TitleSuffix   string `json:"titleSuffix"`
	InCity        string `json:"inCity"`
	More          string `json:"more"`
	NotFoundTitle string `json:"notFoundTitle"`

	WorkshopSuffix        string `json:"workshopSuffix"`
	ProjectionSuffix      string `json:"projectionSuffix"`
	RecordSuffix          string `json:"recordSuffix"`
	WorkshopNotFoundTitle string `json:"workshopNotFoundTitle"`
}

// actorHead replaces the page's title and description on /acteurs/{id},
// so that a shared link previews the actor.
var actorHead = template.Must(template.New("head").Parse(`<title>{{.Title}}</title>
<meta name="description" content="{{.Description}}">
<meta property="og:type" content="website">
<meta property="og:site_name" content="maillage">
<meta property="og:title" content="{{.Name}}">
<meta property="og:description" content="{{.Description}}">
<meta name="twitter:card" content="summary">
{{with .LD}}<script type="application/ld+json">{{.}}</script>{{end}}`))

var defaultHead = regexp.MustCompile(`(?s)<title>.*?</title>\s*<meta name="description" content="[^"]*">`)

// pageParams are the parameters of the public map page: the view, and
// the options of an embed (see frontend/src/urlstate.js); "sectors" is
// read as "secteurs".
var pageParams = []string{"embed", "lat", "lon", "z", "secteurs", "sectors", "legend", "search", "full", "lock"}

// index serves the map page with the server's settings in a JSON script
// element, which the page reads before anything else.
func (s *Server) index(c *echo.Context) error {
	if err := readParams(c, pageParams...).err(); err != nil {
		return err
	}
	return s.servePage(c, http.StatusOK, pageJSON{}, nil)
}

// keeperPage serves the keepers' space: the map with the keepers' tools
// (correcting positions), which ask for a keeper's token. The public page
// and embeds never show them.
func (s *Server) keeperPage(c *echo.Context) error {
	if err := readParams(c, "lat", "lon", "z", "secteurs").err(); err != nil {
		return err
	}
	return s.servePage(c, http.StatusOK, pageJSON{Keeper: true}, nil)
}

// actorPage serves the map page opened on one published actor, with its
// name and a description in the <head>. An unknown or unpublished actor
// gets the page with status 404, which says so.
func (s *Server) actorPage(c *echo.Context) error {
	if err := readParams(c, pageParams...).err(); err != nil {
		return err
	}
	strs := s.pageStrings()
	a, err := s.findVisibleActor(c)
	var e *geo.Error
	if errors.As(err, &e) && (e.Code == geo.ENotFound || e.Code == geo.EInvalid) {
		var head bytes.Buffer
		if err := actorHead.Execute(&head, actorMeta{Title: strs.NotFoundTitle, Name: strs.NotFoundTitle}); err != nil {
			return err
		}
		return s.servePage(c, http.StatusNotFound, pageJSON{NotFound: true}, head.Bytes())
	}
	if err != nil {
		return err
	}
	meta, err := s.actorMeta(c.Request().Context(), a, strs)
	if err != nil {
		return err
	}
	meta.LD = actorLD(a, s.advertisedURL(c, "/acteurs/"+strconv.FormatInt(a.ID, 10), nil))
	var head bytes.Buffer
	if err := actorHead.Execute(&head, meta); err != nil {
		return err
	}
	return s.servePage(c, http.StatusOK, pageJSON{ActorID: a.ID}, head.Bytes())
}

type actorMeta struct {
	Title, Name, Description string
	LD                       map[string]any // schema.org JSON-LD; html/template escapes it for a script element
}

// actorLD describes a as a schema.org Organization for search engines:
// name, address, point, web site, and the SIRET with its page on
// annuaire-entreprises. Contacts only with the actor's consent.
func actorLD(a *geo.Actor, page string) map[string]any {
	ld := map[string]any{
		"@context":         "https://schema.org",
		"@type":            "Organization",
		"name":             a.Name,
		"url":              page,
		"mainEntityOfPage": page,
	}
	if a.Description != "" {
		ld["description"] = a.Description
	}
	if ad := a.Address; ad != (geo.Address{}) {
		addr := map[string]any{"@type": "PostalAddress", "addressCountry": "FR"}
		for k, v := range map[string]string{"streetAddress": ad.Street, "postalCode": ad.Postcode, "addressLocality": ad.City} {
			if v != "" {
				addr[k] = v
			}
		}
		ld["address"] = addr
	}
	if p := a.Location; p != nil {
		ld["geo"] = map[string]any{"@type": "GeoCoordinates", "latitude": p.Lat, "longitude": p.Lon}
	}
	var sameAs []string
	if a.Website != "" {
		ld["url"] = a.Website
		sameAs = append(sameAs, a.Website)
	}
	if len(a.SIRET) == 14 {
		ld["identifier"] = map[string]any{"@type": "PropertyValue", "propertyID": "SIRET", "value": a.SIRET}
		sameAs = append(sameAs, "https://annuaire-entreprises.data.gouv.fr/etablissement/"+a.SIRET)
	}
	if sameAs != nil {
		ld["sameAs"] = sameAs
	}
	if a.ContactPublic {
		if a.Email != "" {
			ld["email"] = a.Email
		}
		if a.Phone != "" {
			ld["telephone"] = a.Phone
		}
	}
	return ld
}

// actorMeta is the title and description of a: its own description when
// it has one, else its sectors, structure type and commune.
func (s *Server) actorMeta(ctx context.Context, a *geo.Actor, strs pageStrings) (actorMeta, error) {
	sectors, err := s.Sectors.FindSectors(ctx)
	if err != nil {
		return actorMeta{}, err
	}
	labels := map[string]string{}
	for _, sec := range sectors {
		labels[sec.Slug] = sec.Label
	}
	var parts []string
	for _, slug := range a.Sectors {
		if l, ok := labels[slug]; ok {
			parts = append(parts, l)
		}
	}
	if a.Kind != "" {
		parts = append(parts, a.Kind)
	}
	summary := strings.Join(parts, ", ")
	place := strings.TrimSpace(a.Address.Postcode + " " + a.Address.City)
	if place != "" {
		summary = strings.TrimSpace(summary + " " + strs.InCity + " " + place)
	}
	desc := strings.Join(strings.Fields(a.Description), " ")
	if desc == "" {
		desc = strings.TrimSpace(summary + ". " + strs.More)
	} else if r := []rune(desc); len(r) > 200 {
		desc = strings.TrimSpace(string(r[:199])) + "…"
	}
	title := a.Name
	if a.Address.City != "" {
		title += " (" + a.Address.City + ")"
	}
	return actorMeta{Title: title + strs.TitleSuffix, Name: a.Name, Description: desc}, nil
}

// pageStrings reads dist/strings.json; missing keys stay empty.
func (s *Server) pageStrings() pageStrings {
	var strs pageStrings
	if s.opts.Frontend != nil {
		if b, err := fs.ReadFile(s.opts.Frontend, "strings.json"); err == nil {
			json.Unmarshal(b, &strs) // a broken file leaves the strings empty
		}
	}
	return strs
}

// servePage answers the built index.html with cfg in its config element
// and, when head is not nil, head instead of its title and description.
// Pages under a path (/acteurs/{id}) get a <base> so that their relative
// URLs resolve from the app's root.
func (s *Server) servePage(c *echo.Context, status int, cfg pageJSON, head []byte) error {
	base := ""
	if head != nil {
		base = "../"
	}
	return s.serveShell(c, "index.html", status, cfg, func(page []byte) []byte {
		if head == nil {
			return page
		}
		return defaultHead.ReplaceAllLiteral(page, head)
	}, base)
}

// serveShell answers the built page shell with cfg in its config element,
// edit applied to it, and a <base href> when base is not empty. Without a
// built page it answers a notice.
func (s *Server) serveShell(c *echo.Context, shell string, status int, cfg pageJSON, edit func([]byte) []byte, base string) error {
	var page []byte
	if s.opts.Frontend != nil {
		page, _ = fs.ReadFile(s.opts.Frontend, shell)
	}
	if page == nil {
		return c.HTML(http.StatusOK, notBuilt)
	}
	cfg.PageConfig = s.opts.Page
	cfg.ActorZoom = s.opts.TileActorZoom
	js, err := json.Marshal(cfg) // escapes <, > and & for a script element
	if err != nil {
		return err
	}
	script := append([]byte(`<script id="maillage-config" type="application/json">`), js...)
	script = append(script, "</script>\n</head>"...)
	page = bytes.Replace(page, []byte("</head>"), script, 1)
	if edit != nil {
		page = edit(page)
	}
	if base != "" {
		page = bytes.Replace(page, []byte("<head>\n"), []byte("<head>\n<base href=\""+base+"\">\n"), 1)
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.HTMLBlob(status, page)
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
