package identity

import (
	"path/filepath"
	"testing"

	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/store/sqlite"
)

// benchIssuer is a started issuer on a new SQLite store.
func benchIssuer(b *testing.B, f *redact.Filter) *Issuer {
	b.Helper()
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "gantry.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	i, err := New(Config{URL: "https://gantry.example.com", Keys: st, Secret: secret(1), Redact: f})
	if err != nil {
		b.Fatal(err)
	}
	if err := i.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	return i
}

// BenchmarkSign is the cost a job pays for its token: reading the keys from SQLite, checking the
// rotation, signing RS256, teaching the redaction filter.
func BenchmarkSign(b *testing.B) {
	i := benchIssuer(b, redact.New())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := i.Sign(b.Context(), planClaims); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJWKS is one key set request as STS makes it.
func BenchmarkJWKS(b *testing.B) {
	i := benchIssuer(b, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := i.JWKS(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
