package geo

// Keeper is an authenticated user of the directory: a CRESS or collectivité
// staff member holding an API token.
type Keeper struct {
	Name string
	Role string
}
