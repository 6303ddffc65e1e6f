package main

import (
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/maillage/maillage/internal/postgistest"
)

// tileServer serves one plain PNG for every base-map tile, so that the page
// loads without the network.
func tileServer(t *testing.T) *httptest.Server {
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for i := range img.Pix {
		img.Pix[i] = 0xee
	}
	img.Set(0, 0, color.Black)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		png.Encode(w, img)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// browser starts headless Chromium (Debian's package) for one test, which
// must be done within 90 seconds.
func browser(t *testing.T) context.Context {
	t.Helper()
	return browserWithin(t, 90*time.Second)
}

// browserWithin starts headless Chromium for one test that must be done
// within d.
func browserWithin(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	exec := "/usr/bin/chromium"
	if _, err := os.Stat(exec); err != nil {
		t.Fatalf("Chromium not found at %s: install it with apt-get install chromium (make test does)", exec)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exec), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800))
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	return ctx
}

// outDir is the ignored folder where tests leave screenshots for people.
func outDir(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// watchConsole fails t, once the test is over, with every console error,
// uncaught exception and JavaScript dialog of the tab of ctx. It accepts the
// dialogs, so that the page goes on. Call it before the first navigation:
// a message is seen only from the moment of the call.
func watchConsole(t *testing.T, ctx context.Context) {
	t.Helper()
	const mark = "maillage test: end of the console"
	messages := chromedp.Console(ctx)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	var mu sync.Mutex
	var problems []string
	report := func(p string) {
		mu.Lock()
		problems = append(problems, p)
		mu.Unlock()
	}
	marked := make(chan struct{})
	go func() {
		seen := false
		for m, err := range messages {
			if err != nil {
				return
			}
			switch {
			case m.Text == mark && !seen:
				seen = true
				close(marked)
			case m.IsException() || m.Type == "error":
				report("console: " + m.String() + " (" + m.URL + ")")
			}
		}
	}()
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			report("dialog opened: " + ev.Message)
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	t.Cleanup(func() {
		// The console keeps the order of the messages: once the mark is
		// read, so is every message written before it.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`console.debug(`+jsString(mark)+`)`)); err != nil {
			t.Errorf("writing the end mark to the console: %v", err)
		} else {
			select {
			case <-marked:
			case <-ctx.Done():
				t.Errorf("waiting for the end mark of the console: %v", ctx.Err())
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Error(p)
		}
	})
}

// tab is one browser tab of a test and the steps its test runs in it.
// Each step fails the test, naming the tab, when it does not succeed.
// A tab made by newTab also fails the test with the console's errors; a
// tab{} literal does not watch the console.
type tab struct {
	name string
	ctx  context.Context
	// wait is how long poll waits; 20 seconds if zero.
	wait time.Duration
}

// newTab watches the console and dialogs of ctx for the whole test (see
// watchConsole) and returns its tab, named name in failures.
func newTab(t *testing.T, name string, ctx context.Context) *tab {
	watchConsole(t, ctx)
	return &tab{name: name, ctx: ctx}
}

// stepWait bounds each do, eval and run of a tab: a chromedp query that
// waits for a node of a replaced document would otherwise wait until the
// test's browser deadline, and the failure would not say which step hung.
const stepWait = 3 * time.Minute

// step returns a context for one step of the tab, which ends after
// stepWait. The browser is started first with the tab's own context, as a
// timeout on the first run of a context would close the browser with it.
func (tb *tab) step(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	if err := chromedp.Do(tb.ctx); err != nil {
		t.Fatalf("%s: starting the browser: %v", tb.name, err)
	}
	return context.WithTimeout(tb.ctx, stepWait)
}

// do runs the chromedp actions in the tab.
func (tb *tab) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := tb.step(t)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", tb.name, err)
	}
}

// eval returns the value of the JavaScript expression js, a string.
func (tb *tab) eval(t *testing.T, js string) string {
	t.Helper()
	ctx, cancel := tb.step(t)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("%s: %s: %v", tb.name, js, err)
	}
	return v
}

// run runs the JavaScript code js and ignores its value.
func (tb *tab) run(t *testing.T, js string) {
	t.Helper()
	ctx, cancel := tb.step(t)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
		t.Fatalf("%s: %s: %v", tb.name, js, err)
	}
}

