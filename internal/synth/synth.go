// Package synth makes synthetic actors placed around real places, for
// measures at national scale (about 1.5 million associations). The same
// seed and inputs give the same actors.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/maillage/maillage/geo"
)

// Place is where actors gather: a real point (a town with actors) and the
// share of actors around it.
type Place struct {
	Name   string
	Point  geo.Point
	Weight float64
}

// Area is a real territory (a département) over which a share of actors is
// spread evenly: villages and the countryside.
type Area struct {
	Name    string
	Polygon orb.MultiPolygon // longitude, latitude
	Weight  float64
}

// Spec says what to make.
type Spec struct {
	Seed    uint64
	Places  []Place
	Areas   []Area
	SpreadM float64 // standard deviation of the distance to a place, in metres
}

// sectorWeights are the sectors of synthetic actors and how common each is.
var sectorWeights = []struct {
	slug   string
	weight float64
}{
	{"culture", 20}, {"education-populaire", 16}, {"solidarites", 14}, {"services-personnes", 10},
	{"autres", 8}, {"insertion", 5}, {"alimentation", 5}, {"energie-environnement", 5},
	{"habitat", 3}, {"reemploi", 3}, {"mobilite", 3}, {"accompagnement-ess", 3},
	{"tiers-lieux", 2}, {"commerce-equitable", 2}, {"finance-solidaire", 1},
}

var kinds = []string{"ACI", "AI", "EI", "ETTI", "EITI", "GEIQ", "EA"}

// Generator yields synthetic actors one by one.
type Generator struct {
	spec    Spec
	rng     *rand.Rand
	cum     []float64 // cumulative weights: places, then areas
	sectors []float64 // cumulative sector weights
	i       int
}

// NewGenerator returns a generator for spec. Returns an error if spec has
// no place or area with a positive weight.
func NewGenerator(spec Spec) (*Generator, error) {
	g := &Generator{spec: spec, rng: rand.New(rand.NewPCG(spec.Seed, 0x6d61696c6c616765))}
	total := 0.0
	for _, p := range spec.Places {
		total += max(p.Weight, 0)
		g.cum = append(g.cum, total)
	}
	for _, a := range spec.Areas {
		total += max(a.Weight, 0)
		g.cum = append(g.cum, total)
	}
	if total <= 0 {
		return nil, fmt.Errorf("synth: no place or area to put actors in")
	}
	total = 0
	for _, s := range sectorWeights {
		total += s.weight
		g.sectors = append(g.sectors, total)
	}
	return g, nil
}

// Next returns the next actor: published (97 %) or draft, in one sector
// or (10 %) two, mostly associations, a few insertion structures.
func (g *Generator) Next() *geo.Actor {
	g.i++
	r := g.rng
	k, _ := slices.BinarySearch(g.cum, r.Float64()*g.cum[len(g.cum)-1])
	k = min(k, len(g.cum)-1)
	var pt geo.Point
	var near string
	if k < len(g.spec.Places) {
		p := g.spec.Places[k]
		pt, near = g.around(p.Point), p.Name
	} else {
		a := g.spec.Areas[k-len(g.spec.Places)]
		pt, near = g.inside(a.Polygon), a.Name
	}
	a := &geo.Actor{
		Name:       fmt.Sprintf("Association %s n°%d", near, g.i),
		Sectors:    []string{g.sector()},
		Location:   &pt,
		Status:     geo.StatusPublished,
		LegalForm:  geo.LegalForm{Code: "9220", Label: "Association déclarée", Family: "association"},
		Address:    geo.Address{City: near},
		Geocoding:  geo.Geocoding{Source: geo.LocationFromFile},
		Source:     "synthetic",
		ExternalID: fmt.Sprintf("synth-%d-%d", g.spec.Seed, g.i),
	}
	if r.Float64() < 0.03 {
		a.Status = geo.StatusDraft
	}
	if r.Float64() < 0.10 {
		if s := g.sector(); s != a.Sectors[0] {
			a.Sectors = append(a.Sectors, s)
		}
	}
	if r.Float64() < 0.05 {
		a.Kind = kinds[r.IntN(len(kinds))]
	}
	return a
}

func (g *Generator) sector() string {
	k, _ := slices.BinarySearch(g.sectors, g.rng.Float64()*g.sectors[len(g.sectors)-1])
	return sectorWeights[min(k, len(sectorWeights)-1)].slug
}

// around returns a point at a normally distributed distance from p.
func (g *Generator) around(p geo.Point) geo.Point {
	const mPerDegLat = 111_320.0
	dy := g.rng.NormFloat64() * g.spec.SpreadM / mPerDegLat
	dx := g.rng.NormFloat64() * g.spec.SpreadM / (mPerDegLat * math.Cos(p.Lat*math.Pi/180))
	return geo.Point{Lon: round6(p.Lon + dx), Lat: round6(p.Lat + dy)}
}

// inside returns a uniformly random point of mp.
func (g *Generator) inside(mp orb.MultiPolygon) geo.Point {
	b := mp.Bound()
	for {
		pt := orb.Point{b.Min[0] + g.rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + g.rng.Float64()*(b.Max[1]-b.Min[1])}
		if planar.MultiPolygonContains(mp, pt) {
			return geo.Point{Lon: round6(pt[0]), Lat: round6(pt[1])}
		}
	}
}

// round6 rounds to 6 decimals (about 10 cm), as real data files do.
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }
