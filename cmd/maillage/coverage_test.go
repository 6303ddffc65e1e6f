package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maillage/maillage/internal/postgistest"
)

type coverageItem struct {
	Code        string `json:"code"`
	Actors      int    `json:"actors"`
	ZoneBlanche bool   `json:"zone_blanche"`
}

// waitCoverage polls /api/coverage until the commune code satisfies ok,
// computed live or read from the stored coverage.
func waitCoverage(t *testing.T, url, code string, ok func(coverageItem) bool) {
	t.Helper()
	pollCoverage(t, url, code, false, ok)
}

// waitStored is waitCoverage until the answer also comes from the stored
// coverage, which the server's refresher brings up to date.
func waitStored(t *testing.T, url, code string, ok func(coverageItem) bool) {
	t.Helper()
	pollCoverage(t, url, code, true, ok)
}

func pollCoverage(t *testing.T, url, code string, stored bool, ok func(coverageItem) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last coverageItem
	var lastStored bool
	for time.Now().Before(deadline) {
		var cov struct {
			Items  []coverageItem `json:"items"`
			Stored bool           `json:"stored"`
		}
		getJSON(t, url+"/api/coverage?within=29&sectors=insertion&radius_km=5", &cov)
		for _, it := range cov.Items {
			if it.Code == code {
				last, lastStored = it, cov.Stored
				if ok(it) && (cov.Stored || !stored) {
					return
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("commune %s never reached the expected coverage (stored: %v); last %+v, stored %v", code, stored, last, lastStored)
}

// TestCoverageFresh: an actor added inside a zone blanche, through the API
// and through an import, makes it covered in /api/coverage, although the
// server caches coverage: computed live at once, then read from the stored
// coverage once the server's refresher has brought it up to date.
func TestCoverageFresh(t *testing.T) {
	env := map[string]string{"DATABASE_URL": postgistest.NewURL(t), "MAILLAGE_COVERAGE_DEBOUNCE": "100ms"}
	file := filepath.Join(sharedData(t), "territories", "communes-29-finistere.geojson")
	if report := runOK(t, env, "territories", "import", file); !strings.Contains(report, "created 279") {
		t.Errorf("report: %s", report)
	}
	token := runOK(t, env, "token", "create", "cress")
	url := startServe(t, env)

	waitStored(t, url, "29019", func(it coverageItem) bool { return it.ZoneBlanche && it.Actors == 0 })
	// Through the API: an insertion structure in Brest.
	postActor(t, url, token, map[string]any{
		"name": "Atelier de Brest", "sectors": []string{"insertion"}, "status": "published",
		"address":  map[string]string{"postcode": "29200", "city": "Brest"},
		"location": map[string]any{"type": "Point", "coordinates": []float64{-4.4861, 48.3904}},
	})
	waitCoverage(t, url, "29019", func(it coverageItem) bool { return !it.ZoneBlanche && it.Actors == 1 })
	waitStored(t, url, "29019", func(it coverageItem) bool { return !it.ZoneBlanche && it.Actors == 1 })

	// Through an import: one in Quimper.
	waitCoverage(t, url, "29232", func(it coverageItem) bool { return it.ZoneBlanche })
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "quimper.csv")
	fmt.Fprint(fw, "nom,code postal,commune,latitude,longitude\nChantier de Quimper,29000,Quimper,47.9960,-4.1024\n")
	mw.WriteField("sector", "insertion")
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, url+"/api/imports", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var rep struct {
		Created int `json:"created"`
	}
	if json.Unmarshal(msg, &rep); resp.StatusCode != 200 || rep.Created != 1 {
		t.Fatalf("import = %d %s", resp.StatusCode, msg)
	}
	waitCoverage(t, url, "29232", func(it coverageItem) bool { return !it.ZoneBlanche && it.Actors == 1 })
	waitStored(t, url, "29232", func(it coverageItem) bool { return !it.ZoneBlanche && it.Actors == 1 })

	// The territory tiles answer 304 to their ETag until the territories
	// change.
	tile := url + "/tiles/territories/8/124/88.mvt"
	r1, err := http.Get(tile)
	if err != nil {
		t.Fatal(err)
	}
	r1.Body.Close()
	etag := r1.Header.Get("ETag")
	if r1.StatusCode != 200 || etag == "" {
		t.Fatalf("territory tile = %d, ETag %q", r1.StatusCode, etag)
	}
	req, _ = http.NewRequest(http.MethodGet, tile, nil)
	req.Header.Set("If-None-Match", etag)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match = %d, want 304", r2.StatusCode)
	}
}
