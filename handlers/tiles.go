package handlers

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/actorfile"
	"github.com/maillage/maillage/tiles"
)

// TileStore makes the vector tiles of published actors.
type TileStore interface {
	// Tile returns tile t (nil when empty) with the data version it shows.
	Tile(ctx context.Context, t tiles.Tile, sectors []string, clusterZoom int) ([]byte, int64, error)
	// DataVersion returns the current data version.
	DataVersion(ctx context.Context) (int64, error)
	// Extent returns the bounds of the published actors of sectors (all
	// when empty), or nil when there are none.
	Extent(ctx context.Context, sectors []string) (*geo.BBox, error)
}

// mvtType is the media type of Mapbox Vector Tiles.
const mvtType = "application/vnd.mapbox-vector-tile"

// actorTile answers GET /tiles/actors/{z}/{x}/{y}.mvt: one layer per
// sector, clusters across sectors with their count and per-sector counts
// below TileActorZoom (in the layer of their most numerous sector) and
// single actors from it; 204 when the tile is empty. The ETag names the data
// version, so If-None-Match answers 304 while nothing changed.
func (s *Server) actorTile(c *echo.Context) error {
	p := readParams(c, "sectors")
	t := s.tileParams(c, p)
	sectors := p.list("sectors")
	slices.Sort(sectors)
	sectors = slices.Compact(sectors)
	if err := p.err(); err != nil {
		return err
	}
	key := fmt.Sprintf("%d/%d/%d?%s", t.Z, t.X, t.Y, strings.Join(sectors, ","))
	return s.serveTile(c, key, s.Tiles.DataVersion, func(ctx context.Context) ([]byte, int64, error) {
		if len(sectors) > 0 {
			if err := s.checkSectors(ctx, sectors); err != nil {
				return nil, 0, err
			}
		}
		return s.Tiles.Tile(ctx, t, sectors, s.opts.TileActorZoom)
	})
}

// tileParams reads the z, x and {y}.mvt of a tile URL into p's errors,
// returning the tile when they are right.
func (s *Server) tileParams(c *echo.Context, p *params) tiles.Tile {
	y, ok := strings.CutSuffix(c.Param("y"), ".mvt")
	if !ok {
		p.errs.Add("y", "the tile URL ends in {y}.mvt")
	}
	t, err := tiles.Parse(c.Param("z"), c.Param("x"), y, s.opts.TileMaxZoom)
	if gerr, isGeo := errors.AsType[*geo.Error](err); isGeo {
		for f, reason := range gerr.Fields {
			p.errs.Add(f, reason)
		}
	}
	return t
}

// serveTile answers the tile of key: 304 when If-None-Match names its
// current data version, else the cached tile or the one render makes
// (cached for the next requests), with an ETag; 204 when it is empty.
// dataVersion reads the version when the cache does not know it.
//
// With opts.TileGzip, a tile is compressed once, as it enters the cache,
// which keeps it so: a client that accepts gzip gets those bytes with
// Content-Encoding gzip, another one the tile decompressed. The two
// representations have ETags of their own.
func (s *Server) serveTile(c *echo.Context, key string, dataVersion func(context.Context) (int64, error),
	render func(context.Context) ([]byte, int64, error)) error {
	ctx := c.Request().Context()
	h := c.Response().Header()
	h.Set("Cache-Control", s.opts.TileCacheControl)
	h.Set("Access-Control-Allow-Origin", "*")
	sendGzip := false
	if s.opts.TileGzip {
		h.Add("Vary", "Accept-Encoding")
		sendGzip = acceptsGzip(c.Request().Header.Values("Accept-Encoding"))
	}

	version, known := int64(0), false
	if s.TileCache != nil {
		version, known = s.TileCache.Version()
	}
	if inm := c.Request().Header.Get("If-None-Match"); inm != "" {
		if !known {
			var err error
			if version, err = dataVersion(ctx); err != nil {
				return err
			}
			known = true
		}
		if etag := s.tileETag(key, version, sendGzip); etagMatch(inm, etag) {
			h.Set("ETag", etag)
			return c.NoContent(http.StatusNotModified)
		}
	}
	// stored is the tile as the cache keeps it: gzipped with TileGzip.
	var raw, stored []byte
	cached := false
	if known && s.TileCache != nil {
		stored, cached = s.TileCache.Get(key)
	}
	if !cached {
		var err error
		if raw, version, err = render(ctx); err != nil {
			return err
		}
		stored = raw
		if s.opts.TileGzip && (sendGzip || s.TileCache != nil) {
			stored = tiles.Gzip(raw)
		}
		if s.TileCache != nil {
			s.TileCache.Put(key, version, stored)
		}
	}
	h.Set("ETag", s.tileETag(key, version, sendGzip))
	if len(stored) == 0 {
		return c.NoContent(http.StatusNoContent)
	}
	if sendGzip {
		h.Set("Content-Encoding", "gzip")
		return c.Blob(http.StatusOK, mvtType, stored)
	}
	if cached && s.opts.TileGzip {
		var err error
		if raw, err = tiles.Gunzip(stored); err != nil {
			return err
		}
	}
	return c.Blob(http.StatusOK, mvtType, raw)
}

