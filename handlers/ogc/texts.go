package ogc

// texts holds every French text a person reads: the titles and
// descriptions of the service and its collections (also in the JSON
// answers) and the words of the HTML pages.
var texts = struct {
	Title, Description                              string
	Collections, Collection, Conformance, API       string
	Items, Item, Queryables, Properties, Extent     string
	Next, Prev, Returned, Matched, Home, Formats    string
	Value, Property, Type, Geometry, NoFeature, Map string
	CollectionTitle, CollectionDescription          map[string]string
	PropertyTitle                                   map[string]string
}{
	Title:       "maillage : acteurs de l'ESS (OGC API Features)",
	Description: "Les acteurs publiés de l'économie sociale et solidaire, les territoires, leur couverture et les annotations des ateliers publiés, pour les SIG (QGIS, GDAL…).",

	Collections: "Collections",
	Collection:  "Collection",
	Conformance: "Classes de conformité",
	API:         "Définition de l'API (OpenAPI 3.0)",
	Items:       "Objets",
	Item:        "Objet",
	Queryables:  "Propriétés filtrables",
	Properties:  "Propriétés",
	Extent:      "Emprise (longitude, latitude)",
	Next:        "Page suivante",
	Prev:        "Page précédente",
	Returned:    "objets sur cette page",
	Matched:     "objets en tout",
	Home:        "Accueil",
	Formats:     "Autres formats",
	Value:       "Valeur",
	Property:    "Propriété",
	Type:        "Type",
	Geometry:    "Géométrie",
	NoFeature:   "Aucun objet.",
	Map:         "Voir sur la carte",

	CollectionTitle: map[string]string{
		"actors":      "Acteurs de l'ESS",
		"territories": "Territoires",
		"coverage":    "Couverture des communes",
		"annotations": "Annotations des ateliers",
	},
	CollectionDescription: map[string]string{
		"actors":      "Les acteurs publiés et localisés : nom, secteurs, type de structure, SIRET, adresse, site web.",
		"territories": "Communes, EPCI, départements et régions, avec leur contour (ou leur point) et leur population.",
		"coverage":    "Une entité par commune : ses acteurs publiés et la distance de son centre à l'acteur le plus proche, tous secteurs confondus, ou du secteur donné par sector=.",
		"annotations": "Les annotations visibles des ateliers de diagnostic publiés : atouts, faiblesses, besoins et idées.",
	},
	PropertyTitle: map[string]string{
		"name":            "Nom",
		"sector":          "Secteur (le premier de l'acteur ; filtre : l'un de ses secteurs)",
		"sectors":         "Secteurs",
		"kind":            "Type de structure",
		"legal_form":      "Forme juridique",
		"legal_form_code": "Code de la catégorie juridique INSEE",
		"ess_family":      "Famille de l'ESS",
		"naf":             "Code NAF",
		"siret":           "SIRET",
		"street":          "Adresse",
		"postcode":        "Code postal",
		"city":            "Commune",
		"citycode":        "Code INSEE de la commune",
		"website":         "Site web",
		"email":           "Courriel",
		"phone":           "Téléphone",
		"description":     "Description",
		"networks":        "Réseaux",
		"source":          "Source",
		"updated_at":      "Mis à jour le",
		"level":           "Niveau (commune, epci, departement, region)",
		"code":            "Code",
		"population":      "Population",
		"epci":            "EPCI",
		"departement":     "Département",
		"region":          "Région",
		"actors":          "Acteurs publiés",
		"nearest_m":       "Distance à l'acteur le plus proche (m)",
		"workshop":        "Atelier",
		"workshop_title":  "Titre de l'atelier",
		"workshop_date":   "Date de l'atelier",
		"kind_label":      "Catégorie",
		"text":            "Texte",
		"author_name":     "Auteur",
		"actor":           "Acteur",
		"votes":           "Votes",
		"created_at":      "Créée le",
	},
}
