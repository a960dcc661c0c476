package oidcfake

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
)

// SignOption changes how Sign makes a token, to forge the ones an attacker would send.
type SignOption func(*signing)

type signing struct {
	alg     string
	kid     *string
	key     *rsa.PrivateKey // RS256 key; nil: the issuer's current key
	hmacKey []byte
}

// UnknownKey signs with a fresh RSA key the issuer never published, under a kid of its own.
func UnknownKey() SignOption {
	return func(s *signing) {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		s.key = k
		kid := "attacker-key"
		s.kid = &kid
	}
}

// UnknownKeyWithKID signs with a fresh RSA key that the issuer never published, claiming kid: a forger
// reusing the kid of a real key.
func UnknownKeyWithKID(kid string) SignOption {
	return func(s *signing) {
		UnknownKey()(s)
		s.kid = &kid
	}
}

// AlgNone makes an unsigned token: header `"alg":"none"` and an empty signature.
func AlgNone() SignOption { return func(s *signing) { s.alg = "none" } }

// HS256WithPublicKey signs with HMAC-SHA256 keyed by the issuer's current public key in PEM, the
// algorithm-confusion attack on verifiers that take the algorithm from the token.
func HS256WithPublicKey() SignOption { return func(s *signing) { s.alg = "HS256" } }

// KID puts kid in the header instead of the signing key's own; an empty kid leaves the header without one.
func KID(kid string) SignOption { return func(s *signing) { s.kid = &kid } }

// Sign makes a compact JWS of claims, signed RS256 with the issuer's current key unless opts say otherwise.
func (i *Issuer) Sign(claims Claims, opts ...SignOption) string {
	s := signing{alg: "RS256"}
	for _, o := range opts {
		o(&s)
	}
	i.mu.Lock()
	current := i.keys[len(i.keys)-1]
	i.mu.Unlock()
	key, kid := current.key, current.kid
	if s.key != nil {
		key = s.key
	}
	if s.kid != nil {
		kid = *s.kid
	}
	header := map[string]string{"alg": s.alg, "typ": "JWT"}
	if kid != "" {
		header["kid"] = kid
	}
	signingInput := b64(mustJSON(header)) + "." + b64(mustJSON(claims))
	var sig []byte
	switch s.alg {
	case "none":
	case "HS256":
		der, err := x509.MarshalPKIXPublicKey(&current.key.PublicKey)
		if err != nil {
			panic(err)
		}
		secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(signingInput))
		sig = mac.Sum(nil)
	default:
		sum := sha256.Sum256([]byte(signingInput))
		var err error
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
		if err != nil {
			panic(err)
		}
	}
	return signingInput + "." + b64(sig)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return b64(b)
}
