package geo

import (
	"slices"
	"strings"
	"unicode"
)

// SectorProposal is a sector the rules propose for an actor that does not
// have it yet, and why: "naf 38.32Z", "name: recyclerie" or
// "description: ressourcerie".
type SectorProposal struct {
	ActorID int64  `json:"actor_id"`
	Name    string `json:"name"`
	Sector  string `json:"sector"`
	Reason  string `json:"reason"`
}

// nafSectors are the NAF codes (rév. 2) whose activity is a sector's.
var nafSectors = map[string]string{
	"38.31Z": "reemploi", // démantèlement d'épaves
	"38.32Z": "reemploi", // récupération de déchets triés
	"47.79Z": "reemploi", // commerce de détail de biens d'occasion
	"95.24Z": "reemploi", // réparation de meubles
	"95.29Z": "reemploi", // réparation d'autres biens personnels et domestiques
	"01.13Z": "alimentation",
	"01.30Z": "alimentation",
	"35.11Z": "energie-environnement",
}

// genericWords are synonyms too common in descriptions to propose a
// sector there ("formation" is in most insertion descriptions); they still
// count in names.
var genericWords = map[string]bool{
	"formation": true, "education": true, "emploi": true, "insertion": true, "environnement": true,
	"alimentation": true, "agriculture": true, "transport": true, "culture": true, "solidarite": true,
	"solidarites": true, "citoyennete": true, "accompagnement": true, "logement": true, "energie": true,
	"ecologie": true, "habitat": true, "finance": true, "sante": true, "arts": true, "medias": true,
	"recyclage": true, "dechets": true, "jeunesse": true, "sensibilisation": true, "divers": true,
	"autre": true, "autres": true, "ess": true, "mobilite": true, "equitable": true,
}

// SectorProposer proposes sectors from an actor's NAF code, name and
// description, with the sectors' synonyms.
type SectorProposer struct {
	known map[string]bool
	words []proposalWord // longest first
}

type proposalWord struct {
	text, sector string
}

// NewSectorProposer returns the rules for the sectors of a taxonomy.
// Synonyms of fewer than 4 characters (AI, EA, SEL) are too ambiguous to
// be found in free text and are left out.
func NewSectorProposer(sectors []Sector) *SectorProposer {
	p := &SectorProposer{known: map[string]bool{}}
	for _, s := range sectors {
		p.known[s.Slug] = true
		for _, syn := range s.Synonyms {
			w := words(syn)
			if len(w) >= 4 {
				p.words = append(p.words, proposalWord{w, s.Slug})
			}
		}
	}
	slices.SortStableFunc(p.words, func(a, b proposalWord) int { return len(b.text) - len(a.text) })
	return p
}

// words folds s and keeps its letters and digits, words separated by one
// space.
func words(s string) string {
	return strings.Join(strings.FieldsFunc(Fold(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

// Propose returns the sectors the rules give a that it does not have, at
// most one proposal per sector, with the first reason found (NAF code,
// then name, then description).
func (p *SectorProposer) Propose(a *Actor) []SectorProposal {
	var out []SectorProposal
	add := func(slug, reason string) {
		if !p.known[slug] || slices.Contains(a.Sectors, slug) {
			return
		}
		for _, o := range out {
			if o.Sector == slug {
				return
			}
		}
		out = append(out, SectorProposal{ActorID: a.ID, Name: a.Name, Sector: slug, Reason: reason})
	}
	if slug, ok := nafSectors[strings.ToUpper(strings.ReplaceAll(a.NAF, " ", ""))]; ok {
		add(slug, "naf "+a.NAF)
	}
	name := " " + words(a.Name) + " "
	desc := " " + words(a.Description) + " "
	for _, w := range p.words {
		if strings.Contains(name, " "+w.text+" ") {
			add(w.sector, "name: "+w.text)
		}
	}
	for _, w := range p.words {
		if !genericWords[w.text] && strings.Contains(desc, " "+w.text+" ") {
			add(w.sector, "description: "+w.text)
		}
	}
	return out
}
