package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/maillage/maillage/internal/postgistest"
	"github.com/maillage/maillage/internal/shareddata"
)

// sharedData is the folder of real public data beside the project.
func sharedData(t testing.TB) string {
	t.Helper()
	return shareddata.Dir(t)
}

// testEnv is a getenv over a fixed map, so tests never read the caller's
// environment by accident.
func testEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// startServe runs `maillage serve` in this process on a free port and
// runOK runs the command args with the variables vars and returns its
// output, trimmed; it fails the test if the command fails.
func runOK(t *testing.T, vars map[string]string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), append([]string{"maillage"}, args...), testEnv(vars), &out, &out); err != nil {
		t.Fatalf("maillage %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return strings.TrimSpace(out.String())
}

// returns its base URL once /healthz answers.
func startServe(t *testing.T, vars map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	vars["MAILLAGE_ADDR"] = "127.0.0.1:0"
	if vars["MAILLAGE_GEOCODER"] == "" {
		vars["MAILLAGE_GEOCODER"] = "local" // tests never reach the real BAN
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"maillage", "serve"}, testEnv(vars), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatalf("serve printed nothing: %v", <-done)
	}
	go io.Copy(io.Discard, pr)
	_, url, ok := strings.Cut(lines.Text(), "listening on ")
	if !ok {
		t.Fatalf("unexpected first line %q", lines.Text())
	}
	waitHealthy(t, url)
	return url
}

