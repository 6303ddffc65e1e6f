package actorfile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/maillage/maillage/geo"
)

// TestSectorProposalsSIAE runs the sector proposals on the SIAE list,
// where every structure is filed under insertion only: each one with NAF
// 38.32Z (récupération de déchets triés) is proposed réemploi, and so is
// each one named recyclerie, ressourcerie or Emmaüs.
func TestSectorProposalsSIAE(t *testing.T) {
	f, err := os.Open(filepath.Join(sharedData(t), "actors", "siae-france.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sectors := seededSectors(t)
	rows, _, err := Parse(f, "siae-france.geojson", Options{}, Taxonomy{Sectors: geo.NewSectorMatcher(sectors), DefaultSector: "autres"})
	if err != nil {
		t.Fatal(err)
	}
	p := geo.NewSectorProposer(sectors)
	var naf, nafProposed, named, namedProposed, reemploi int
	bySector := map[string]int{}
	for i := range rows {
		a := &rows[i].Actor
		props := p.Propose(a)
		proposed := slices.ContainsFunc(props, func(p geo.SectorProposal) bool { return p.Sector == "reemploi" })
		for _, p := range props {
			bySector[p.Sector]++
			if slices.Contains(a.Sectors, p.Sector) {
				t.Errorf("%s: proposed %s, which it has", a.Name, p.Sector)
			}
		}
		if proposed || slices.Contains(a.Sectors, "reemploi") {
			reemploi++
		}
		if a.NAF == "38.32Z" {
			naf++
			if proposed {
				nafProposed++
			}
		}
		name := geo.Fold(a.Name)
		if strings.Contains(name, "recyclerie") || strings.Contains(name, "ressourcerie") || strings.Contains(name, "emmaus") {
			named++
			if proposed {
				namedProposed++
			}
		}
	}
	t.Logf("%d rows; 38.32Z: %d, proposed réemploi %d; named recyclerie/ressourcerie/Emmaüs: %d, proposed %d; réemploi with the proposals: %d; by sector %v",
		len(rows), naf, nafProposed, named, namedProposed, reemploi, bySector)
	if naf < 90 || nafProposed != naf {
		t.Errorf("%d of the %d actors with NAF 38.32Z proposed réemploi, want all (about 98)", nafProposed, naf)
	}
	if named < 20 || namedProposed != named {
		t.Errorf("%d of the %d actors named recyclerie, ressourcerie or Emmaüs proposed réemploi, want all", namedProposed, named)
	}
	if reemploi < 150 {
		t.Errorf("réemploi would hold %d SIAE actors, want at least 150", reemploi)
	}
}
