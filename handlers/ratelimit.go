package handlers

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ipLimiters holds one rate limiter per client IP address, forgetting the
// addresses unseen for 10 minutes once it knows 10,000 of them.
type ipLimiters struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	clients map[string]*ipLimiter
}

type ipLimiter struct {
	lim  *rate.Limiter
	seen time.Time
}

func newIPLimiters(every rate.Limit, burst int) *ipLimiters {
	return &ipLimiters{every: every, burst: burst, clients: map[string]*ipLimiter{}}
}

// with calls fn with the limiter of ip, under the lock that guards it.
func (l *ipLimiters) with(ip string, now time.Time, fn func(*rate.Limiter)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cl, ok := l.clients[ip]
	if !ok {
		if len(l.clients) >= 10000 {
			for k, v := range l.clients {
				if now.Sub(v.seen) > 10*time.Minute {
					delete(l.clients, k)
				}
			}
		}
		cl = &ipLimiter{lim: rate.NewLimiter(l.every, l.burst)}
		l.clients[ip] = cl
	}
	cl.seen = now
	fn(cl.lim)
}
