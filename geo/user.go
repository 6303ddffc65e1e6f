package geo

import (
	"net/mail"
	"strings"
	"time"
)

// Roles of accounts and tokens (workshop roles are WorkshopRole).
const (
	AccountAdmin     = "admin"     // manages people and roles, and may do everything else
	AccountKeeper    = "keeper"    // edits the directory, imports, geocodes, moderates
	AccountModerator = "moderator" // handles suggestions only
	AccountAnimator  = "animator"  // creates and runs workshops
)

// Roles lists the account roles, from the most to the least powerful.
var Roles = []string{AccountAdmin, AccountKeeper, AccountModerator, AccountAnimator}

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool {
	for _, r := range Roles {
		if r == role {
			return true
		}
	}
	return false
}

// User is a person with an account.
type User struct {
	ID          int64     `json:"id"`
	Email       string    `json:"email"`
	Role        string    `json:"role"`
	HasPassword bool      `json:"has_password" db:"has_password"`
	CreatedAt   time.Time `json:"created_at" db:"created_at"`
}

// NormalizeEmail returns email trimmed and in lower case, or EInvalid
// naming field "email" when it is not a plain address.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || len(e) > 254 {
		return "", &Error{Code: EInvalid, Message: "invalid email", Fields: map[string]string{"email": "an address such as nom@exemple.fr"}}
	}
	return e, nil
}

// CheckRole returns EInvalid naming field "role" unless role is one of Roles.
func CheckRole(role string) error {
	if !ValidRole(role) {
		return &Error{Code: EInvalid, Message: "invalid role",
			Fields: map[string]string{"role": "one of " + strings.Join(Roles, ", ")}}
	}
	return nil
}

// Session is a signed-in session: ID goes in the cookie, CSRF in the
// X-CSRF-Token header of the session's writes.
type Session struct {
	ID      string
	CSRF    string
	User    User
	Expires time.Time
}
