package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// loadResult is what 50 clients saw of one route for some seconds.
type loadResult struct {
	ok, unavailable, other int
	p50                    time.Duration // of the 200 answers
	perSecond              float64       // 200 answers a second
	rssMB                  float64       // the server's largest resident size, sampled every 50 ms
}

// load runs clients concurrent clients, each getting url again as soon as
// it has read the whole answer, for d; it samples the resident size of
// the server process pid meanwhile. After a 503 a client waits the
// Retry-After it was given, or only 10 ms when impatient.
func load(b *testing.B, url string, clients int, d time.Duration, pid int, impatient bool) loadResult {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var mu sync.Mutex
	var r loadResult
	var okTimes []time.Duration
	var rss atomic.Int64
	stop := time.Now().Add(d)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if kb := procStatusKB(pid, "VmRSS:"); kb > rss.Load() {
					rss.Store(kb)
				}
			}
		}
	}()
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for time.Now().Before(stop) {
				t0 := time.Now()
				resp, err := client.Get(url)
				code, wait := 0, 10*time.Millisecond
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
					if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && !impatient {
						wait = time.Duration(s) * time.Second
					}
				}
				took := time.Since(t0)
				mu.Lock()
				switch code {
				case http.StatusOK:
					r.ok++
					okTimes = append(okTimes, took)
				case http.StatusServiceUnavailable:
					r.unavailable++
				default:
					r.other++
				}
				mu.Unlock()
				if code == http.StatusServiceUnavailable {
					time.Sleep(min(wait, time.Until(stop)))
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(done)
	slices.Sort(okTimes)
	if len(okTimes) > 0 {
		r.p50 = okTimes[len(okTimes)/2]
	}
	r.perSecond = float64(r.ok) / elapsed.Seconds()
	r.rssMB = float64(rss.Load()) / 1024
	return r
}

// procStatusKB reads a field in KiB (VmRSS:, VmHWM:) of /proc/pid/status.
func procStatusKB(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// startServer runs `maillage serve` as a process with env and returns its
// URL and pid; it is stopped with SIGTERM at the end of the benchmark.
func startServer(b *testing.B, env []string) (string, int) {
	b.Helper()
	serve := exec.Command(binary(b), "serve")
	serve.Env = env
	stdout, _ := serve.StdoutPipe()
	serve.Stderr = os.Stderr
	if err := serve.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		serve.Process.Signal(syscall.SIGTERM)
		serve.Wait()
	})
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		b.Fatal("serve printed nothing")
	}
	_, url, _ := strings.Cut(lines.Text(), "listening on ")
	go io.Copy(io.Discard, stdout)
	waitHealthy(b, url)
	return url, serve.Process.Pid
}

// BenchmarkExportLoad runs 50 concurrent anonymous clients against
// /api/actors.geojson on the SIAE list and the Transiscope file (about
// 4,000 published actors) for MAILLAGE_BENCH_SECONDS each (default 20):
// against a server with the bound of 4 heavy exports at once (the
// default), with clients that wait the Retry-After of a 503 and with
// clients that try again after 10 ms, against one with no bound, and
// against /healthz of the first as the baseline. It reports, for each, answers 200 a second, their
// median time, the 503s and the server's largest resident size. Both
// servers are processes of the built binary on one private cluster.
//
//	go test -run '^$' -bench ExportLoad -benchtime 1x ./cmd/maillage/
func BenchmarkExportLoad(b *testing.B) {
	seconds := 20
	if s, err := strconv.Atoi(os.Getenv("MAILLAGE_BENCH_SECONDS")); err == nil && s > 0 {
		seconds = s
	}
	d := time.Duration(seconds) * time.Second
	const clients = 50
	dataDir := shortDir(b)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "MAILLAGE_DATA_DIR=" + dataDir,
		"MAILLAGE_ADDR=127.0.0.1:0", "MAILLAGE_LOG_LEVEL=error", "MAILLAGE_GEOCODER=none"}
	for _, f := range []struct{ file, sector, source string }{
		{"siae-france.geojson", "insertion", "ASP"}, {"transiscope-niort-2020.geojson", "", "Transiscope"},
	} {
		args := []string{"import", "--source", f.source}
		if f.sector != "" {
			args = append(args, "--sector", f.sector)
		}
		cmd := exec.Command(binary(b), append(args, filepath.Join(sharedData(b), "actors", f.file))...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("import %s: %v\n%s", f.file, err, out)
		}
	}
	bounded, boundedPid := startServer(b, append(slices.Clone(env), "MAILLAGE_HEAVY_EXPORTS=4"))
	unbounded, unboundedPid := startServer(b, append(slices.Clone(env), "MAILLAGE_HEAVY_EXPORTS=0"))
	resp, err := http.Get(bounded + "/api/actors.geojson")
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	features := strings.Count(string(body), `"type":"Feature"`)
	b.Logf("/api/actors.geojson: %d features, %.1f MB", features, float64(len(body))/1e6)

	for b.Loop() {
		runs := []struct {
			name      string
			url       string
			pid       int
			impatient bool
		}{
			{"healthz", bounded + "/healthz", boundedPid, false},
			{"geojson-bound4", bounded + "/api/actors.geojson", boundedPid, false},
			{"geojson-bound4-impatient", bounded + "/api/actors.geojson", boundedPid, true},
			{"geojson-unbounded", unbounded + "/api/actors.geojson", unboundedPid, false},
		}
		results := map[string]loadResult{}
		for _, r := range runs {
			res := load(b, r.url, clients, d, r.pid, r.impatient)
			results[r.name] = res
			b.Logf("%-24s %8.1f req/s  p50 %8v  503: %5d  other: %d  server RSS %6.1f MB",
				r.name, res.perSecond, res.p50.Round(time.Millisecond), res.unavailable, res.other, res.rssMB)
			b.ReportMetric(res.perSecond, r.name+"-req/s")
			b.ReportMetric(float64(res.p50.Milliseconds()), r.name+"-p50-ms")
			b.ReportMetric(float64(res.unavailable), r.name+"-503s")
			b.ReportMetric(res.rssMB, r.name+"-RSS-MB")
			if res.other > 0 {
				b.Errorf("%s: %d answers neither 200 nor 503", r.name, res.other)
			}
		}
		bound, free := results["geojson-bound4"], results["geojson-unbounded"]
		b.Logf("bound 4 against none: %.2f× the req/s, %.2f× the p50, %.2f× the RSS",
			bound.perSecond/free.perSecond, float64(bound.p50)/float64(free.p50), bound.rssMB/free.rssMB)
	}
}