// tileETag names the tile of key at a data version, for this server's
// cluster zoom, gzipped or not.
func (s *Server) tileETag(key string, version int64, gzipped bool) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%d", key, s.opts.TileActorZoom)
	if gzipped {
		return fmt.Sprintf(`"%d-%x-gzip"`, version, h.Sum64())
	}
	return fmt.Sprintf(`"%d-%x"`, version, h.Sum64())
}

// acceptsGzip reports whether Accept-Encoding headers accept gzip: named
// (or x-gzip) with a weight above 0, or not named while * is.
func acceptsGzip(headers []string) bool {
	named, star := false, false
	for _, header := range headers {
		for _, v := range strings.Split(header, ",") {
			coding, params, _ := strings.Cut(v, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			ok := true
			for _, p := range strings.Split(params, ";") {
				name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(name), "q") {
					q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
					ok = err == nil && q > 0
				}
			}
			switch coding {
			case "gzip", "x-gzip":
				if !ok {
					return false
				}
				named = true
			case "*":
				star = ok
			}
		}
	}
	return named || star
}

// etagMatch reports whether an If-None-Match header names etag, weakly.
func etagMatch(header, etag string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == etag || v == "*" {
			return true
		}
	}
	return false
}

// tileJSON is a TileJSON 3.0.0 document.
type tileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	VectorLayers []vectorLayer `json:"vector_layers"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Attribution  string        `json:"attribution"`
}

type vectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	Fields      map[string]string `json:"fields"`
}

// tileFields are the properties of tile features: clusters carry count,
// single actors the others.
var tileFields = map[string]string{
	"count": "Number: actors of the cluster, each once (clusters, below the cluster zoom)",
	"sectors": "String: clusters: actors of each sector as slug:n joined by commas, most numerous first " +
		"(the layer's sector), only the sectors of the filter; single actors: all its sector slugs joined by commas, " +
		"its primary sector (the layer's) first",
	"id":     "Number: actor id, also the feature id (single actors)",
	"name":   "String: actor name (single actors)",
	"sector": "String: sector slug, the layer's (single actors)",
	"kind":   "String: structure type such as ACI or EI, when known (single actors)",
}

// actorTileJSON answers GET /tiles/actors.json: the TileJSON of the actor
// tiles, restricted to sectors when given.
func (s *Server) actorTileJSON(c *echo.Context) error {
	p := readParams(c, "sectors")
	sectors := p.list("sectors")
	if err := p.err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.checkSectors(ctx, sectors); err != nil {
		return err
	}
	known, err := s.Sectors.FindSectors(ctx)
	if err != nil {
		return err
	}
	doc := tileJSON{TileJSON: "3.0.0", Name: "maillage",
		Description: fmt.Sprintf("Acteurs de l'ESS par secteur; regroupés tous secteurs confondus, avec leur nombre (count) et celui de chaque secteur (sectors), sous le zoom %d",
			s.opts.TileActorZoom),
		Scheme: "xyz", VectorLayers: []vectorLayer{}, MinZoom: 0, MaxZoom: s.opts.TileMaxZoom,
		Bounds: [4]float64{-180, -85.0511, 180, 85.0511}}
	for _, sec := range known {
		if len(sectors) == 0 || slices.Contains(sectors, sec.Slug) {
			doc.VectorLayers = append(doc.VectorLayers, vectorLayer{ID: sec.Slug, Description: sec.Label, Fields: tileFields})
		}
	}
	tile := s.advertisedURL(c, "/tiles/actors/", nil) + "{z}/{x}/{y}.mvt"
	if len(sectors) > 0 {
		tile += "?" + url.Values{"sectors": {strings.Join(sectors, ",")}}.Encode()
	}
	doc.Tiles = []string{tile}
	ext, err := s.Tiles.Extent(ctx, sectors)
	if err != nil {
		return err
	}
	if ext != nil {
		doc.Bounds = [4]float64{ext.MinLon, ext.MinLat, ext.MaxLon, ext.MaxLat}
	}
	all, err := s.Actors.Attributions(ctx)
	if err != nil {
		return err
	}
	doc.Attribution = actorfile.JoinAttributions(all)
	h := c.Response().Header()
	h.Set("Cache-Control", s.opts.TileCacheControl)
	h.Set("Access-Control-Allow-Origin", "*")
	return c.JSON(http.StatusOK, doc)
}
