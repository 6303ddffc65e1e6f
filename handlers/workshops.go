package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/twpayne/go-geom"
	"golang.org/x/time/rate"

	"github.com/maillage/maillage/geo"
)

// WorkshopStore keeps workshops, their participants, annotations, votes
// and events.
type WorkshopStore interface {
	CreateWorkshop(ctx context.Context, w *geo.Workshop) (secret string, err error)
	FindWorkshops(ctx context.Context, limit, offset int) ([]*geo.Workshop, int, error)
	FindWorkshop(ctx context.Context, id int64, reader geo.WorkshopAccess) (*geo.Workshop, error)
	FindWorkshopByCode(ctx context.Context, code string) (*geo.Workshop, error)
	UpdateWorkshop(ctx context.Context, id int64, by geo.WorkshopAccess, upd geo.WorkshopUpdate) (*geo.Workshop, error)
	DeleteWorkshop(ctx context.Context, id int64) error
	JoinWorkshop(ctx context.Context, code string) (token string, w *geo.Workshop, err error)
	WorkshopAccess(ctx context.Context, id int64, token string) (geo.WorkshopAccess, error) // "": the public
	SetWorkshopView(ctx context.Context, id int64, by geo.WorkshopAccess, v geo.WorkshopView) (*geo.WorkshopView, error)
	LastEventID(ctx context.Context, id int64) (int64, error)
	EventsAfter(ctx context.Context, id, after int64, limit int) ([]*geo.WorkshopEvent, error)

	FindAnnotations(ctx context.Context, f geo.AnnotationFilter) ([]*geo.Annotation, int, error)
	FindAnnotation(ctx context.Context, wid, id int64, reader geo.WorkshopAccess) (*geo.Annotation, error)
	CreateAnnotation(ctx context.Context, by geo.WorkshopAccess, a *geo.Annotation) error
	UpdateAnnotation(ctx context.Context, wid, id int64, by geo.WorkshopAccess, upd geo.AnnotationUpdate) (*geo.Annotation, error)
	DeleteAnnotation(ctx context.Context, wid, id int64, by geo.WorkshopAccess) error
	Vote(ctx context.Context, wid, id int64, by geo.WorkshopAccess, on bool) (votes int, voted bool, err error)
	PublishedAnnotations(ctx context.Context, bbox *geo.BBox, within *geo.TerritoryRef, limit int) ([]geo.OverlayAnnotation, error)
}

const workshopTokenKey = "workshop_token"

// pathID reads the positive integer path parameter name.
func pathID(c *echo.Context, name, what string) (int64, error) {
	s := c.Param(name)
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s {
		return 0, &geo.Error{Code: geo.EInvalid, Message: "invalid " + what + " id", Fields: map[string]string{name: "a positive integer"}}
	}
	return id, nil
}

// workshopAccess returns the caller's role on workshop id: keeper for a
// keeper's token, animator or participant for this workshop's tokens, in
// the Authorization header or in queryToken (for EventSource and
// download links, which cannot set headers), public without a token.
// Returns ENotFound for an unknown workshop and EUnauthorized for a token
// that is not valid here.
func (s *Server) workshopAccess(c *echo.Context, id int64, queryToken string) (geo.WorkshopAccess, error) {
	ctx := c.Request().Context()
	token, _ := c.Get(workshopTokenKey).(string)
	if token == "" && caller(c) == nil {
		token = queryToken
	}
	if token != "" && !geo.IsWorkshopToken(token) { // a keeper's, in ?token=
		k, err := s.Auth.Authenticate(ctx, token)
		if err != nil {
			return geo.WorkshopAccess{}, err
		}
		c.Set(keeperKey, k)
		token = ""
	}
	acc, err := s.Workshops.WorkshopAccess(ctx, id, token)
	if err == nil && workshopManager(c) != nil {
		acc = geo.WorkshopAccess{Role: geo.RoleKeeper}
	}
	return acc, err
}

// workshopCaller returns the id of the :id workshop and the caller's role
// on it; queryToken is the ?token= parameter where it is accepted.
func (s *Server) workshopCaller(c *echo.Context, queryToken string) (int64, geo.WorkshopAccess, error) {
	id, err := pathID(c, "id", "workshop")
	if err != nil {
		return 0, geo.WorkshopAccess{}, err
	}
	acc, err := s.workshopAccess(c, id, queryToken)
	return id, acc, err
}

// moderatedWorkshop is workshopCaller for the routes of its animator and
// keepers: it refuses anyone else.
func (s *Server) moderatedWorkshop(c *echo.Context) (int64, geo.WorkshopAccess, error) {
	id, acc, err := s.workshopCaller(c, "")
	if err == nil {
		err = acc.CanModerate()
	}
	return id, acc, err
}

// readableWorkshop returns the workshop of the :id parameter and the
// caller's role on it, or the error that says why the caller may not read
// it. queryToken is the ?token= parameter where it is accepted.
func (s *Server) readableWorkshop(c *echo.Context, queryToken string) (*geo.Workshop, geo.WorkshopAccess, error) {
	id, acc, err := s.workshopCaller(c, queryToken)
	if err != nil {
		return nil, acc, err
	}
	w, err := s.Workshops.FindWorkshop(c.Request().Context(), id, acc)
	return w, acc, err
}

