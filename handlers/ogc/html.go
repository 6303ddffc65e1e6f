package ogc

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// pages are the small HTML pages of f=html, for people who follow a link.
// Every text comes from texts; every value is escaped by html/template.
var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"title": func(id string) string { return texts.CollectionTitle[id] },
	"desc":  func(id string) string { return texts.CollectionDescription[id] },
	"prop": func(name string) string {
		if t := texts.PropertyTitle[name]; t != "" {
			return t
		}
		return name
	},
}).Parse(`
{{define "head"}}<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#1a1a1a}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
nav a{margin-right:1rem}</style></head><body>
<nav><a href="{{.Home}}">{{.T.Home}}</a><a href="{{.Collections}}">{{.T.Collections}}</a></nav>
<h1>{{.Title}}</h1>{{end}}
{{define "links"}}{{with .Links}}<p>{{$.T.Formats}} :{{range .}} <a href="{{.Href}}" type="{{.Type}}" rel="{{.Rel}}">{{.Title}}</a>{{end}}</p>{{end}}{{end}}
{{define "landing"}}{{template "head" .}}<p>{{.Body.Description}}</p>
<ul>{{range .Body.Links}}{{if ne .Rel "self"}}<li><a href="{{.Href}}">{{.Title}}</a></li>{{end}}{{end}}</ul></body></html>{{end}}
{{define "conformance"}}{{template "head" .}}<ul>{{range .Body.ConformsTo}}<li>{{.}}</li>{{end}}</ul></body></html>{{end}}
{{define "collections"}}{{template "head" .}}{{range .Body.Collections}}
<h2><a href="{{$.Base}}/collections/{{.ID}}?f=html">{{.Title}}</a></h2><p>{{.Description}}</p>{{end}}</body></html>{{end}}
{{define "collection"}}{{template "head" .}}<p>{{.Body.Description}}</p>
{{with .Body.Extent}}<p>{{$.T.Extent}} : {{range .Spatial.BBox}}{{index . 0}}, {{index . 1}} — {{index . 2}}, {{index . 3}}{{end}}</p>{{end}}
<ul><li><a href="{{.Base}}/collections/{{.Body.ID}}/items?f=html">{{.T.Items}}</a></li>
<li><a href="{{.Base}}/collections/{{.Body.ID}}/queryables?f=html">{{.T.Queryables}}</a></li></ul>
{{template "links" .}}</body></html>{{end}}
{{define "queryables"}}{{template "head" .}}<table><tr><th>{{.T.Property}}</th><th>{{.T.Type}}</th><th></th></tr>
{{range .Body.Properties}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{prop .Name}}</td></tr>{{end}}</table></body></html>{{end}}
{{define "items"}}{{template "head" .}}<p>{{.Body.Returned}} {{.T.Returned}}{{if ge .Body.Matched 0}}, {{.Body.Matched}} {{.T.Matched}}{{end}}.</p>
{{if .Body.Rows}}<table><tr><th>id</th>{{range .Body.Columns}}<th>{{prop .}}</th>{{end}}</tr>
{{range .Body.Rows}}<tr><td><a href="{{.Href}}">{{.ID}}</a></td>{{range .Values}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
{{else}}<p>{{.T.NoFeature}}</p>{{end}}
<p>{{range .Body.Paging}}<a href="{{.Href}}" rel="{{.Rel}}">{{.Title}}</a> {{end}}</p>
{{template "links" .}}</body></html>{{end}}
{{define "item"}}{{template "head" .}}<table><tr><th>{{.T.Property}}</th><th>{{.T.Value}}</th></tr>
{{range .Body.Rows}}<tr><th>{{prop .Name}}</th><td>{{.Value}}</td></tr>{{end}}
<tr><th>{{.T.Geometry}}</th><td><code>{{.Body.Geometry}}</code></td></tr></table>
{{with .Body.Map}}<p><a href="{{.}}">{{$.T.Map}}</a></p>{{end}}
{{template "links" .}}</body></html>{{end}}
`))

