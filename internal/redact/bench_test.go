package redact_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/classla/gantry/internal/redact"
)

// benchSecrets are 50 secrets shaped like what a server knows after a while: installation tokens, STS
// secret keys and session tokens, and the 25 lines of an App key.
func benchSecrets() []string {
	random := func(n int) string {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return base64.StdEncoding.EncodeToString(b)
	}
	var s []string
	for range 5 {
		s = append(s, "ghs_"+strings.NewReplacer("+", "a", "/", "b", "=", "").Replace(random(27)))
		s = append(s, random(30), "IQoJb3JpZ2luX2Vj"+random(600))
	}
	for range 25 {
		s = append(s, random(48)) // a 64-character PEM line
	}
	s = append(s, "a-webhook-secret-of-32-characters")
	return s[:50]
}

// benchText is 1 MiB of plan output.
func benchText() string {
	line := `      + arn                         = (known after apply)` + "\n" +
		`      + bucket                      = "classla-lms-production-logs"` + "\n" +
		`      ~ tags                        = { "Name" = "lms-worker-7f3c9a" -> "lms-worker" }` + "\n"
	return strings.Repeat(line, (1<<20)/len(line)+1)[:1<<20]
}

func BenchmarkFilter(b *testing.B) {
	secrets := benchSecrets()
	f := redact.New()
	f.Add(secrets...)
	clean := benchText()
	// The same text with ten secrets printed in it.
	dirty := clean
	for i := range 10 {
		at := (i + 1) * len(clean) / 12
		dirty = dirty[:at] + secrets[i*5%len(secrets)] + dirty[at:]
	}
	for _, tt := range []struct{ name, text string }{{"no secret in 1MiB", clean}, {"10 secrets in 1MiB", dirty}} {
		b.Run("String "+tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(tt.text)))
			b.ReportAllocs()
			for b.Loop() {
				f.String(tt.text)
			}
		})
		bs := []byte(tt.text)
		b.Run("Bytes "+tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(bs)))
			b.ReportAllocs()
			for b.Loop() {
				f.Bytes(bs)
			}
		})
		// For comparison: strings.Replacer with the same secrets.
		var pairs []string
		for _, s := range secrets {
			pairs = append(pairs, s, redact.Replacement)
		}
		r := strings.NewReplacer(pairs...)
		b.Run("strings.Replacer "+tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(tt.text)))
			b.ReportAllocs()
			for b.Loop() {
				r.Replace(tt.text)
			}
		})
	}
}

// BenchmarkAdd is the cost of learning one more secret when 50 are known, as when a token is minted.
func BenchmarkAdd(b *testing.B) {
	f := redact.New()
	f.Add(benchSecrets()...)
	expired := time.Now().Add(-2 * redact.Grace) // forgotten at the next Add, so the filter keeps 51 secrets
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f.AddUntil(expired, fmt.Sprintf("ghs_one-more-token-%020d", i))
	}
}
