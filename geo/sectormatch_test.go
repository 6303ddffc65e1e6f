package geo

import (
	"slices"
	"testing"
)

// seededSectors are the sectors of migrations/0002_sectors.sql, as stored.
func seededSectors() []Sector {
	return []Sector{
		{Slug: "insertion", Label: "Insertion par l'activité économique", Synonyms: []string{"IAE", "SIAE", "insertion", "insertion par l'activite economique", "insertion par l'economique", "ACI", "AI", "EI", "ETTI", "EITI", "GEIQ", "EA", "chantier d'insertion", "entreprise d'insertion", "entreprise adaptee", "emploi", "emploi et insertion"}},
		{Slug: "commerce-equitable", Label: "Commerce équitable", Synonyms: []string{"commerce equitable", "fair trade", "equitable", "artisans du monde", "commerce ethique"}},
		{Slug: "education-populaire", Label: "Éducation populaire", Synonyms: []string{"education populaire", "educ pop", "education", "éducation, formation", "formation", "sensibilisation", "jeunesse", "mjc", "centre social"}},
		{Slug: "reemploi", Label: "Réemploi et économie circulaire", Synonyms: []string{"reemploi", "economie circulaire", "recyclerie", "ressourcerie", "repair cafe", "zero dechet", "fabriquer, reparer, zero dechets", "dechets", "recyclage"}},
		{Slug: "alimentation", Label: "Alimentation durable", Synonyms: []string{"alimentation", "alimentation durable", "agriculture et alimentation", "ecologie, alimentation, energie", "agriculture", "amap", "epicerie solidaire", "circuits courts", "circuit court"}},
		{Slug: "finance-solidaire", Label: "Finance solidaire", Synonyms: []string{"finance solidaire", "finance", "epargne solidaire", "monnaie locale", "systemes d'echange alternatifs", "sel", "microcredit"}},
		{Slug: "culture", Label: "Culture", Synonyms: []string{"culture", "culture, medias et lien social", "arts", "medias", "spectacle vivant"}},
		{Slug: "habitat", Label: "Habitat", Synonyms: []string{"habitat", "logement", "habitat et urbanisme", "habitat, logement", "habitat participatif", "urbanisme"}},
		{Slug: "mobilite", Label: "Mobilité", Synonyms: []string{"mobilite", "mobilites", "transport", "velo", "atelier velo", "autopartage", "covoiturage"}},
		{Slug: "services-personnes", Label: "Services aux personnes", Synonyms: []string{"services aux personnes", "aide a domicile", "services a la personne", "petite enfance", "sante", "soin", "medico-social"}},
		{Slug: "tiers-lieux", Label: "Tiers-lieux", Synonyms: []string{"tiers-lieu", "tiers lieu", "tiers lieux", "espaces de rencontres et de lien social", "fablab", "coworking", "lieu partage"}},
		{Slug: "solidarites", Label: "Solidarités et citoyenneté", Synonyms: []string{"solidarite", "solidarites", "citoyennete", "citoyennete, droits, solidarites", "citoyennete, droits, inclusion", "entraide", "acces aux droits"}},
		{Slug: "energie-environnement", Label: "Environnement et énergie", Synonyms: []string{"environnement", "energie", "ecologie", "transition energetique", "energies renouvelables", "biodiversite"}},
		{Slug: "accompagnement-ess", Label: "Réseaux et accompagnement de l'ESS", Synonyms: []string{"economie sociale et solidaire", "ess", "reseau ess", "accompagnement", "cress", "incubateur", "dla"}},
		{Slug: "autres", Label: "Autres initiatives", Synonyms: []string{"autre", "autres", "divers"}},
	}
}