type pageData struct {
	Title, Home, Collections, Base string
	T                              any
	Body                           any
	Links                          []link
}

// page writes the HTML page name of body.
func (a *API) page(c *echo.Context, status int, name, title string, body any) error {
	d := pageData{Title: title, Home: a.url(c, "", url.Values{"f": {"html"}}),
		Collections: a.url(c, "/collections", url.Values{"f": {"html"}}), Base: a.url(c, "", nil), T: texts, Body: body}
	if b, ok := body.(collectionJSON); ok {
		d.Links = b.Links
	}
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, d); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// text shows a JSON value as text: strings without quotes, lists joined.
func text(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(v, &list) == nil {
		return strings.Join(list, ", ")
	}
	if string(v) == "null" {
		return ""
	}
	return string(v)
}

// htmlColumns are the properties an items page shows: a few, so that the
// table fits a screen.
func htmlColumns(info geo.FeatureCollectionInfo, keep []string) []string {
	if keep != nil {
		return keep
	}
	var out []string
	for _, p := range info.Properties {
		if p.Type != "array" && p.Name != "description" && p.Name != "text" && len(out) < 6 {
			out = append(out, p.Name)
		}
	}
	return out
}

func (a *API) itemsPage(c *echo.Context, info geo.FeatureCollectionInfo, fq geo.FeatureQuery, keep []string, matched int, path string) error {
	type row struct {
		ID, Href string
		Values   []string
	}
	cols := htmlColumns(info, keep)
	var rows []row
	var first, last string
	more, err := a.store.EachFeature(c.Request().Context(), fq, func(f geo.Feature) error {
		if first == "" {
			first = f.ID
		}
		last = f.ID
		props, err := decodeProperties(f)
		if err != nil {
			return err
		}
		r := row{ID: f.ID, Href: a.url(c, path+"/"+url.PathEscape(f.ID), url.Values{"f": {"html"}})}
		for _, col := range cols {
			r.Values = append(r.Values, text(props[col]))
		}
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		return err
	}
	links := a.pageLinks(c, path, fq, more, first, last, "html")
	var paging []link
	for _, l := range links {
		if l.Rel == "next" || l.Rel == "prev" {
			paging = append(paging, l)
		}
	}
	body := struct {
		Returned, Matched int
		Columns           []string
		Rows              []row
		Paging            []link
	}{len(rows), matched, cols, rows, paging}
	d := pageData{Title: texts.Items + " — " + texts.CollectionTitle[info.ID], Home: a.url(c, "", url.Values{"f": {"html"}}),
		Collections: a.url(c, "/collections", url.Values{"f": {"html"}}), Base: a.url(c, "", nil), T: texts, Body: body,
		Links: links[:2]}
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, "items", d); err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

func (a *API) itemPage(c *echo.Context, info geo.FeatureCollectionInfo, f geo.Feature, keep []string, path string) error {
	props, err := decodeProperties(f)
	if err != nil {
		return err
	}
	type row struct{ Name, Value string }
	var rows []row
	name := f.ID
	for _, p := range info.Properties {
		v, ok := props[p.Name]
		if !ok || (keep != nil && !containsName(keep, p.Name)) {
			continue
		}
		rows = append(rows, row{p.Name, text(v)})
		if p.Name == "name" && text(v) != "" {
			name = text(v)
		}
	}
	body := struct {
		Rows     []row
		Geometry string
		Map      string
	}{Rows: rows, Geometry: string(f.Geometry)}
	if info.ID == geo.CollectionActors {
		body.Map = a.link(c, "/acteurs/"+url.PathEscape(f.ID), nil)
	}
	d := pageData{Title: texts.CollectionTitle[info.ID] + " — " + name, Home: a.url(c, "", url.Values{"f": {"html"}}),
		Collections: a.url(c, "/collections", url.Values{"f": {"html"}}), Base: a.url(c, "", nil), T: texts, Body: body,
		Links: a.selfLinks(c, path, "html", mediaGeoJSON)}
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, "item", d); err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

func containsName(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}
