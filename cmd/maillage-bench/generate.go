package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/geo/postgis"
	"github.com/maillage/maillage/internal/synth"
)

// generateCmd stores a synthetic national set of actors, the same for the
// same seed and data folder.
func generateCmd(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	n := fs.Int("actors", 1_500_000, "number of actors")
	seed := fs.Uint64("seed", 1, "random seed")
	data := fs.String("data", cfg.DemoDir, "folder of the shared data (territories/, actors/)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return usagef("generate [--actors N] [--seed S] [--data DIR]")
	}
	if *data == "" {
		return usagef("generate: --data DIR (or MAILLAGE_DEMO_DIR) names the shared data folder")
	}
	db, closeDB, err := openDB(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer closeDB()
	start := time.Now()
	stored, err := generateActors(ctx, postgis.NewActorStore(db), *data, *n, *seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "generated %d actors (seed %d) in %s\n", stored, *seed, time.Since(start).Round(time.Second))
	return nil
}

// generateActors stores n synthetic actors placed by nationalSpec.
func generateActors(ctx context.Context, store *postgis.ActorStore, dataDir string, n int, seed uint64) (int64, error) {
	spec, err := nationalSpec(dataDir, seed)
	if err != nil {
		return 0, err
	}
	g, err := synth.NewGenerator(spec)
	if err != nil {
		return 0, err
	}
	i := 0
	return store.CopyActors(ctx, func() *geo.Actor {
		if i++; i > n {
			return nil
		}
		return g.Next()
	})
}

// nationalSpec places actors in metropolitan France in proportion to the
// population of each département (communes-france-2026.csv): 70 % around
// the real places where the SIAE of the département are (a 2.5 km spread),
// 30 % evenly over the département's polygon.
func nationalSpec(dataDir string, seed uint64) (synth.Spec, error) {
	spec := synth.Spec{Seed: seed, SpreadM: 2500}
	pop, err := departementPopulations(filepath.Join(dataDir, "territories", "communes-france-2026.csv"))
	if err != nil {
		return spec, err
	}
	b, err := os.ReadFile(filepath.Join(dataDir, "territories", "departements-simplified.geojson"))
	if err != nil {
		return spec, err
	}
	depts, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		return spec, fmt.Errorf("departements-simplified.geojson: %w", err)
	}
	anchors, err := siaePlaces(filepath.Join(dataDir, "actors", "siae-france.geojson"))
	if err != nil {
		return spec, err
	}
	for _, f := range depts.Features {
		code, _ := f.Properties["code"].(string)
		name, _ := f.Properties["nom"].(string)
		var mp orb.MultiPolygon
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			mp = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			mp = g
		default:
			continue
		}
		p := pop[code]
		if p <= 0 {
			continue
		}
		places := anchors[code]
		share := 0.7
		if len(places) == 0 {
			share = 0
		}
		spec.Areas = append(spec.Areas, synth.Area{Name: name, Polygon: mp, Weight: p * (1 - share)})
		for _, pl := range places {
			pl.Weight = p * share / float64(len(places))
			spec.Places = append(spec.Places, pl)
		}
	}
	return spec, nil
}

// departementPopulations sums the communes' populations by département.
func departementPopulations(path string) (map[string]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	dep, popCol := col["departement"], col["population"]
	out := map[string]float64{}
	for _, r := range rows[1:] {
		p, _ := strconv.ParseFloat(r[popCol], 64)
		out[r[dep]] += p
	}
	return out, nil
}

// siaePlaces returns the points of the SIAE list by département code,
// named after their city.
func siaePlaces(path string) (map[string][]synth.Place, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fc struct {
		Features []struct {
			Geometry *struct {
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties struct {
				City       string `json:"city"`
				Department string `json:"department"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string][]synth.Place{}
	for _, f := range fc.Features {
		if f.Geometry == nil || len(f.Geometry.Coordinates) != 2 || f.Properties.City == "" {
			continue
		}
		d := f.Properties.Department
		out[d] = append(out[d], synth.Place{Name: f.Properties.City,
			Point: geo.Point{Lon: f.Geometry.Coordinates[0], Lat: f.Geometry.Coordinates[1]}})
	}
	return out, nil
}
