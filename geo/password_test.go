package geo

import (
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h := HashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q: not argon2id with OWASP's parameters", h)
	}
	if !VerifyPassword(h, "correct horse battery") {
		t.Error("the right password is refused")
	}
	for _, wrong := range []string{"", "correct horse batterY", "correct horse battery "} {
		if VerifyPassword(h, wrong) {
			t.Errorf("%q is accepted", wrong)
		}
	}
	if HashPassword("correct horse battery") == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=19456,t=2,p=1$!!$!!", "$argon2i$v=19$m=1,t=1,p=1$AAAA$AAAA"} {
		if VerifyPassword(bad, "x") {
			t.Errorf("hash %q matches", bad)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for p, ok := range map[string]bool{"short": false, "ten chars!": true, strings.Repeat("é", 200): true, strings.Repeat("a", 201): false} {
		if err := CheckPassword(p); (err == nil) != ok {
			t.Errorf("CheckPassword(%d chars) = %v", len([]rune(p)), err)
		}
	}
}
