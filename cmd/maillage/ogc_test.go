package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/maillage/maillage/internal/postgistest"
)

// gdal runs a GDAL command line tool and returns its output.
func gdal(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1", "GDAL_HTTP_MAX_RETRY=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// readIDs reads the id of each feature of a GeoJSON file ogr2ogr wrote
// with -preserve_fid: the driver reads integer ids as feature ids.
func readIDs(t *testing.T, path string) []int64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			ID json.Number `json:"id"`
		} `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(fc.Features))
	for i, f := range fc.Features {
		id, err := strconv.ParseInt(f.ID.String(), 10, 64)
		if err != nil {
			t.Fatalf("feature %d: id %q", i, f.ID)
		}
		ids[i] = id
	}
	return ids
}

// TestOGCWithGDAL has GDAL's OGC API Features driver (the one QGIS uses)
// read the real server over HTTP: it lists the collections, pages through
// every published SIAE once, and filters by a box around Brest exactly as
// /api/actors?bbox= does.
func TestOGCWithGDAL(t *testing.T) {
	env := map[string]string{"DATABASE_URL": postgistest.NewURL(t)}
	runOK(t, env, "import", "--sector", "insertion", "--source", "ASP", filepath.Join(sharedData(t), "actors", "siae-france.geojson"))
	base := startServe(t, env)
	ogc := "OAPIF:" + base + "/ogc"

	info := gdal(t, "ogrinfo", "-ro", "-q", ogc)
	for _, name := range []string{"actors", "territories", "coverage", "annotations"} {
		if !strings.Contains(info, ": "+name) {
			t.Errorf("ogrinfo does not list %s:\n%s", name, info)
		}
	}

	db, err := pgxpool.New(context.Background(), env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, _ := db.Query(context.Background(), `SELECT id FROM actors WHERE status = 'published' AND location IS NOT NULL ORDER BY id`)
	var want []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		want = append(want, id)
	}
	if rows.Err() != nil || len(want) != 3821 {
		t.Fatalf("%d published located SIAE, want 3821 (%v)", len(want), rows.Err())
	}

	// Pages of 1,000: four pages through next links.
	dir := t.TempDir()
	all := filepath.Join(dir, "all.geojson")
	log := gdal(t, "ogr2ogr", "--debug", "on", "-preserve_fid", "-f", "GeoJSON", all, ogc, "actors", "-oo", "PAGE_SIZE=1000")
	if pages := strings.Count(log, "/ogc/collections/actors/items?after="); pages != 3 {
		t.Errorf("GDAL followed %d next links, want 3 (pages of 1,000):\n%s", pages, log)
	}
	got := readIDs(t, all)
	slices.Sort(got)
	if len(got) != len(want) || len(slices.Compact(slices.Clone(got))) != len(got) || !slices.Equal(got, want) {
		t.Errorf("ogr2ogr read %d features (%d distinct), want each of the %d once",
			len(got), len(slices.Compact(slices.Clone(got))), len(want))
	}

	// A box around Brest, given to the driver as a spatial filter.
	box := []string{"-4.57", "48.36", "-4.42", "48.44"}
	brest := filepath.Join(dir, "brest.geojson")
	gdal(t, "ogr2ogr", append([]string{"-preserve_fid", "-f", "GeoJSON", brest, ogc, "actors", "-spat"}, box...)...)
	got = readIDs(t, brest)
	slices.Sort(got)
	var api struct {
		Items []struct{ ID int64 } `json:"items"`
		Total int                  `json:"total"`
	}
	getJSON(t, base+"/api/actors?limit=500&bbox="+strings.Join(box, ","), &api)
	var fromAPI []int64
	for _, it := range api.Items {
		fromAPI = append(fromAPI, it.ID)
	}
	slices.Sort(fromAPI)
	if len(fromAPI) < 10 || api.Total != len(fromAPI) || !slices.Equal(got, fromAPI) {
		t.Errorf("Brest: GDAL read %v, /api/actors?bbox= gives %v (total %d)", got, fromAPI, api.Total)
	}
}
