package actorfile

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/maillage/maillage/geo"
)

// SchemaDataInclusion names the structures schema of data·inclusion, the
// national platform of the inclusion offer
// (github.com/gip-inclusion/data-inclusion-schema), for exports and
// imports in that format.
const SchemaDataInclusion = "data-inclusion"

// DataInclusionColumns are the fields of a structure, in the schema's
// order: the CSV header and the JSON members.
var DataInclusionColumns = []string{
	"id", "siret", "rna", "nom", "commune", "code_postal", "code_insee", "adresse", "complement_adresse",
	"longitude", "latitude", "typologie", "telephone", "courriel", "site_web",
	"presentation_resume", "presentation_detail", "source", "date_maj", "antenne", "lien_source",
	"horaires_ouverture", "accessibilite", "labels_nationaux", "labels_autres", "thematiques", "reseaux_porteurs",
}

// DataInclusion is a structure in the data·inclusion schema. Empty
// optional text is null in JSON.
type DataInclusion struct {
	ID                 string   `json:"id"`
	SIRET              *string  `json:"siret"`
	RNA                *string  `json:"rna"`
	Nom                string   `json:"nom"`
	Commune            *string  `json:"commune"`
	CodePostal         *string  `json:"code_postal"`
	CodeInsee          *string  `json:"code_insee"`
	Adresse            *string  `json:"adresse"`
	ComplementAdresse  *string  `json:"complement_adresse"`
	Longitude          *float64 `json:"longitude"`
	Latitude           *float64 `json:"latitude"`
	Typologie          *string  `json:"typologie"`
	Telephone          *string  `json:"telephone"`
	Courriel           *string  `json:"courriel"`
	SiteWeb            *string  `json:"site_web"`
	PresentationResume *string  `json:"presentation_resume"`
	PresentationDetail *string  `json:"presentation_detail"`
	Source             string   `json:"source"`
	DateMaj            string   `json:"date_maj"`
	Antenne            bool     `json:"antenne"`
	LienSource         *string  `json:"lien_source"`
	HorairesOuverture  *string  `json:"horaires_ouverture"`
	Accessibilite      *string  `json:"accessibilite"`
	LabelsNationaux    []string `json:"labels_nationaux"`
	LabelsAutres       []string `json:"labels_autres"`
	Thematiques        []string `json:"thematiques"`
	ReseauxPorteurs    []string `json:"reseaux_porteurs"`
}

// sectorTypologies are the data·inclusion typologies of the sectors that
// have one; kindNetworks the reseaux_porteurs of the structure types
// (values of data-inclusion_typologies_de_structures.csv and
// data-inclusion_reseaux_porteurs_v1.csv).
var (
	sectorTypologies = map[string]string{"reemploi": "RESSOURCERIE", "tiers-lieux": "TIERS_LIEUX"}
	kindNetworks     = map[string]string{"ACI": "aci", "AI": "ai", "EI": "ei", "ETTI": "etti", "EITI": "eiti",
		"GEIQ": "geiq", "EA": "ea"}
)

// resumeLen is the length of presentation_resume: a longer description is
// cut there, and given whole in presentation_detail.
const resumeLen = 280

