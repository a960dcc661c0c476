package identity

import (
	"path/filepath"
	"testing"

	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/store/sqlite"
)

// BenchmarkSign is the cost a job pays for its token: reading the keys from SQLite, checking the
// rotation, signing RS256, teaching the redaction filter.
func BenchmarkSign(b *testing.B) {
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "gantry.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	i, err := New(Config{URL: "https://gantry.example.com", Keys: st, Secret: secret(1), Redact: redact.New()})
	if err != nil {
		b.Fatal(err)
	}
	if err := i.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := i.Sign(b.Context(), planClaims); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJWKS is one key set request as STS makes it.
func BenchmarkJWKS(b *testing.B) {
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "gantry.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	i, err := New(Config{URL: "https://gantry.example.com", Keys: st, Secret: secret(1)})
	if err != nil {
		b.Fatal(err)
	}
	if err := i.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := i.JWKS(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
