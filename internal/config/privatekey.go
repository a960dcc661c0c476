package config

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
)

// checkPEM checks that data is a PEM-encoded RSA private key, as GitHub generates for an
// App, and returns it with escaped newlines restored. The problem it describes never
// quotes the key or the parser's error, which could echo key material.
func checkPEM(data []byte) (key []byte, problem string) {
	// A key pasted into a one-line variable often arrives with literal \n for newlines.
	if !bytes.Contains(data, []byte("\n")) && bytes.Contains(data, []byte(`\n`)) {
		data = bytes.ReplaceAll(data, []byte(`\n`), []byte("\n"))
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, "does not hold a PEM block (-----BEGIN RSA PRIVATE KEY-----)"
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, "holds an encrypted key; gantry needs the key as GitHub generated it"
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			return nil, "holds an RSA PRIVATE KEY block that is damaged"
		}
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, "holds a PRIVATE KEY block that is damaged"
		}
		if _, ok := k.(*rsa.PrivateKey); !ok {
			return nil, fmt.Sprintf("holds an %s key, not an RSA key", keyKind(k))
		}
	default:
		return nil, fmt.Sprintf("holds a PEM %q block, not a private key", block.Type)
	}
	return data, ""
}

func keyKind(k any) string {
	name := fmt.Sprintf("%T", k) // *ecdsa.PrivateKey, ed25519.PrivateKey
	name = strings.TrimPrefix(name, "*")
	name, _, _ = strings.Cut(name, ".")
	return strings.ToUpper(name)
}
