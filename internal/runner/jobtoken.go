package runner

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
)

// NewJobToken returns a job token for the runner that claimed a job (32 random bytes, URL-safe base64) and
// the hash to store in its place (SHA-256, hex): a leaked database does not let anyone act as the runner.
func NewJobToken() (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashJobToken(token)
}

// HashJobToken is the stored form of a job token.
func HashJobToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CheckJobToken reports whether token is the one hash was made from, in time that does not depend on where
// they differ. An empty token or hash never matches.
func CheckJobToken(token, hash string) bool {
	if token == "" || hash == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(HashJobToken(token)), []byte(hash)) == 1
}
