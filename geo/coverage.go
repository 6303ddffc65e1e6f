package geo

import (
	"cmp"
	"slices"
	"time"
)

// Coverage of territories by the actors of some sectors.
//
// One definition, computed in SQL (geo/postgis/coverage.go) and summed
// here:
//   - a commune's actors are the published actors of the sectors counted in
//     it (ActorPlace: point in polygon, else citycode, else postcode);
//   - per 10,000 inhabitants: actors * 10,000 / population;
//   - its nearest distance is the great-circle distance (on the sphere)
//     from its reference point to the nearest published located actor of
//     the sectors, wherever that actor is;
//   - it is a "zone blanche" when that distance is more than the radius
//     (or no such actor exists), and then all its inhabitants are beyond
//     the radius;
//   - an EPCI, a département or a region sums its communes: population,
//     actors, inhabitants beyond the radius; its nearest distance is the
//     largest of its communes'.
// A commune without a reference point (neither polygon nor point) has no
// distance: it is neither covered nor a zone blanche, and is listed in
// CommunesWithoutPoint. A commune without a population counts for 0
// inhabitants.

// CoverageQuery asks for the coverage of the territories of Level inside
// Within (nil: every commune) by the actors of Sectors (any of them;
// empty: every sector) within RadiusKm.
type CoverageQuery struct {
	Within   *TerritoryRef
	Level    string
	Sectors  []string
	RadiusKm float64
}

// CommuneFigures are the figures of one commune, as the store computes
// them. Inside tells whether the commune is inside the territory asked
// about (the EPCI of its communes may reach beyond it).
type CommuneFigures struct {
	Code        string
	Name        string
	Population  *int
	EPCI        string
	Departement string
	Region      string
	Inside      bool
	Actors      int
	Located     bool     // has a reference point
	NearestM    *float64 // nil: no located actor of the sectors anywhere
}

// CommuneCoverage is what the store answers a CoverageQuery with, read in
// one snapshot: each commune's figures, the names of the query level's
// territories (code -> name), the data version they reflect and, when
// they come from the stored coverage, when it was computed (nil: computed
// live, now).
type CommuneCoverage struct {
	Communes   []CommuneFigures
	Names      map[string]string
	Version    int64
	ComputedAt *time.Time
}

// CoverageItem is the coverage of one territory.
type CoverageItem struct {
	Level           string   `json:"level"`
	Code            string   `json:"code"`
	Name            string   `json:"name"`
	Population      *int     `json:"population"`
	Actors          int      `json:"actors"`
	Per10k          *float64 `json:"per_10k"`
	NearestKm       *float64 `json:"nearest_km"`
	BeyondRadius    int      `json:"beyond_radius"` // inhabitants farther than the radius
	ZoneBlanche     bool     `json:"zone_blanche"`
	Communes        int      `json:"communes"`
	CommunesWithout int      `json:"communes_without"` // zones blanches among its communes
	NoPoint         bool     `json:"no_point,omitempty"`
}

// CoverageSummary sums the communes inside the territory asked about.
type CoverageSummary struct {
	Population           int      `json:"population"`
	PopulationBeyond     int      `json:"population_beyond"`
	ShareBeyond          *float64 `json:"share_beyond"` // 0 to 1; nil without inhabitants
	Communes             int      `json:"communes"`
	CommunesWithout      int      `json:"communes_without"`
	Actors               int      `json:"actors"`
	Per10k               *float64 `json:"per_10k"`
	ZonesBlanches        []string `json:"zones_blanches"`
	CommunesWithoutPoint []string `json:"communes_without_point"`
}

// Coverage is the answer to a CoverageQuery.
type Coverage struct {
	Territory  *TerritoryRef   `json:"territory"`
	Level      string          `json:"level"`
	Sectors    []string        `json:"sectors"`
	RadiusKm   float64         `json:"radius_km"`
	Items      []CoverageItem  `json:"items"`
	Summary    CoverageSummary `json:"summary"`
	ComputedAt time.Time       `json:"computed_at"`
}

func per10k(actors int, population *int) *float64 {
	if population == nil || *population == 0 {
		return nil
	}
	v := float64(actors) * 10000 / float64(*population)
	return &v
}

// zoneBlanche reports whether a located commune has no actor within
// radiusM.
func (c CommuneFigures) zoneBlanche(radiusM float64) bool {
	return c.Located && (c.NearestM == nil || *c.NearestM > radiusM)
}