// poll waits until the JavaScript expression js is true, and logs how
// long that took; what names the wait in the log and in the failure.
func (tb *tab) poll(t *testing.T, what, js string) {
	t.Helper()
	wait := tb.wait
	if wait == 0 {
		wait = 20 * time.Second
	}
	start := time.Now()
	defer func() { t.Logf("%s: %s in %v", tb.name, what, time.Since(start).Round(time.Millisecond)) }()
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(wait))); err != nil {
		t.Fatalf("%s: waiting for %s (%s): %v", tb.name, what, js, err)
	}
}

// clickMap clicks the map of the tab at a fraction (fx, fy) of its box.
func (tb *tab) clickMap(t *testing.T, fx, fy float64) {
	t.Helper()
	var box struct{ X, Y, W, H float64 }
	if err := json.Unmarshal([]byte(tb.eval(t, `(() => { const r = document.querySelector("#map").getBoundingClientRect();
		return JSON.stringify({X: r.x, Y: r.y, W: r.width, H: r.height}); })()`)), &box); err != nil {
		t.Fatal(err)
	}
	tb.do(t, chromedp.MouseClickXY(box.X+fx*box.W, box.Y+fy*box.H))
}

// writeOut writes data to the file name in out/ (see outDir) and returns
// its path.
func writeOut(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(outDir(t), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// shoot saves a screenshot of the tab of ctx as name in out/.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	writeOut(t, name, shot)
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// checkPage opens the map page at url and checks that it draws want
// actors with no error in the console.
func checkPage(t *testing.T, url string, want int) {
	ctx := browser(t)
	watchConsole(t, ctx)
	err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible("#actor-count[data-count]"))
	if err != nil {
		t.Fatalf("page did not load its actors: %v", err)
	}
	count, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#actor-count").dataset.count`))
	if err != nil {
		t.Fatal(err)
	}
	if count != strconv.Itoa(want) {
		t.Errorf("the page drew %s actors, want %d", count, want)
	}
	legend, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".legend")?.innerText ?? ""`))
	if err != nil || !strings.Contains(legend, "Insertion par l'activité économique") {
		t.Errorf("legend = %q, %v", legend, err)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err == nil {
		os.WriteFile(filepath.Join(outDir(t), "map-desktop.png"), shot, 0o644)
	}
}

// TestEmptyPage serves a directory with no actors: the page says how to
// import some instead of showing an empty map.
func TestEmptyPage(t *testing.T) {
	tiles := tileServer(t)
	url := startServe(t, map[string]string{"DATABASE_URL": postgistest.NewURL(t),
		"MAILLAGE_BASEMAP_URL": tiles.URL + "/{z}/{x}/{y}.png"})
	ctx := browser(t)
	watchConsole(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible("#panel")); err != nil {
		t.Fatalf("no empty-state panel: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#panel").innerText`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Aucun acteur", "maillage import", "POST /api/imports"} {
		if !strings.Contains(text, want) {
			t.Errorf("empty state %q does not say %q", text, want)
		}
	}
}

// checkAccessibility runs axe-core (frontend/node_modules, a devDependency
// of the page) on the document of ctx, and fails t with each serious or
// critical violation, naming the page, the rule and the first elements.
func checkAccessibility(t *testing.T, ctx context.Context, pageName string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	src, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "frontend", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core is not installed (make frontend runs npm ci): %v", err)
	}
	// Runtime.evaluate is the browser's own: the page's CSP does not apply.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](string(src)+";undefined")); err != nil {
		t.Fatalf("loading axe-core: %v", err)
	}
	type violation struct {
		ID, Impact, Help string
		Nodes            []string
	}
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]violation](`axe.run(document, {resultTypes: ["violations"]}).then((r) =>
		r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) =>
			({ID: v.id, Impact: v.impact, Help: v.help, Nodes: v.nodes.slice(0, 4).map((n) => n.target.join(" "))})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running axe-core on %s: %v", pageName, err)
	}
	for _, v := range violations {
		t.Errorf("axe on %s: %s %s (%s) at %s", pageName, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, ", "))
	}
	t.Logf("axe on %s: %d serious or critical violations", pageName, len(violations))
}
