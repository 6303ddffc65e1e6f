// Package politehttp is the HTTP client of maillage's remote geocoders:
// it keeps to a service's rate limit, puts a deadline on every attempt,
// retries with backoff on 429, 5xx and timeouts, and honours Retry-After.
package politehttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/maillage/maillage/geo"
)

// Client sends requests politely. The zero value is not usable: set at
// least Name; the other fields have defaults.
type Client struct {
	Name      string        // the service, in errors
	HTTP      *http.Client  // default http.DefaultClient
	Limiter   *rate.Limiter // nil: no limit
	UserAgent string        // sent on every request
	Timeout   time.Duration // deadline of one attempt (default 10s)
	Retries   int           // attempts after the first (default 3; negative: none)
	Backoff   time.Duration // wait before the first retry, doubled each time (default 500ms)
	MaxWait   time.Duration // longest wait between attempts (default 30s)
	MaxBody   int64         // largest answer read (default 32 MiB)
}

// StatusError is an answer with an HTTP status that retrying cannot
// change (400, 404...).
type StatusError struct {
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body)
}

// Do sends the request newReq makes (once per attempt) and returns the
// body of a 2xx answer. It returns a *StatusError for a 4xx other than
// 429, and a *geo.UnavailableError when the service still fails after the
// retries, or asks to wait longer than MaxWait.
func (c *Client) Do(ctx context.Context, newReq func(ctx context.Context) (*http.Request, error)) ([]byte, error) {
	retries := c.Retries
	if retries == 0 {
		retries = 3
	} else if retries < 0 {
		retries = 0
	}
	wait := or(c.Backoff, 500*time.Millisecond)
	maxWait := or(c.MaxWait, 30*time.Second)
	var lastErr error
	var retryAfter time.Duration
	for attempt := 0; ; attempt++ {
		if c.Limiter != nil {
			if err := c.Limiter.Wait(ctx); err != nil {
				return nil, c.unavailable(ctx, err, 0)
			}
		}
		body, after, err := c.attempt(ctx, newReq)
		if err == nil {
			return body, nil
		}
		var se *StatusError
		if errors.As(err, &se) || ctx.Err() != nil {
			return nil, c.unavailable(ctx, err, 0)
		}
		lastErr, retryAfter = err, after
		if attempt >= retries || after > maxWait {
			break
		}
		d := wait + rand.N(wait/2+1)
		if after > d {
			d = after
		}
		if d > maxWait {
			d = maxWait
		}
		select {
		case <-ctx.Done():
			return nil, c.unavailable(ctx, ctx.Err(), 0)
		case <-time.After(d):
		}
		wait *= 2
	}
	return nil, c.unavailable(ctx, lastErr, retryAfter)
}

// unavailable wraps err; a StatusError and the caller's own cancellation
// pass through unchanged.
func (c *Client) unavailable(ctx context.Context, err error, after time.Duration) error {
	var se *StatusError
	if errors.As(err, &se) {
		return err
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return err
	}
	return &geo.UnavailableError{Geocoder: c.Name, RetryAfter: after, Err: err}
}

// errRetry marks an answer worth another attempt.
type errRetry struct{ status int }

func (e errRetry) Error() string { return "HTTP " + strconv.Itoa(e.status) }

func (c *Client) attempt(ctx context.Context, newReq func(context.Context) (*http.Request, error)) ([]byte, time.Duration, error) {
	actx, cancel := context.WithTimeout(ctx, or(c.Timeout, 10*time.Second))
	defer cancel()
	req, err := newReq(actx)
	if err != nil {
		return nil, 0, &StatusError{Status: 0, Body: err.Error()}
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, 0, fmt.Errorf("no answer within %s", or(c.Timeout, 10*time.Second))
		}
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, or(c.MaxBody, 32<<20)))
	if err != nil {
		return nil, 0, err
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return body, 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, parseRetryAfter(resp.Header.Get("Retry-After")), errRetry{resp.StatusCode}
	}
	if len(body) > 200 {
		body = body[:200]
	}
	return nil, 0, &StatusError{Status: resp.StatusCode, Body: string(body)}
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