// BuildCoverage sums the figures of communes into the items of q.Level,
// named by names (level aggregates' code -> name), and the summary of the
// communes inside. Items come weakest first: zones blanches, then by
// decreasing nearest distance; communes without a point last.
func BuildCoverage(q CoverageQuery, communes []CommuneFigures, names map[string]string, computedAt time.Time) *Coverage {
	radiusM := q.RadiusKm * 1000
	cov := &Coverage{Territory: q.Within, Level: q.Level, Sectors: q.Sectors, RadiusKm: q.RadiusKm,
		Items: []CoverageItem{}, ComputedAt: computedAt,
		Summary: CoverageSummary{ZonesBlanches: []string{}, CommunesWithoutPoint: []string{}}}
	if cov.Sectors == nil {
		cov.Sectors = []string{}
	}
	byCode := map[string]int{}
	sum := &cov.Summary
	for _, c := range communes {
		zb := c.zoneBlanche(radiusM)
		beyond := 0
		if zb && c.Population != nil {
			beyond = *c.Population
		}
		if c.Inside {
			sum.Communes++
			if c.Population != nil {
				sum.Population += *c.Population
			}
			sum.Actors += c.Actors
			sum.PopulationBeyond += beyond
			if zb {
				sum.CommunesWithout++
				sum.ZonesBlanches = append(sum.ZonesBlanches, c.Code)
			}
			if !c.Located {
				sum.CommunesWithoutPoint = append(sum.CommunesWithoutPoint, c.Code)
			}
		}
		key := c.Code
		switch q.Level {
		case LevelEPCI:
			key = c.EPCI
		case LevelDepartement:
			key = c.Departement
		case LevelRegion:
			key = c.Region
		}
		if key == "" {
			continue // a commune outside any EPCI, in an EPCI list
		}
		var km *float64
		if c.Located && c.NearestM != nil {
			v := *c.NearestM / 1000
			km = &v
		}
		if q.Level == LevelCommune {
			cov.Items = append(cov.Items, CoverageItem{Level: LevelCommune, Code: c.Code, Name: c.Name,
				Population: c.Population, Actors: c.Actors, Per10k: per10k(c.Actors, c.Population), NearestKm: km,
				BeyondRadius: beyond, ZoneBlanche: zb, Communes: 1, CommunesWithout: b2i(zb), NoPoint: !c.Located})
			continue
		}
		i, seen := byCode[key]
		if !seen {
			i = len(cov.Items)
			byCode[key] = i
			name := names[key]
			if name == "" {
				name = key
			}
			cov.Items = append(cov.Items, CoverageItem{Level: q.Level, Code: key, Name: name, ZoneBlanche: true})
		}
		it := &cov.Items[i]
		if c.Population != nil {
			p := *c.Population
			if it.Population != nil {
				p += *it.Population
			}
			it.Population = &p
		}
		it.Actors += c.Actors
		it.BeyondRadius += beyond
		it.Communes++
		it.CommunesWithout += b2i(zb)
		it.ZoneBlanche = it.ZoneBlanche && zb
		if km != nil && (it.NearestKm == nil || *km > *it.NearestKm) {
			it.NearestKm = km
		}
		if c.Located && c.NearestM == nil {
			it.NearestKm = nil // no actor anywhere: no finite distance
		}
	}
	for i := range cov.Items {
		it := &cov.Items[i]
		if q.Level != LevelCommune {
			it.Per10k = per10k(it.Actors, it.Population)
		}
	}
	if sum.Population > 0 {
		v := float64(sum.PopulationBeyond) / float64(sum.Population)
		sum.ShareBeyond = &v
		pop := sum.Population
		sum.Per10k = per10k(sum.Actors, &pop)
	}
	slices.SortStableFunc(cov.Items, func(a, b CoverageItem) int {
		return cmp.Or(-cmp.Compare(b2i(a.ZoneBlanche), b2i(b.ZoneBlanche)), cmp.Compare(b2i(a.NoPoint), b2i(b.NoPoint)),
			-cmp.Compare(km(a.NearestKm), km(b.NearestKm)), cmp.Compare(a.Code, b.Code))
	})
	return cov
}

// km orders distances, no distance (no actor anywhere) the farthest.
func km(v *float64) float64 {
	if v == nil {
		return 1e12
	}
	return *v
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
