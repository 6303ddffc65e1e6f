package handlers

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// WorkshopEventSource hands out the events of a workshop as they are
// committed, through any server process. The channel is closed when the
// subscriber falls behind or the server stops; the client reconnects and
// replays.
type WorkshopEventSource interface {
	Subscribe(ctx context.Context, workshopID int64) (<-chan *geo.WorkshopEvent, func(), error)
}

// streamWriteWait bounds each write to an event stream, so that a client
// that stopped reading frees its stream.
const streamWriteWait = 30 * time.Second

// replayPage is how many stored events a reconnecting stream reads at a
// time.
const replayPage = 500

// workshopEvents answers GET /api/workshops/{id}/events: a server-sent
// event stream of the workshop's changes, each with the id of its stored
// event. A client that reconnects with Last-Event-ID (or
// ?last_event_id=) first receives every event after that id, then the
// live ones, each once and in order; a client without one starts from
// now. Participants and the public never receive a hidden annotation's
// content. A comment line every WorkshopHeartbeat keeps proxies from
// closing idle streams.
func (s *Server) workshopEvents(streams *streamCap) echo.HandlerFunc {
	return func(c *echo.Context) error { return s.streamEvents(c, streams) }
}

func (s *Server) streamEvents(c *echo.Context, streams *streamCap) error {
	p := readParams(c, "token", "last_event_id")
	lastID := strings.TrimSpace(c.Request().Header.Get("Last-Event-ID"))
	if lastID == "" {
		lastID = p.str("last_event_id")
	}
	var last int64
	if lastID != "" {
		n, err := strconv.ParseInt(lastID, 10, 64)
		if err != nil || n < 0 {
			p.errs.Add("last_event_id", "the id of the last event received, a non-negative integer")
		}
		last = n
	}
	if err := p.err(); err != nil {
		return err
	}
	w, acc, err := s.readableWorkshop(c, p.str("token"))
	if err != nil {
		return err
	}
	if s.WorkshopEvents == nil {
		return geo.Errorf(geo.EUnavailable, "live events are not available on this server")
	}
	release, ok := streams.acquire(c.RealIP())
	if !ok {
		c.Response().Header().Set("Retry-After", "30")
		return c.JSON(http.StatusTooManyRequests, errorBody{Error: "too many open event streams from this address"})
	}
	defer release()
	ctx := c.Request().Context()
	// Subscribe first, then read what is stored: an event committed in
	// between comes both ways and is sent once.
	events, cancel, err := s.WorkshopEvents.Subscribe(ctx, w.ID)
	if err != nil {
		return err
	}
	defer cancel()
	if lastID == "" {
		if last, err = s.Workshops.LastEventID(ctx, w.ID); err != nil {
			return err
		}
	}

	h := c.Response().Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c.Response().WriteHeader(http.StatusOK)
	rc := http.NewResponseController(c.Response())
	var buf bytes.Buffer
	var deadline time.Time
	send := func() error {
		// The deadline moves a few times a minute, not at every write.
		if now := time.Now(); deadline.Sub(now) < streamWriteWait/2 {
			deadline = now.Add(streamWriteWait)
			rc.SetWriteDeadline(deadline)
		}
		if _, err := c.Response().Write(buf.Bytes()); err != nil {
			return err
		}
		if buf.Cap() > 16<<10 {
			buf = bytes.Buffer{} // a large zone went by: do not keep its room
		}
		buf.Reset()
		return rc.Flush()
	}
	buf.WriteString("retry: 2000\n\n")
	for {
		batch, err := s.Workshops.EventsAfter(ctx, w.ID, last, replayPage)
		if err != nil {
			return nil // too late for an error status; the client reconnects
		}
		for _, e := range batch {
			writeEvent(&buf, e, acc)
			last = e.ID
		}
		if err := send(); err != nil {
			return nil
		}
		if len(batch) < replayPage {
			break
		}
	}
	heartbeat := time.NewTicker(s.opts.WorkshopHeartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return nil // dropped or stopping: the client reconnects and replays
			}
			if e.ID <= last {
				continue
			}
			writeEvent(&buf, e, acc)
			last = e.ID
			// Send what else is waiting in the same write.
			for more := true; more; {
				select {
				case e, ok := <-events:
					if !ok {
						send()
						return nil
					}
					if e.ID > last {
						writeEvent(&buf, e, acc)
						last = e.ID
					}
				default:
					more = false
				}
			}
		case <-heartbeat.C:
			buf.WriteString(": heartbeat\n\n")
		case <-ctx.Done():
			return nil
		}
		if err := send(); err != nil {
			return nil
		}
	}
}

// writeEvent appends e, as reader receives it, in the event stream
// format.
func writeEvent(buf *bytes.Buffer, e *geo.WorkshopEvent, reader geo.WorkshopAccess) {
	name, data := e.For(reader)
	buf.WriteString("id: ")
	buf.WriteString(strconv.FormatInt(e.ID, 10))
	buf.WriteString("\nevent: ")
	buf.WriteString(name)
	for line := range bytes.Lines(data) {
		buf.WriteString("\ndata: ")
		buf.Write(bytes.TrimRight(line, "\r\n"))
	}
	buf.WriteString("\n\n")
}

// streamCap counts the open event streams of each client IP, up to
// perIP (0: no limit).
type streamCap struct {
	perIP int
	mu    sync.Mutex
	open  map[string]int
}

func newStreamCap(perIP int) *streamCap {
	return &streamCap{perIP: perIP, open: map[string]int{}}
}

// acquire counts a new stream of ip, or returns false when ip holds perIP
// already. release uncounts it.
func (sc *streamCap) acquire(ip string) (release func(), ok bool) {
	if sc.perIP <= 0 {
		return func() {}, true
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.open[ip] >= sc.perIP {
		return nil, false
	}
	sc.open[ip]++
	return func() {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		if sc.open[ip]--; sc.open[ip] <= 0 {
			delete(sc.open, ip)
		}
	}, true
}
