package postgis

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ListenerName is the application_name of a listener's connection, as
// pg_stat_activity shows it.
const ListenerName = "maillage notifications"

// Listener holds one LISTEN connection and hands each notification to the
// handler of its channel, so that a process needs one connection for the
// tile data version, token revocations and workshop events. Handlers run
// one at a time on the listener's goroutine and may query on its
// connection.
//
// A listener keeps nothing another process needs: what it hears is in
// the database, read again on each (re)connection.
type Listener struct {
	db       *DB
	channels []string
	handlers map[string]Channel
}

// Channel is what a listener does for one channel.
type Channel struct {
	// Listening is called once the connection listens, at first and after
	// each reconnection, before any notification: those sent while the
	// connection was down are lost, so it reads what it must. An error
	// drops the connection.
	Listening func(ctx context.Context, conn *pgx.Conn) error
	// Notified is called with the payload of each notification. An error
	// drops the connection.
	Notified func(ctx context.Context, conn *pgx.Conn, payload string) error
	// Lost is called as soon as the connection fails and when the
	// listener stops, so that callers stop trusting what they heard.
	Lost func()
}

// NewListener returns a listener on db with no channel yet.
func NewListener(db *DB) *Listener {
	return &Listener{db: db, handlers: map[string]Channel{}}
}

// Listen adds channel, handled by c. Call it before Run.
func (l *Listener) Listen(channel string, c Channel) {
	if _, ok := l.handlers[channel]; !ok {
		l.channels = append(l.channels, channel)
	}
	l.handlers[channel] = c
}

// Run listens until ctx ends. A lost connection is reopened with a delay
// doubling up to retryMax.
func (l *Listener) Run(ctx context.Context, retryMax time.Duration) {
	delay := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := l.listen(ctx, func() { delay = 100 * time.Millisecond })
		for _, ch := range l.channels {
			if lost := l.handlers[ch].Lost; lost != nil {
				lost()
			}
		}
		if ctx.Err() != nil {
			return
		}
		l.db.logger.Warn("database notifications: connection lost, retrying", "channels", l.channels, "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, retryMax)
	}
}

func (l *Listener) listen(ctx context.Context, connected func()) error {
	cfg := l.db.Pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = ListenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	for _, ch := range l.channels {
		if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{ch}.Sanitize()); err != nil {
			return err
		}
	}
	connected()
	for _, ch := range l.channels {
		if f := l.handlers[ch].Listening; f != nil {
			if err := f(ctx, conn); err != nil {
				return fmt.Errorf("%s: %w", ch, err)
			}
		}
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if f := l.handlers[n.Channel].Notified; f != nil {
			if err := f(ctx, conn, n.Payload); err != nil {
				return fmt.Errorf("%s: %w", n.Channel, err)
			}
		}
	}
}