func TestSectorMatcherMatch(t *testing.T) {
	m := NewSectorMatcher(seededSectors())
	tests := []struct {
		in   string
		want string // "" when nothing matches
	}{
		{"SIAE", "insertion"},
		{"IAE", "insertion"},
		{"Insertion", "insertion"},
		{"insertion", "insertion"},
		{"ACI", "insertion"},
		{"Insertion par l’activité économique", "insertion"},
		{"Commerce équitable", "commerce-equitable"},
		{"commerce-equitable", "commerce-equitable"},
		{"Agriculture et alimentation", "alimentation"},
		{"Écologie, Alimentation, Énergie", "alimentation"},
		{"Habitat, logement", "habitat"},
		{"Habitat et urbanisme", "habitat"},
		{"Fabriquer, réparer, zéro déchets", "reemploi"},
		{"Économie Sociale et Solidaire", "accompagnement-ess"},
		{"éducation, formation", "education-populaire"},
		{"Culture, Médias et Lien social", "culture"},
		{"Systèmes d'échange alternatifs", "finance-solidaire"},
		{"citoyenneté, droits, solidarités", "solidarites"},
		{"Espaces de rencontres et de lien social", "tiers-lieux"},
		{"Tiers lieux", "tiers-lieux"},
		{"tiers-lieu", "tiers-lieux"},
		{"Médico-social", "services-personnes"},
		{"  MOBILITÉ  ", "mobilite"},
		{"Autres initiatives", "autres"},
		{"", ""},
		{"aéronautique", ""},
		{"Habitat, aéronautique", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := m.Match(tt.in)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Match(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
			}
		})
	}
}

func TestSectorMatcherMatchAll(t *testing.T) {
	m := NewSectorMatcher(seededSectors())
	tests := []struct {
		in        []string
		slugs     []string
		unmatched []string
	}{
		{nil, nil, nil},
		{[]string{"Écologie, Alimentation, Énergie", "Agriculture et alimentation"}, []string{"alimentation"}, nil},
		{[]string{"Habitat, logement"}, []string{"habitat"}, nil},
		{[]string{"Habitat; Culture | mobilité / IAE"}, []string{"habitat", "culture", "mobilite", "insertion"}, nil},
		{[]string{"habitat, aéronautique,, ", " ", "spatial"}, []string{"habitat"}, []string{"aéronautique", "spatial"}},
		{[]string{"aéronautique", "aéronautique"}, nil, []string{"aéronautique"}},
		{[]string{"Culture, médias et lien social | Tiers-lieux"}, []string{"culture", "tiers-lieux"}, nil},
		{[]string{"Habitat, logement, Culture, Médias et Lien social, vélo"}, []string{"habitat", "culture", "mobilite"}, nil},
		{[]string{"spatial, Habitat, logement"}, []string{"habitat"}, []string{"spatial"}},
	}
	for _, tt := range tests {
		slugs, unmatched := m.MatchAll(tt.in)
		if !slices.Equal(slugs, tt.slugs) || !slices.Equal(unmatched, tt.unmatched) {
			t.Errorf("MatchAll(%q) = %q, %q; want %q, %q", tt.in, slugs, unmatched, tt.slugs, tt.unmatched)
		}
	}
}

func TestSectorMatcherPrecedence(t *testing.T) {
	m := NewSectorMatcher([]Sector{
		{Slug: "a", Label: "Alpha", Synonyms: []string{"beta", "shared"}},
		{Slug: "beta", Label: "Bêta", Synonyms: []string{"shared"}},
	})
	for in, want := range map[string]string{"beta": "beta", "shared": "a", "alpha": "a"} {
		if got, _ := m.Match(in); got != want {
			t.Errorf("Match(%q) = %q, want %q", in, got, want)
		}
	}
	var nilMatcher *SectorMatcher
	if _, ok := nilMatcher.Match("habitat"); ok {
		t.Error("nil matcher matched")
	}
	if slugs, unmatched := nilMatcher.MatchAll([]string{"habitat"}); slugs != nil || !slices.Equal(unmatched, []string{"habitat"}) {
		t.Errorf("nil MatchAll = %q, %q", slugs, unmatched)
	}
}
