package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maillage/maillage/internal/postgistest"
)

// Workshop load: 1,000 event streams spread over two `maillage serve`
// processes on one database, 30 participants posting.
const (
	benchSubscribers = 1000
	benchPosters     = 30
	benchServers     = 2
)

// BenchmarkWorkshopLive measures the delay from an annotation's POST to
// its receipt on every one of 1,000 event streams held by two server
// processes, against the same fan-out through in-process channels; the
// servers' memory per stream; and the annotations written per second.
//
//	go test -run '^$' -bench BenchmarkWorkshopLive -benchtime 300x ./cmd/maillage/
//
// The 30 participants post b.N annotations in all: room, one every 10 s
// each (3 a second: a lively session); busy, one a second each; flat-out,
// as fast as they can (the write throughput while 1,000 streams read).
func BenchmarkWorkshopLive(b *testing.B) {
	l := startWorkshopLoad(b)
	b.Run("channel-baseline", func(b *testing.B) {
		p50, p99 := channelFanOut(b.N, benchSubscribers)
		b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	})
	b.Run("room", func(b *testing.B) { l.run(b, 10*time.Second) })
	b.Run("busy", func(b *testing.B) { l.run(b, time.Second) })
	b.Run("flat-out", func(b *testing.B) { l.run(b, 0) })
}

// workshopLoad is the servers, the workshop, its posters and streams.
type workshopLoad struct {
	servers []string
	wid     int64
	posters []string // participant tokens
	subs    []*benchStream
	next    atomic.Int64 // number of the next annotation
	sentMu  sync.Mutex
	sent    map[int64]time.Time
	client  *http.Client
	conns   []net.Conn
	memKB   float64 // growth of the servers' resident memory per stream
	pids    []int   // the servers' processes
}

// benchStream is one event stream; it records the delay of every
// annotation it receives.
type benchStream struct {
	mu       sync.Mutex
	delays   []time.Duration
	received int
}

func startWorkshopLoad(b *testing.B) *workshopLoad {
	b.Helper()
	dbURL := postgistest.NewURL(b)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "DATABASE_URL=" + dbURL,
		"MAILLAGE_ADDR=127.0.0.1:0", "MAILLAGE_LOG_LEVEL=warn", "MAILLAGE_GEOCODER=none",
		"MAILLAGE_WORKSHOP_STREAMS_PER_IP=0"}
	cmd := exec.Command(binary(b), "token", "create", "bench")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("token create: %v %s", err, out)
	}
	keeper := strings.TrimSpace(string(out))
	l := &workshopLoad{sent: map[int64]time.Time{}}
	var pids []int
	for range benchServers {
		cmd := exec.Command(binary(b), "serve")
		cmd.Env = env
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
		lines := bufio.NewScanner(stdout)
		if !lines.Scan() {
			b.Fatal("serve printed nothing")
		}
		go io.Copy(io.Discard, stdout)
		_, url, _ := strings.Cut(lines.Text(), "listening on ")
		waitHealthy(b, url)
		l.servers = append(l.servers, url)
		pids = append(pids, cmd.Process.Pid)
	}
	var w struct {
		ID             int64  `json:"id"`
		Code           string `json:"code"`
		AnimatorSecret string `json:"animator_secret"`
	}
	benchSend(b, l.servers[0], "POST", "/api/workshops", keeper,
		`{"title": "Charge", "date": "2026-12-10", "bbox": [-0.52, 46.29, -0.40, 46.35]}`, &w)
	benchSend(b, l.servers[0], "PATCH", fmt.Sprintf("/api/workshops/%d", w.ID), w.AnimatorSecret, `{"status": "open"}`, nil)
	l.wid = w.ID
	join := func(server string) string {
		var j struct {
			Token string `json:"token"`
		}
		benchSend(b, server, "POST", "/api/workshops/join", "", `{"code": "`+w.Code+`"}`, &j)
		return j.Token
	}
	for i := range benchPosters {
		l.posters = append(l.posters, join(l.servers[i%benchServers]))
	}

	tokens := make([]string, benchSubscribers)
	for i := range tokens {
		tokens[i] = join(l.servers[i%benchServers])
	}
	time.Sleep(time.Second) // let the servers settle
	before := make([]int64, len(pids))
	for i, pid := range pids {
		before[i] = rssKB(b, pid)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 100}
	client := &http.Client{Transport: transport}
	for i := range benchSubscribers {
		s := &benchStream{}
		l.subs = append(l.subs, s)
		if err := s.read(l.servers[i%benchServers], l.wid, tokens[i], l); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() {
		for _, c := range l.conns {
			c.Close()
		}
	})
	// One annotation through, so that every stream is live, then the
	// memory of the servers.
	l.post(b, client, l.posters[0])
	l.waitAll(b, 1)
	var perSub float64
	for i, pid := range pids {
		perSub += float64(rssKB(b, pid)-before[i]) / float64(benchSubscribers)
	}
	l.memKB = perSub
	l.pids = pids
	b.Cleanup(transport.CloseIdleConnections)
	l.client = client
	return l
}

