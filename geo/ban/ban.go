// Package ban is a client of the Base Adresse Nationale's geocoding API
// (https://data.geopf.fr/geocodage): /search/, /reverse/ and the batch
// /search/csv/.
package ban

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/internal/politehttp"
)

// DefaultURL is the BAN's geocoding service.
const DefaultURL = "https://data.geopf.fr/geocodage"

// Name is the geocoder's name in candidates and settings.
const Name = "ban"

// RateLimit is the BAN's limit: 50 requests a second per IP address.
const RateLimit = 50

// Client asks the BAN. Make it with New.
type Client struct {
	base  string
	http  politehttp.Client
	batch politehttp.Client
}

// New returns a client of the BAN at baseURL (DefaultURL when empty),
// keeping under RateLimit, with a 10 s deadline per search and 3 minutes
// per batch. userAgent names the application.
func New(baseURL, userAgent string, hc *http.Client) *Client {
	if baseURL == "" {
		baseURL = DefaultURL
	}
	lim := rate.NewLimiter(RateLimit, 5)
	c := &Client{base: strings.TrimRight(baseURL, "/")}
	c.http = politehttp.Client{Name: Name, HTTP: hc, Limiter: lim, UserAgent: userAgent, Timeout: 10 * time.Second}
	c.batch = politehttp.Client{Name: Name, HTTP: hc, Limiter: lim, UserAgent: userAgent, Timeout: 3 * time.Minute,
		Retries: 2, Backoff: 2 * time.Second}
	return c
}

// SetPolicy changes the deadline of one search, the number of retries and
// the first backoff; tests make them short.
func (c *Client) SetPolicy(timeout time.Duration, retries int, backoff time.Duration) {
	c.http.Timeout, c.http.Retries, c.http.Backoff = timeout, retries, backoff
	c.batch.Timeout, c.batch.Retries, c.batch.Backoff = timeout, retries, backoff
}

// featureCollection is the GeoJSON answer of /search/ and /reverse/.
type featureCollection struct {
	Type     string `json:"type"`
	Features []struct {
		Geometry struct {
			Type        string    `json:"type"`
			Coordinates []float64 `json:"coordinates"`
		} `json:"geometry"`
		Properties struct {
			Label    string   `json:"label"`
			Score    *float64 `json:"score"`
			Type     string   `json:"type"`
			Postcode string   `json:"postcode"`
			Citycode string   `json:"citycode"`
			City     string   `json:"city"`
		} `json:"properties"`
	} `json:"features"`
}

// Geocode implements geo.Geocoder with /search/.
func (c *Client) Geocode(ctx context.Context, q geo.GeocodeQuery) ([]geo.Candidate, error) {
	v := url.Values{"q": {q.Q}, "limit": {strconv.Itoa(limitOf(q.Limit))}}
	if q.Postcode != "" {
		v.Set("postcode", q.Postcode)
	}
	if q.Citycode != "" {
		v.Set("citycode", q.Citycode)
	}
	if q.Type != "" {
		v.Set("type", q.Type)
	}
	if q.Autocomplete {
		v.Set("autocomplete", "1")
	} else {
		v.Set("autocomplete", "0")
	}
	return c.get(ctx, "/search/", v)
}

// Reverse returns the addresses nearest p, best first, with /reverse/.
func (c *Client) Reverse(ctx context.Context, p geo.Point, limit int) ([]geo.Candidate, error) {
	v := url.Values{"lon": {strconv.FormatFloat(p.Lon, 'f', -1, 64)},
		"lat": {strconv.FormatFloat(p.Lat, 'f', -1, 64)}, "limit": {strconv.Itoa(limitOf(limit))}}
	return c.get(ctx, "/reverse/", v)
}

func limitOf(n int) int {
	if n <= 0 {
		return 5
	}
	return n
}

func (c *Client) get(ctx context.Context, path string, v url.Values) ([]geo.Candidate, error) {
	u := c.base + path + "?" + v.Encode()
	body, err := c.http.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	})
	var se *politehttp.StatusError
	if errors.As(err, &se) && se.Status == http.StatusBadRequest {
		// The BAN refuses queries it cannot read (too short, no letter):
		// there is nothing to find.
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parseFeatures(body)
}