// createWorkshop answers POST /api/workshops (keepers): 201 with the
// workshop, its animator secret and the animator's link, shown once.
func (s *Server) createWorkshop(c *echo.Context) error {
	upd, err := decodeWorkshop(c, true)
	if err != nil {
		return err
	}
	w := &geo.Workshop{Status: geo.WorkshopDraft}
	upd.Apply(w)
	w.Kinds = upd.Kinds
	secret, err := s.Workshops.CreateWorkshop(c.Request().Context(), w)
	if err != nil {
		return err
	}
	body, err := json.Marshal(w)
	if err != nil {
		return err
	}
	extra, _ := json.Marshal(map[string]string{
		"animator_secret": secret,
		"animator_url":    "/ateliers/" + w.Code + "/projection#secret=" + secret,
	})
	// Both are objects: join their members.
	body = append(append(body[:len(body)-1], ','), extra[1:]...)
	return c.JSONBlob(http.StatusCreated, body)
}

// listWorkshops answers GET /api/workshops (keepers).
func (s *Server) listWorkshops(c *echo.Context) error {
	p := readParams(c, "limit", "offset")
	limit := p.intIn("limit", 50, 1, s.opts.PageMax)
	offset := p.intIn("offset", 0, 0, 1<<30)
	if err := p.err(); err != nil {
		return err
	}
	ws, total, err := s.Workshops.FindWorkshops(c.Request().Context(), limit, offset)
	if err != nil {
		return err
	}
	page := listPage[*geo.Workshop]{Items: ws, Total: total}
	if page.Items == nil {
		page.Items = []*geo.Workshop{}
	}
	if offset+len(ws) < total {
		next := s.nextURL(c, offset+limit)
		page.Next = &next
	}
	return c.JSON(http.StatusOK, page)
}