// read opens the stream on a plain TCP connection and returns once it is
// open, then reads it in another goroutine until the connection ends.
// The reader is lean so that the 1,000 clients, which share the machine
// with the servers, take as little of its CPU as they can: it looks for
// data lines only (the chunked framing of the response is on lines of its
// own; each event is well within one chunk).
func (s *benchStream) read(server string, wid int64, token string, l *workshopLoad) error {
	host := strings.TrimPrefix(server, "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		return err
	}
	fmt.Fprintf(conn, "GET /api/workshops/%d/events?token=%s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", wid, token, host)
	r := bufio.NewReaderSize(conn, 2048)
	status, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 200") {
		conn.Close()
		return fmt.Errorf("events: %q %v", status, err)
	}
	l.conns = append(l.conns, conn)
	go func() {
		defer conn.Close()
		marker := []byte("bench-")
		for {
			line, err := r.ReadSlice('\n')
			if err != nil {
				return
			}
			i := bytes.Index(line, marker)
			if !bytes.HasPrefix(line, []byte("data: ")) || i < 0 {
				continue
			}
			now := time.Now()
			j := i + len(marker)
			for j < len(line) && line[j] >= '0' && line[j] <= '9' {
				j++
			}
			n, _ := strconv.ParseInt(string(line[i+len(marker):j]), 10, 64)
			l.sentMu.Lock()
			t0 := l.sent[n]
			l.sentMu.Unlock()
			s.mu.Lock()
			s.delays = append(s.delays, now.Sub(t0))
			s.received++
			s.mu.Unlock()
		}
	}()
	return nil
}

// post sends one annotation as participant token.
func (l *workshopLoad) post(b *testing.B, client *http.Client, token string) {
	n := l.next.Add(1)
	body := fmt.Sprintf(`{"kind": "besoin", "geometry": {"type": "Point", "coordinates": [-0.46, 46.32]}, "text": "bench-%d: un besoin"}`, n)
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/workshops/%d/annotations", l.servers[n%benchServers], l.wid), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	l.sentMu.Lock()
	l.sent[n] = time.Now()
	l.sentMu.Unlock()
	resp, err := client.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		b.Errorf("POST = %d", resp.StatusCode)
	}
}

// waitAll waits until every stream received n annotations in all.
func (l *workshopLoad) waitAll(b *testing.B, n int) {
	deadline := time.Now().Add(5 * time.Minute)
	for _, s := range l.subs {
		for {
			s.mu.Lock()
			got := s.received
			s.mu.Unlock()
			if got >= n {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("a stream received %d of %d annotations", got, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// run posts b.N annotations from the 30 participants, each every
// interval (0: as fast as it can), and reports the delays to every
// stream.
func (l *workshopLoad) run(b *testing.B, interval time.Duration) {
	for _, s := range l.subs {
		s.mu.Lock()
		s.delays = s.delays[:0]
		s.mu.Unlock()
	}
	start := int(l.next.Load())
	cpu0 := l.serverCPU(b)
	b.ResetTimer()
	began := time.Now()
	var wg sync.WaitGroup
	var left atomic.Int64
	left.Store(int64(b.N))
	for i, token := range l.posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if interval > 0 { // spread the posters over the interval
				time.Sleep(interval * time.Duration(i) / time.Duration(len(l.posters)))
			}
			tick := time.Now()
			for left.Add(-1) >= 0 {
				l.post(b, l.client, token)
				if interval > 0 {
					tick = tick.Add(interval)
					time.Sleep(time.Until(tick))
				}
			}
		}()
	}
	wg.Wait()
	written := time.Since(began)
	l.waitAll(b, start+b.N)
	b.StopTimer()
	cpu := l.serverCPU(b) - cpu0
	var all []time.Duration
	for _, s := range l.subs {
		s.mu.Lock()
		all = append(all, s.delays...)
		s.mu.Unlock()
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(b.N)/written.Seconds(), "annotations/s")
	b.ReportMetric(l.memKB, "KB/stream")
	b.ReportMetric(float64(len(all))/float64(b.N), "streams")
	b.ReportMetric(cpu.Seconds()*1e6/float64(len(all)), "server-µs/delivery")
}

// serverCPU returns the CPU time the server processes used so far (user
// and system).
func (l *workshopLoad) serverCPU(b *testing.B) time.Duration {
	var total time.Duration
	for _, pid := range l.pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			b.Fatal(err)
		}
		// Fields after the command name, which is in parentheses.
		f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(utime+stime) * time.Second / 100 // clock ticks (USER_HZ)
	}
	return total
}

// channelFanOut sends n messages, one every 10 ms, to subs goroutines
// through a buffered channel each, and returns the p50 and p99 delay from
// send to receipt: the floor that the network path is compared with.
func channelFanOut(n, subs int) (p50, p99 time.Duration) {
	type msg struct {
		sent time.Time
		data []byte
	}
	data, _ := json.Marshal(map[string]any{"id": 1, "text": "bench-1: un besoin"})
	chans := make([]chan msg, subs)
	delays := make([][]time.Duration, subs)
	var wg sync.WaitGroup
	for i := range chans {
		chans[i] = make(chan msg, 64)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range chans[i] {
				delays[i] = append(delays[i], time.Since(m.sent))
			}
		}()
	}
	for range n {
		m := msg{time.Now(), data}
		for _, c := range chans {
			c <- m
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, c := range chans {
		close(c)
	}
	wg.Wait()
	var all []time.Duration
	for _, d := range delays {
		all = append(all, d...)
	}
	slices.Sort(all)
	return all[len(all)/2], all[len(all)*99/100]
}

// rssKB returns the resident memory of process pid.
func rssKB(b *testing.B, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

func benchSend(b *testing.B, base, method, path, token, body string, out any) {
	b.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), method, base+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		b.Fatalf("%s %s = %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		json.Unmarshal(data, out)
	}
}
