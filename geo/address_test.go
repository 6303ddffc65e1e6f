package geo_test

import (
	"testing"

	"github.com/maillage/maillage/geo"
)

func TestParseAddress(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want geo.ParsedAddress
	}{
		{"12 Rue Joffre 54111 Mont-Bonvillers", geo.ParsedAddress{Number: 12, Postcode: "54111", Text: "rue joffre mont bonvillers"}},
		{"12b r. Joffre", geo.ParsedAddress{Number: 12, Suffix: "bis", Text: "rue joffre"}},
		{"3 TER, Av. de l'Église 75015 PARIS CEDEX France", geo.ParsedAddress{Number: 3, Suffix: "ter", Postcode: "75015", Text: "avenue de l eglise paris"}},
		{"4 t imp du 8 Mai 1945", geo.ParsedAddress{Number: 4, Suffix: "ter", Text: "impasse du 8 mai 1945"}},
		{"7 allee des acacias", geo.ParsedAddress{Number: 7, Text: "allee des acacias"}},
		{"Place de la République", geo.ParsedAddress{Text: "place de la republique"}},
		{"12", geo.ParsedAddress{Text: "12"}},
	} {
		if got := geo.ParseAddress(tc.in); got != tc.want {
			t.Errorf("ParseAddress(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}
