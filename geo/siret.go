package geo

// laPosteSIREN is the SIREN of La Poste, whose establishments' SIRETs do not
// pass the Luhn check: INSEE validates them by the sum of their digits being
// a multiple of 5.
const laPosteSIREN = "356000000"

// ValidSIRET reports whether s is a 14-digit SIRET with a valid checksum
// (Luhn), or one of La Poste's establishments whose digits sum to a multiple
// of 5.
func ValidSIRET(s string) bool {
	if len(s) != 14 {
		return false
	}
	sum, plain := 0, 0
	for i := 0; i < 14; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		plain += d
		if i%2 == 0 { // from the right, every second digit is doubled
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	if s[:9] == laPosteSIREN {
		return sum%10 == 0 || plain%5 == 0
	}
	return sum%10 == 0
}