// getWorkshop answers GET /api/workshops/{id}: for keepers, its animator
// and participants, and anyone once published.
func (s *Server) getWorkshop(c *echo.Context) error {
	if err := readParams(c).err(); err != nil {
		return err
	}
	w, _, err := s.readableWorkshop(c, "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}

// updateWorkshop answers PATCH /api/workshops/{id} (keepers, its
// animator).
func (s *Server) updateWorkshop(c *echo.Context) error {
	id, acc, err := s.moderatedWorkshop(c)
	if err != nil {
		return err
	}
	upd, err := decodeWorkshop(c, false)
	if err != nil {
		return err
	}
	w, err := s.Workshops.UpdateWorkshop(c.Request().Context(), id, acc, upd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}

// deleteWorkshop answers DELETE /api/workshops/{id} (keepers).
func (s *Server) deleteWorkshop(c *echo.Context) error {
	id, err := pathID(c, "id", "workshop")
	if err != nil {
		return err
	}
	if err := s.Workshops.DeleteWorkshop(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// joinWorkshop answers POST /api/workshops/join {"code": "K3MXPA"}: a
// participant token for the workshop of that code (any case), and the
// workshop. 404 for an unknown code.
func (s *Server) joinWorkshop(c *echo.Context) error {
	var in struct {
		Code *string `json:"code"`
	}
	if err := readStrict(c, &in); err != nil {
		return err
	}
	if in.Code == nil || *in.Code == "" {
		return &geo.Error{Code: geo.EInvalid, Message: "invalid input", Fields: map[string]string{"code": "required: the code shown on the wall"}}
	}
	token, w, err := s.Workshops.JoinWorkshop(c.Request().Context(), *in.Code)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Token    string        `json:"token"`
		Workshop *geo.Workshop `json:"workshop"`
	}{token, w})
}

// setWorkshopView answers PUT /api/workshops/{id}/view (keepers, its
// animator): the view every following phone moves to.
func (s *Server) setWorkshopView(c *echo.Context) error {
	id, acc, err := s.moderatedWorkshop(c)
	if err != nil {
		return err
	}
	var in struct {
		Center       *[]float64 `json:"center"`
		Zoom         *int       `json:"zoom"`
		AnnotationID *int64     `json:"annotation_id"`
	}
	if err := readStrict(c, &in); err != nil {
		return err
	}
	f := geo.FieldErrors{}
	if in.Center == nil || len(*in.Center) != 2 {
		f.Add("center", "required: [lon, lat]")
	}
	if in.Zoom == nil {
		f.Add("zoom", "required: an integer from 0 to 22")
	}
	if err := f.Err(); err != nil {
		return err
	}
	v := geo.WorkshopView{Center: geo.Point{Lon: (*in.Center)[0], Lat: (*in.Center)[1]}, Zoom: *in.Zoom,
		AnnotationID: in.AnnotationID}
	got, err := s.Workshops.SetWorkshopView(c.Request().Context(), id, acc, v)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, got)
}

// readStrict reads the JSON body into v with decodeStrict.
func readStrict(c *echo.Context, v any) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	return decodeStrict(body, v)
}

// decodeWorkshop reads the JSON object of POST and PATCH on workshops.
// Creation needs a title, a date and a bbox or zone.
func decodeWorkshop(c *echo.Context, create bool) (geo.WorkshopUpdate, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return geo.WorkshopUpdate{}, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return geo.WorkshopUpdate{}, &geo.Error{Code: geo.EInvalid, Message: "the body must be a JSON object",
			Fields: map[string]string{"body": "not a JSON object"}}
	}
	var u geo.WorkshopUpdate
	errs := geo.FieldErrors{}
	str := func(field string, dst **string) {
		var v string
		if err := json.Unmarshal(raw[field], &v); err != nil {
			errs.Add(field, "must be a string")
			return
		}
		*dst = &v
	}
	for k, m := range raw {
		null := string(bytes.TrimSpace(m)) == "null"
		switch k {
		case "title":
			str(k, &u.Title)
		case "description":
			if null {
				empty := ""
				u.Description = &empty
				continue
			}
			str(k, &u.Description)
		case "date":
			var v string
			if json.Unmarshal(m, &v) != nil {
				errs.Add(k, "a date as YYYY-MM-DD")
				continue
			}
			d, err := time.Parse(time.DateOnly, v)
			if err != nil {
				errs.Add(k, "a date as YYYY-MM-DD")
				continue
			}
			u.Date = &d
		case "bbox":
			var v []float64
			if json.Unmarshal(m, &v) != nil || len(v) != 4 {
				errs.Add(k, "four numbers [minLon, minLat, maxLon, maxLat]")
				continue
			}
			b := geo.BBox{MinLon: v[0], MinLat: v[1], MaxLon: v[2], MaxLat: v[3]}
			if err := b.Validate(k); err != nil {
				errs.AddFrom(err)
				continue
			}
			u.BBox = &b
		case "zone":
			if null {
				u.ClearZone = true
				continue
			}
			g, err := geo.DecodeGeometry(m, k, geo.GeomPolygon)
			if err != nil {
				errs.AddFrom(err)
				continue
			}
			u.Zone = g.(*geom.Polygon)
		case "sectors":
			var v []string
			if json.Unmarshal(m, &v) != nil {
				errs.Add(k, "a list of sector slugs")
				continue
			}
			if v == nil {
				v = []string{}
			}
			u.Sectors = &v
		case "status":
			var v geo.WorkshopStatus
			if json.Unmarshal(m, &v) != nil || !v.Valid() {
				errs.Add(k, "draft, open or closed")
				continue
			}
			u.Status = &v
		case "published":
			var v bool
			if json.Unmarshal(m, &v) != nil {
				errs.Add(k, "true or false")
				continue
			}
			u.Published = &v
		case "kinds":
			if json.Unmarshal(m, &u.Kinds) != nil {
				errs.Add(k, `a list of {"slug", "label", "color", "icon", "position"}`)
				continue
			}
			if len(u.Kinds) > geo.MaxWorkshopKinds {
				errs.Add(k, fmt.Sprintf("at most %d kinds", geo.MaxWorkshopKinds))
			}
		case "id", "code", "counts", "view", "role", "created_at", "last_event_id":
			errs.Add(k, "read-only")
		default:
			errs.Add(k, "unknown field")
		}
	}
	if create {
		if u.Title == nil {
			errs.Add("title", "required")
		}
		if u.Date == nil {
			errs.Add("date", "required, as YYYY-MM-DD")
		}
		if u.BBox == nil && u.Zone == nil {
			errs.Add("bbox", "a bbox [minLon, minLat, maxLon, maxLat] or a zone (GeoJSON Polygon) is required")
		}
	}
	return u, errs.Err()
}

// limitJoinFailures refuses join attempts from a client IP that gave more than
// perMinute wrong codes in the last minute (in bursts of up to
// perMinute), so that codes cannot be guessed by trying them all. Right
// codes cost nothing: a whole room joins from one address.
func (s *Server) limitJoinFailures(perMinute int) echo.MiddlewareFunc {
	limits := newIPLimiters(rate.Limit(float64(perMinute)/60), perMinute)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			if perMinute <= 0 {
				return next(c)
			}
			ip, now := c.RealIP(), time.Now()
			var tokens float64
			limits.with(ip, now, func(lim *rate.Limiter) { tokens = lim.TokensAt(now) })
			if tokens < 1 {
				wait := int(math.Ceil((1 - tokens) * 60 / float64(perMinute)))
				c.Response().Header().Set("Retry-After", strconv.Itoa(max(1, wait)))
				return c.JSON(http.StatusTooManyRequests, errorBody{Error: "too many wrong codes: try again in a moment"})
			}
			err := next(c)
			if geo.ErrorCode(err) == geo.ENotFound {
				limits.with(ip, now, func(lim *rate.Limiter) { lim.AllowN(now, 1) })
			}
			return err
		}
	}
}
