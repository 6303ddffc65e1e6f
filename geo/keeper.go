package geo

// Keeper is an authenticated caller: a person signed in (UserID set) or
// an API token, with its role.
type Keeper struct {
	Name   string // the token's name, or the person's email
	Role   string // one of Roles
	UserID int64  // 0 for an API token
}
