package geo

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's Password Storage Cheat Sheet (2025) gives
// m=19 MiB, t=2, p=1 as the minimum configuration.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password lengths accepted, in characters.
const (
	PasswordMin = 10
	PasswordMax = 200
)

// CheckPassword returns EInvalid naming field "password" when p is too
// short or too long.
func CheckPassword(p string) error {
	if n := utf8.RuneCountInString(p); n < PasswordMin || n > PasswordMax {
		return &Error{Code: EInvalid, Message: "invalid password",
			Fields: map[string]string{"password": fmt.Sprintf("from %d to %d characters", PasswordMin, PasswordMax)}}
	}
	return nil
}

// HashPassword returns p's argon2id hash in PHC string form
// ($argon2id$v=19$m=...,t=...,p=...$salt$key).
func HashPassword(p string) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(p), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// dummyHash is compared against when no account matches, so that a wrong
// email costs the time of a wrong password.
var dummyHash = HashPassword("maillage: no such account")

// VerifyPassword reports whether p matches hash, a PHC string of
// HashPassword (with whatever parameters it records). An empty hash
// (no password set yet) matches nothing, in the time a real check takes.
func VerifyPassword(hash, p string) bool {
	if hash == "" {
		verify(dummyHash, p)
		return false
	}
	return verify(hash, p)
}

func verify(hash, p string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var m uint32
	var t uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &threads); err != nil || t == 0 || threads == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(p), salt, t, m, threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}