// DataInclusionTypology is the typology of a: its structure type (ACI,
// EI… are typologies); else the typology of its first sector that has
// one (RESSOURCERIE, TIERS_LIEUX); else ASSO for an association; else "".
func DataInclusionTypology(a *geo.Actor) string {
	if a.Kind != "" {
		return a.Kind
	}
	for _, s := range a.Sectors {
		if t, ok := sectorTypologies[s]; ok {
			return t
		}
	}
	if a.LegalForm.Family == "association" {
		return "ASSO"
	}
	return ""
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// NewDataInclusion is a in the data·inclusion schema. Its id is its
// external_id, else "maillage-" and its id, so that an import keeps it;
// contacts only with consent, or withContacts.
func NewDataInclusion(a *geo.Actor, withContacts bool) DataInclusion {
	d := DataInclusion{
		ID:              "maillage-" + strconv.FormatInt(a.ID, 10),
		Nom:             a.Name,
		Commune:         optional(a.Address.City),
		CodePostal:      optional(a.Address.Postcode),
		CodeInsee:       optional(a.Address.Citycode),
		Adresse:         optional(a.Address.Street),
		Typologie:       optional(DataInclusionTypology(a)),
		SiteWeb:         optional(a.Website),
		Source:          a.Source,
		DateMaj:         a.UpdatedAt.UTC().Format("2006-01-02"),
		LabelsNationaux: []string{},
		LabelsAutres:    slices.Clone(nonNil(a.Networks)),
		Thematiques:     []string{},
		ReseauxPorteurs: []string{},
	}
	if a.ExternalID != "" {
		d.ID = a.ExternalID
	}
	if d.Source == "" {
		d.Source = "maillage"
	}
	if len(a.SIRET) == 14 {
		d.SIRET = &a.SIRET
	}
	if p := a.Location; p != nil {
		lon, lat := p.Lon, p.Lat
		d.Longitude, d.Latitude = &lon, &lat
	}
	if n, ok := kindNetworks[a.Kind]; ok {
		d.ReseauxPorteurs = append(d.ReseauxPorteurs, n)
	}
	if withContacts || a.ContactPublic {
		d.Telephone, d.Courriel = optional(a.Phone), optional(a.Email)
	}
	// Line ends as \n: a CSV reader gives \r\n inside a field back as \n.
	desc := strings.ReplaceAll(strings.ReplaceAll(a.Description, "\r\n", "\n"), "\r", "\n")
	if utf8.RuneCountInString(desc) > resumeLen {
		d.PresentationResume = optional(strings.TrimSpace(string([]rune(desc)[:resumeLen-1])) + "…")
		d.PresentationDetail = &desc
	} else {
		d.PresentationResume = optional(desc)
	}
	return d
}

// CSVRecord is d as a CSV row under DataInclusionColumns: lists are
// comma-separated, numbers in their shortest form, antenne true or false.
func (d DataInclusion) CSVRecord() []string {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	f := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	return []string{
		d.ID, s(d.SIRET), s(d.RNA), d.Nom, s(d.Commune), s(d.CodePostal), s(d.CodeInsee), s(d.Adresse),
		s(d.ComplementAdresse), f(d.Longitude), f(d.Latitude), s(d.Typologie), s(d.Telephone), s(d.Courriel),
		s(d.SiteWeb), s(d.PresentationResume), s(d.PresentationDetail), d.Source, d.DateMaj,
		strconv.FormatBool(d.Antenne), s(d.LienSource), s(d.HorairesOuverture), s(d.Accessibilite),
		strings.Join(d.LabelsNationaux, ","), strings.Join(d.LabelsAutres, ","), strings.Join(d.Thematiques, ","),
		strings.Join(d.ReseauxPorteurs, ","),
	}
}

// dataInclusionFields are the fields of the importer that structure
// members give.
var dataInclusionFields = map[string]string{
	"id": "external_id", "siret": "siret", "nom": "name", "commune": "city", "code_postal": "postcode",
	"code_insee": "citycode", "adresse": "address", "longitude": "longitude", "latitude": "latitude",
	"telephone": "phone", "courriel": "email", "site_web": "website", "source": "source",
}

// dataInclusionRecord turns the members of a structure into a record:
// typologie gives the structure type, a sector (RESSOURCERIE,
// TIERS_LIEUX) or the association legal form (ASSO); the description is
// presentation_detail, else presentation_resume; networks are the
// reseaux_porteurs other than those of the structure type, then
// labels_nationaux and labels_autres; contacts given are public.
func dataInclusionRecord(line int, get func(string) string, list func(string) []string) *record {
	rec := newRecord(line)
	for member, field := range dataInclusionFields {
		rec.add(column{field: field}, get(member))
	}
	typ := strings.TrimSpace(get("typologie"))
	switch {
	case geo.Kinds[typ] != "":
		rec.add(column{field: "kind"}, typ)
	case typ == "ASSO":
		rec.add(column{field: "legal_form"}, "association")
	default:
		for sector, t := range sectorTypologies {
			if t == typ {
				rec.add(column{field: "sector"}, sector)
			}
		}
	}
	rec.add(column{field: "description"}, firstOf(strings.TrimSpace(get("presentation_detail")), get("presentation_resume")))
	for _, n := range list("reseaux_porteurs") {
		if n != kindNetworks[typ] {
			rec.add(column{field: "networks"}, n)
		}
	}
	for _, member := range []string{"labels_nationaux", "labels_autres"} {
		for _, n := range list(member) {
			rec.add(column{field: "networks"}, n)
		}
	}
	if get("telephone") != "" || get("courriel") != "" {
		rec.add(column{field: "contact_public"}, "true")
	}
	return rec
}

// scanDataInclusion reads text, a JSON array of structures or a CSV file
// with the schema's columns, and hands each valid row to each. CSV cells
// that our exports neutralised for spreadsheets ('=…) are read back
// without their quote.
func scanDataInclusion(text *bufio.Reader, head string, b *builder, each func(Row, *Report) error) (*Report, error) {
	if strings.HasPrefix(strings.TrimSpace(head), "[") {
		return scanDataInclusionJSON(text, b, each)
	}
	rep := newReport("csv")
	rep.Delimiter = ","
	cr := csv.NewReader(text)
	cr.FieldsPerRecord = -1
	header, err := csvHeader(cr)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if !slices.Contains(DataInclusionColumns, h) {
			rep.Ignored = append(rep.Ignored, h)
			continue
		}
		index[h] = i
		rep.Columns[h] = h
	}
	if _, ok := index["nom"]; !ok {
		return nil, fileError("no column nom: not a file of data·inclusion structures")
	}
	err = csvRows(cr, rep, func(cells []string, line int) error {
		get := func(member string) string {
			if i, ok := index[member]; ok && i < len(cells) {
				return UnsafeCell(cells[i]) // as our exports neutralise formulas
			}
			return ""
		}
		list := func(member string) []string {
			var out []string
			for _, v := range strings.Split(get(member), ",") {
				if v = strings.TrimSpace(v); v != "" {
					out = append(out, v)
				}
			}
			return out
		}
		return buildRow(rep, b, dataInclusionRecord(line, get, list), each)
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

func buildRow(rep *Report, b *builder, rec *record, each func(Row, *Report) error) error {
	a, fails, warns := b.build(rec)
	if rep.add(rec.line, fails, warns) {
		return each(Row{Line: rec.line, Actor: a}, rep)
	}
	return nil
}

// scanDataInclusionJSON reads a JSON array of structures one at a time.
func scanDataInclusionJSON(text io.Reader, b *builder, each func(Row, *Report) error) (*Report, error) {
	rep := newReport("json")
	dec := json.NewDecoder(text)
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, fileError("unreadable JSON: %v", err)
	}
	for n := 1; dec.More(); n++ {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, fileError("unreadable JSON at structure %d: %v", n, err)
		}
		get := func(member string) string {
			switch v := m[member].(type) {
			case string:
				return v
			case json.Number:
				return v.String()
			}
			return ""
		}
		list := func(member string) []string {
			var out []string
			if vs, ok := m[member].([]any); ok {
				for _, v := range vs {
					if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
						out = append(out, strings.TrimSpace(s))
					}
				}
			}
			return out
		}
		if err := buildRow(rep, b, dataInclusionRecord(n, get, list), each); err != nil {
			return nil, err
		}
	}
	return rep, nil
}
