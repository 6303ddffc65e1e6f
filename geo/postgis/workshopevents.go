package postgis

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// WorkshopHub passes the events of workshops to the event streams of this
// process. It needs one LISTEN connection, whatever the number of
// streams, which it may share with others (ListenOn): on each notification it reads the workshop's new events once
// from workshop_events and hands them to every subscriber in memory.
//
// It keeps nothing another process needs: the events are in the
// database, and a stream that reconnects anywhere replays them from
// there.
type WorkshopHub struct {
	db     *DB
	logger *slog.Logger
	buffer int

	mu      sync.Mutex
	watches map[int64]*watch // by workshop id, while it has subscribers
	stopped bool
}

// watch is a workshop with subscribers in this process. last is the id of
// the latest event handed to them.
type watch struct {
	last int64
	subs map[*subscriber]struct{}
}

type subscriber struct {
	ch chan *geo.WorkshopEvent
}

// NewWorkshopHub returns a hub on db whose subscribers may fall buffer
// events behind before they are dropped. Start it with Run.
func NewWorkshopHub(db *DB, logger *slog.Logger, buffer int) *WorkshopHub {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &WorkshopHub{db: db, logger: logger, buffer: max(1, buffer), watches: map[int64]*watch{}}
}

// Subscribe returns a channel of the events of workshop id committed from
// now on, in id order, and a function to call when done. The channel is
// closed when the subscriber falls more than the hub's buffer behind (a
// slow client never holds up the others) or when the hub stops: the
// client then reconnects and replays what it missed with EventsAfter.
// Events committed shortly before the call may come too. Returns
// EUnavailable once the hub has stopped.
func (h *WorkshopHub) Subscribe(ctx context.Context, id int64) (<-chan *geo.WorkshopEvent, func(), error) {
	h.mu.Lock()
	_, watched := h.watches[id]
	h.mu.Unlock()
	var last int64
	if !watched {
		// Events above last will be read on the next notification; those
		// committed until the watch exists are in the caller's replay.
		if err := h.db.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM workshop_events WHERE workshop_id = $1`, id).
			Scan(&last); err != nil {
			return nil, nil, err
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return nil, nil, geo.Errorf(geo.EUnavailable, "the server is stopping")
	}
	w := h.watches[id]
	if w == nil {
		w = &watch{last: last, subs: map[*subscriber]struct{}{}}
		h.watches[id] = w
	}
	s := &subscriber{ch: make(chan *geo.WorkshopEvent, h.buffer)}
	w.subs[s] = struct{}{}
	var once sync.Once
	cancel := func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.drop(id, s)
		})
	}
	return s.ch, cancel, nil
}

// drop removes s from the subscribers of workshop id and closes its
// channel, if not done yet. h.mu must be held.
func (h *WorkshopHub) drop(id int64, s *subscriber) {
	w := h.watches[id]
	if w == nil {
		return
	}
	if _, ok := w.subs[s]; !ok {
		return
	}
	delete(w.subs, s)
	close(s.ch)
	if len(w.subs) == 0 {
		delete(h.watches, id)
	}
}

// Subscribers returns the number of subscribers of this process.
func (h *WorkshopHub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, w := range h.watches {
		n += len(w.subs)
	}
	return n
}

// Run listens for workshop events on a connection of its own until ctx
// ends (see ListenOn), then stops the hub. A lost connection is reopened
// with a backoff of up to retryMax.
func (h *WorkshopHub) Run(ctx context.Context, retryMax time.Duration) {
	l := NewListener(h.db)
	h.ListenOn(l)
	l.Run(ctx, retryMax)
	h.Stop()
}

// ListenOn has l hand out the workshop events. After each (re)connection
// the events committed meanwhile are read, so that subscribers miss none.
func (h *WorkshopHub) ListenOn(l *Listener) {
	l.Listen(workshopsChannel, Channel{
		Listening: func(ctx context.Context, conn *pgx.Conn) error {
			h.mu.Lock()
			ids := make([]int64, 0, len(h.watches))
			for id := range h.watches {
				ids = append(ids, id)
			}
			h.mu.Unlock()
			for _, id := range ids {
				if err := h.deliver(ctx, conn, id); err != nil {
					return err
				}
			}
			return nil
		},
		Notified: func(ctx context.Context, conn *pgx.Conn, payload string) error {
			id, err := strconv.ParseInt(payload, 10, 64)
			if err != nil {
				return fmt.Errorf("workshop notification %q: %w", payload, err)
			}
			return h.deliver(ctx, conn, id)
		},
	})
}

// Stop closes every subscriber's channel; Subscribe fails from then on.
func (h *WorkshopHub) Stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	for id, w := range h.watches {
		for s := range w.subs {
			h.drop(id, s)
		}
	}
}

// deliver reads the events of workshop id that its subscribers have not
// had, on the listening connection, and hands them out. Within a
// workshop, events are committed in id order (lockWorkshop), so reading
// above the last one handed out misses none.
func (h *WorkshopHub) deliver(ctx context.Context, conn *pgx.Conn, id int64) error {
	for {
		h.mu.Lock()
		w := h.watches[id]
		var after int64
		if w != nil {
			after = w.last
		}
		h.mu.Unlock()
		if w == nil {
			return nil
		}
		const page = 500
		events, err := eventsAfter(ctx, conn, id, after, page)
		if err != nil {
			return err
		}
		h.mu.Lock()
		w = h.watches[id]
		for _, e := range events {
			if w == nil || e.ID <= w.last {
				continue
			}
			for s := range w.subs {
				select {
				case s.ch <- e:
				default:
					h.drop(id, s) // too slow: it reconnects and replays
				}
			}
			w.last = e.ID
			if len(w.subs) == 0 {
				w = nil
			}
		}
		h.mu.Unlock()
		if len(events) < page {
			return nil
		}
	}
}