// parseFeatures reads a FeatureCollection. A body that is not one is an
// unavailable service (a proxy's error page, a truncated answer).
func parseFeatures(body []byte) ([]geo.Candidate, error) {
	var fc featureCollection
	if err := json.Unmarshal(body, &fc); err != nil || fc.Type != "FeatureCollection" {
		if err == nil {
			err = fmt.Errorf("type %q", fc.Type)
		}
		return nil, &geo.UnavailableError{Geocoder: Name, Err: fmt.Errorf("not a FeatureCollection: %w", err)}
	}
	out := make([]geo.Candidate, 0, len(fc.Features))
	for _, f := range fc.Features {
		pr := f.Properties
		if f.Geometry.Type != "Point" || len(f.Geometry.Coordinates) != 2 || pr.Score == nil {
			continue
		}
		out = append(out, geo.Candidate{
			Point: geo.Point{Lon: f.Geometry.Coordinates[0], Lat: f.Geometry.Coordinates[1]},
			Label: pr.Label, Score: *pr.Score, Type: pr.Type, Postcode: pr.Postcode,
			Citycode: pr.Citycode, City: pr.City, Geocoder: Name,
		})
	}
	return out, nil
}

// batchResultColumns are the result columns asked of /search/csv/.
var batchResultColumns = []string{"latitude", "longitude", "result_label", "result_score",
	"result_type", "result_postcode", "result_citycode", "result_city"}

// GeocodeBatch implements geocoding.BatchGeocoder with /search/csv/: one
// CSV of the queries up, the same CSV with result columns appended down,
// read by column name. It gives at most one candidate per query.
func (c *Client) GeocodeBatch(ctx context.Context, qs []geo.GeocodeQuery) ([][]geo.Candidate, error) {
	var data bytes.Buffer
	w := csv.NewWriter(&data)
	w.Write([]string{"maillage_row", "q", "postcode", "citycode"})
	for i, q := range qs {
		w.Write([]string{strconv.Itoa(i), q.Q, q.Postcode, q.Citycode})
	}
	w.Flush()
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, err := mw.CreateFormFile("data", "adresses.csv")
	if err != nil {
		return nil, err
	}
	fw.Write(data.Bytes())
	mw.WriteField("columns", "q")
	mw.WriteField("postcode", "postcode")
	mw.WriteField("citycode", "citycode")
	for _, col := range batchResultColumns {
		mw.WriteField("result_columns", col)
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	body, err := c.batch.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/search/csv/", bytes.NewReader(form.Bytes()))
		if err == nil {
			req.Header.Set("Content-Type", mw.FormDataContentType())
		}
		return req, err
	})
	if err != nil {
		return nil, err
	}
	return parseBatch(bytes.NewReader(body), len(qs))
}

// parseBatch reads the CSV answer of /search/csv/ for n queries.
func parseBatch(r io.Reader, n int) ([][]geo.Candidate, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, &geo.UnavailableError{Geocoder: Name, Err: fmt.Errorf("batch answer: %w", err)}
	}
	col := make(map[string]int, len(header))
	for i, h := range header {
		col[strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")] = i
	}
	for _, need := range []string{"maillage_row", "latitude", "longitude", "result_score"} {
		if _, ok := col[need]; !ok {
			return nil, &geo.UnavailableError{Geocoder: Name, Err: fmt.Errorf("batch answer without column %s", need)}
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	out := make([][]geo.Candidate, n)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &geo.UnavailableError{Geocoder: Name, Err: fmt.Errorf("batch answer: %w", err)}
		}
		row, err := strconv.Atoi(get(rec, "maillage_row"))
		if err != nil || row < 0 || row >= n {
			continue
		}
		score, err1 := strconv.ParseFloat(get(rec, "result_score"), 64)
		lat, err2 := strconv.ParseFloat(get(rec, "latitude"), 64)
		lon, err3 := strconv.ParseFloat(get(rec, "longitude"), 64)
		if err1 != nil || err2 != nil || err3 != nil {
			out[row] = []geo.Candidate{}
			continue
		}
		out[row] = []geo.Candidate{{Point: geo.Point{Lon: lon, Lat: lat}, Label: get(rec, "result_label"),
			Score: score, Type: get(rec, "result_type"), Postcode: get(rec, "result_postcode"),
			Citycode: get(rec, "result_citycode"), City: get(rec, "result_city"), Geocoder: Name}}
	}
	return out, nil
}
