package identity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"fmt"
)

// sealVersion is the first byte of a sealed key: the scheme below.
const sealVersion = 1

// hkdfInfo separates the key this package derives from anything else derived from the secret.
const hkdfInfo = "gantry workload identity signing keys v1"

// sealer encrypts signing keys at rest with AES-256-GCM under a key derived (HKDF-SHA256) from
// a secret only the server holds, so that a copy of the database alone holds no usable key.
type sealer struct{ aead cipher.AEAD }

func newSealer(secret []byte) (*sealer, error) {
	if len(secret) < 32 {
		return nil, errors.New("workload identity needs a secret of at least 32 bytes to seal its signing keys")
	}
	k, err := hkdf.Key(sha256.New, secret, nil, hkdfInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("workload identity: deriving the sealing key: %w", err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// seal returns version || nonce || ciphertext.
func (s *sealer) seal(plain, aad []byte) []byte {
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	out[0] = sealVersion
	rand.Read(out[1:])
	return s.aead.Seal(out, out[1:], plain, aad)
}

func (s *sealer) open(sealed, aad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return nil, errors.New("not a sealed signing key of this version")
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad)
	if err != nil {
		return nil, errors.New("the sealed signing key does not open with this server's secret")
	}
	return plain, nil
}

// SecretFromPEM returns the secret the signing keys are sealed under from a PEM-encoded private
// key, the GitHub App's: its DER bytes, which do not change with the PEM's line breaks.
func SecretFromPEM(b []byte) ([]byte, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("workload identity: the GitHub App private key is not PEM")
	}
	return block.Bytes, nil
}