func waitHealthy(t testing.TB, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/healthz never answered: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// TestDemoImport serves the shared demo folder on a fresh database: the
// first start imports the real SIAE list and the Transiscope export, and
// the map page in Chromium draws every located actor.
func TestDemoImport(t *testing.T) {
	dbURL := postgistest.NewURL(t)
	tiles := tileServer(t)
	url := startServe(t, map[string]string{"DATABASE_URL": dbURL, "MAILLAGE_DEMO_DIR": sharedData(t),
		"MAILLAGE_BASEMAP_URL": tiles.URL + "/{z}/{x}/{y}.png"})

	var page struct {
		Total int `json:"total"`
	}
	getJSON(t, url+"/api/actors?limit=1&sectors=insertion", &page)
	var siae, siaeLocated, transiscope, transiscopeSectors int
	db, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.QueryRow(context.Background(), `SELECT count(*), count(location) FROM actors WHERE source = 'ASP'`).Scan(&siae, &siaeLocated)
	db.QueryRow(context.Background(), `SELECT count(DISTINCT a.id), count(DISTINCT s.sector_slug) FROM actors a
		JOIN actor_sectors s ON s.actor_id = a.id WHERE a.source = 'Transiscope'`).Scan(&transiscope, &transiscopeSectors)
	wantSIAE, wantSIAELocated := shareddata.CountFeatures(t, filepath.Join(sharedData(t), "actors", "siae-france.geojson"))
	if siae != wantSIAE || siaeLocated != wantSIAELocated {
		t.Errorf("SIAE: %d actors, %d located; want %d and %d", siae, siaeLocated, wantSIAE, wantSIAELocated)
	}
	if page.Total < wantSIAE {
		t.Errorf("insertion sector holds %d actors, want at least %d", page.Total, wantSIAE)
	}
	wantTransiscope, _ := shareddata.CountFeatures(t, filepath.Join(sharedData(t), "actors", "transiscope-niort-2020.geojson"))
	if transiscope != wantTransiscope || transiscopeSectors < 5 {
		t.Errorf("Transiscope: %d actors in %d sectors, want %d in several", transiscope, transiscopeSectors, wantTransiscope)
	}
	var fc struct {
		Attribution    string `json:"attribution"`
		NumberReturned int    `json:"numberReturned"`
	}
	getJSON(t, url+"/api/actors.geojson", &fc)
	if !strings.Contains(fc.Attribution, "Transiscope (ODbL)") || !strings.Contains(fc.Attribution, "ASP") {
		t.Errorf("attribution = %q", fc.Attribution)
	}
	if fc.NumberReturned < siaeLocated {
		t.Errorf("GeoJSON returned %d features, want at least %d", fc.NumberReturned, siaeLocated)
	}
	checkPage(t, url+"/", fc.NumberReturned)
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds maillage once for the tests that run it as a process.
func binary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "maillage-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "maillage")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// shortDir returns a fresh folder with a short path, traversable by the
// postgres user when the tests run as root.
func shortDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mlg-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// command runs the built binary with env and returns its output.
func command(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestProcesses runs the real binary: serve on its own private cluster,
// token and import from other processes sharing that cluster, then a
// clean stop on SIGTERM.
func TestProcesses(t *testing.T) {
	dataDir := shortDir(t)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "MAILLAGE_DATA_DIR=" + dataDir,
		"MAILLAGE_ADDR=127.0.0.1:0", "MAILLAGE_LOG_LEVEL=warn", "MAILLAGE_GEOCODER=local"}

	serve := exec.Command(binary(t), "serve")
	serve.Env = env
	stdout, _ := serve.StdoutPipe()
	serve.Stderr = os.Stderr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer serve.Process.Kill()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatal("serve printed nothing")
	}
	_, url, _ := strings.Cut(lines.Text(), "listening on ")
	waitHealthy(t, url)
	var ready map[string]string
	getJSON(t, url+"/readyz", &ready)

	out, err := command(t, env, "token", "create", "cress")
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, out)
	}
	token := strings.TrimSpace(out)

	csvPath := filepath.Join(dataDir, "acteurs.csv")
	os.WriteFile(csvPath, []byte("nom;adresse;code postal;ville;siret;latitude;longitude\n"+
		"Artisans du Monde Niort;5 rue Ricard;79000;Niort;;46,3239;-0,4588\n"+
		"Ligne fausse;;79000;Niort;123;46,3;-0,45\n"), 0o644)
	out, err = command(t, env, "import", "--sector", "commerce-equitable", "--attribution", "Saisie CRESS", csvPath)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if !strings.Contains(out, "created 1") || !strings.Contains(out, "row 3, siret") {
		t.Errorf("import report:\n%s", out)
	}

	// The server sees what the other processes wrote: same cluster.
	var list struct {
		Items []struct {
			Name    string   `json:"name"`
			Sectors []string `json:"sectors"`
		} `json:"items"`
	}
	getJSON(t, url+"/api/actors", &list)
	if len(list.Items) != 1 || list.Items[0].Name != "Artisans du Monde Niort" {
		t.Errorf("actors after import = %+v", list.Items)
	}
	req, _ := http.NewRequest("DELETE", url+"/api/sectors/culture", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 204 {
		t.Errorf("DELETE with the CLI's token = %v %v", resp.Status, err)
	}

	out, err = command(t, env, "export", "--format", "geojson")
	if err != nil || !strings.Contains(out, "Artisans du Monde Niort") || !strings.Contains(out, `"attribution":"Saisie CRESS"`) {
		t.Errorf("export: %v\n%s", err, out)
	}

	out, err = command(t, env, "export", "--format", "csv")
	if err != nil || !strings.HasPrefix(out, "id,name,sectors,") || !strings.Contains(out, "Artisans du Monde Niort") ||
		!strings.Contains(out, ",Saisie CRESS,") {
		t.Errorf("CSV export: %v\n%s", err, out)
	}

	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := serve.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postgres", "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("the cluster still runs after serve stopped (postmaster.pid: %v)", err)
	}
	out, err = command(t, env, "token", "revoke", "cress")
	if err != nil || !strings.Contains(out, "revoked") {
		t.Errorf("token revoke on a stopped cluster: %v\n%s", err, out)
	}
}

// TestSetupErrors checks that a missing PostgreSQL is one clear line and
// exit code 1, and a bad command line exit code 2.
func TestSetupErrors(t *testing.T) {
	env := []string{"PATH=" + os.Getenv("PATH"), "MAILLAGE_DATA_DIR=" + shortDir(t),
		"MAILLAGE_PG_BINDIR=" + t.TempDir()}
	out, err := command(t, env, "migrate")
	if code := exitCode(err); code != 1 {
		t.Errorf("missing PostgreSQL: exit %d, want 1", code)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 || !strings.Contains(out, "postgresql-15-postgis-3") {
		t.Errorf("missing PostgreSQL: output %q, want one line naming the package", out)
	}
	out, err = command(t, env, "import")
	if code := exitCode(err); code != 2 || !strings.Contains(out, "exactly one FILE") {
		t.Errorf("import without a file: exit %d, %q", code, out)
	}
}

func exitCode(err error) int {
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
