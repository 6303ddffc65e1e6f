// Package nominatim is a client of a Nominatim server (OpenStreetMap's
// geocoder), maillage's fallback when the BAN has no answer. It keeps to
// the usage policy of the public server: at most one request a second and
// a User-Agent that names the application.
package nominatim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/internal/politehttp"
)

// DefaultURL is the public Nominatim server of OpenStreetMap.
const DefaultURL = "https://nominatim.openstreetmap.org"

// Name is the geocoder's name in candidates and settings.
const Name = "nominatim"

// Nominatim gives no score of how well an answer matches the query; these
// stand for it, below geocoding.DefaultAcceptRule's 0.8 so that a person
// reviews every point that only Nominatim found.
var typeScore = map[string]float64{geo.TypeHousenumber: 0.7, geo.TypeStreet: 0.6,
	geo.TypeLocality: 0.5, geo.TypeMunicipality: 0.5}

// Client asks a Nominatim server. Make it with New.
type Client struct {
	base string
	http politehttp.Client
}

// New returns a client of the server at baseURL (DefaultURL when empty),
// sending one request a second at most.
func New(baseURL, userAgent string, hc *http.Client) *Client {
	if baseURL == "" {
		baseURL = DefaultURL
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), http: politehttp.Client{Name: Name, HTTP: hc,
		Limiter: rate.NewLimiter(1, 1), UserAgent: userAgent, Timeout: 10 * time.Second}}
}

// SetPolicy changes the rate limit, the deadline of one request and the
// retries; tests make them short.
func (c *Client) SetPolicy(limit rate.Limit, timeout time.Duration, retries int, backoff time.Duration) {
	c.http.Limiter = rate.NewLimiter(limit, 1)
	c.http.Timeout, c.http.Retries, c.http.Backoff = timeout, retries, backoff
}

type place struct {
	Lat         string  `json:"lat"`
	Lon         string  `json:"lon"`
	DisplayName string  `json:"display_name"`
	PlaceRank   int     `json:"place_rank"`
	Importance  float64 `json:"importance"`
	Address     struct {
		HouseNumber  string `json:"house_number"`
		Road         string `json:"road"`
		Postcode     string `json:"postcode"`
		City         string `json:"city"`
		Town         string `json:"town"`
		Village      string `json:"village"`
		Municipality string `json:"municipality"`
	} `json:"address"`
}

// Geocode implements geo.Geocoder with /search in France.
func (c *Client) Geocode(ctx context.Context, q geo.GeocodeQuery) ([]geo.Candidate, error) {
	text := q.Q
	if q.Postcode != "" && !strings.Contains(text, q.Postcode) {
		text += " " + q.Postcode
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 5
	}
	v := url.Values{"q": {text}, "format": {"jsonv2"}, "addressdetails": {"1"},
		"countrycodes": {"fr"}, "limit": {strconv.Itoa(limit)}}
	u := c.base + "/search?" + v.Encode()
	body, err := c.http.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err == nil {
			req.Header.Set("Accept-Language", "fr")
		}
		return req, err
	})
	if err != nil {
		return nil, err
	}
	var places []place
	if err := json.Unmarshal(body, &places); err != nil {
		return nil, &geo.UnavailableError{Geocoder: Name, Err: fmt.Errorf("not a list of places: %w", err)}
	}
	out := make([]geo.Candidate, 0, len(places))
	for _, p := range places {
		lat, err1 := strconv.ParseFloat(p.Lat, 64)
		lon, err2 := strconv.ParseFloat(p.Lon, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		typ := typeOf(p)
		if q.Type != "" && typ != q.Type {
			continue
		}
		city := p.Address.City
		for _, alt := range []string{p.Address.Town, p.Address.Village, p.Address.Municipality} {
			if city == "" {
				city = alt
			}
		}
		out = append(out, geo.Candidate{Point: geo.Point{Lon: lon, Lat: lat}, Label: p.DisplayName,
			Score: typeScore[typ], Type: typ, Postcode: p.Address.Postcode, City: city, Geocoder: Name})
	}
	return out, nil
}

// typeOf maps Nominatim's place rank to the BAN's candidate types.
func typeOf(p place) string {
	switch {
	case p.Address.HouseNumber != "" && p.PlaceRank >= 28:
		return geo.TypeHousenumber
	case p.PlaceRank >= 26:
		return geo.TypeStreet
	case p.PlaceRank > 16:
		return geo.TypeLocality
	}
	return geo.TypeMunicipality
}
