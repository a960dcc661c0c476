package redact_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classla/gantry/internal/redact"
)

const (
	installationToken = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
	secretKey         = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	webhookSecret     = `we<b>h"o&o\k/s3cret`
)

func filterOf(secrets ...string) *redact.Filter {
	f := redact.New()
	f.Add(secrets...)
	return f
}

// jsonOf is s as it reads inside a JSON body written by encoding/json.
func jsonOf(t *testing.T, s string, escapeHTML bool) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestEveryKnownSecretIsReplaced(t *testing.T) {
	t.Parallel()
	f := filterOf(installationToken, secretKey, webhookSecret, "é-unicode-s3cret-🔑")
	tests := []struct{ name, in, want string }{
		{"a token inside a line", "token = " + installationToken + " (sensitive)", "token = [redacted] (sensitive)"},
		{"a secret filling the whole text", secretKey, "[redacted]"},
		{"every occurrence", installationToken + "," + installationToken + "\n" + installationToken, "[redacted],[redacted]\n[redacted]"},
		{"two secrets side by side", installationToken + secretKey, "[redacted][redacted]"},
		{"a secret with quotes, HTML and backslashes as is", "x=" + webhookSecret + ";", "x=[redacted];"},
		{"the same secret HTML-escaped in a comment", "<code>we&lt;b&gt;h&#34;o&amp;o\\k/s3cret</code>", "<code>[redacted]</code>"},
		{"the same secret HTML-escaped with &quot;", "we&lt;b&gt;h&quot;o&amp;o\\k/s3cret", "[redacted]"},
		{"a secret with \"/\" written \\/ by an encoder that escapes slashes", `{"k":"wJalrXUtnFEMI\/K7MDENG\/bPxRfiCYEXAMPLEKEY"}`, `{"k":"[redacted]"}`},
		{"non-ASCII written as \\u escapes", `"\u00e9-unicode-s3cret-\ud83d\udd11"`, `"[redacted]"`},
		{"a part of a secret is left alone", installationToken[:20], installationToken[:20]},
		{"text without secrets is unchanged", "Plan: 1 to add, 0 to change, 0 to destroy.", "Plan: 1 to add, 0 to change, 0 to destroy."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := f.String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := string(f.Bytes([]byte(tt.in))); got != tt.want {
				t.Errorf("Bytes(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestASecretInsideAJSONBodyIsReplacedAndTheBodyStaysJSON(t *testing.T) {
	t.Parallel()
	f := filterOf(webhookSecret, "é-unicode-s3cret-🔑")
	for _, html := range []bool{false, true} {
		for _, secret := range []string{webhookSecret, "é-unicode-s3cret-🔑"} {
			t.Run(fmt.Sprintf("escapeHTML=%t %s", html, secret), func(t *testing.T) {
				body := `{"body":` + jsonOf(t, "output: "+secret, html) + `}`
				got := f.String(body)
				var decoded struct{ Body string }
				if err := json.Unmarshal([]byte(got), &decoded); err != nil {
					t.Fatalf("filtered body %q is no longer JSON: %v", got, err)
				}
				if decoded.Body != "output: [redacted]" {
					t.Errorf("body reads %q after filtering, want %q", decoded.Body, "output: [redacted]")
				}
			})
		}
	}
}

func TestOverlappingSecretsAreReplacedWhole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"a secret inside a longer one", []string{"abcdefgh", "xxabcdefghyy"}, "1 xxabcdefghyy 2 abcdefgh", "1 [redacted] 2 [redacted]"},
		{"two secrets sharing their ends", []string{"abcdefgh", "efghijkl"}, "abcdefghijkl", "[redacted]"},
		{"a secret repeating itself", []string{"abababab"}, "ababababab", "[redacted]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := filterOf(tt.secrets...).String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEmptyAndShortSecretsAreIgnored(t *testing.T) {
	t.Parallel()
	f := filterOf("", "main", "1234567")
	in := "main: 1234567, and nothing else"
	if got := f.String(in); got != in {
		t.Errorf("String(%q) = %q: secrets under %d bytes must not mangle text", in, got, redact.MinLength)
	}
	f.Add("12345678")
	if got := f.String("id 12345678"); got != "id [redacted]" {
		t.Errorf("a secret of exactly %d bytes: String = %q, want it redacted", redact.MinLength, got)
	}
}

func TestTextWithoutSecretsCostsNoAllocation(t *testing.T) {
	f := filterOf(installationToken, secretKey, webhookSecret)
	text := strings.Repeat("  + resource \"aws_s3_bucket\" \"logs\" {\n", 100)
	b := []byte(text)
	if got := f.String(text); got != text {
		t.Fatalf("text without secrets changed")
	}
	if got := f.Bytes(b); &got[0] != &b[0] {
		t.Errorf("Bytes copied text without secrets; want it returned as is")
	}
	if n := testing.AllocsPerRun(100, func() { f.String(text); f.Bytes(b) }); n != 0 {
		t.Errorf("filtering text without secrets allocates %v times, want 0", n)
	}
}

func TestEachLineOfThePEMKeyIsRedacted(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	lines := strings.Split(strings.TrimSpace(keyPEM), "\n")
	body := lines[1 : len(lines)-1]
	f := redact.New()
	f.AddPEM([]byte(keyPEM))

	tests := []struct{ name, printed string }{
		{"one line of the key", "output = " + body[3]},
		{"the whole key", keyPEM},
		{"the whole key in one JSON string", jsonOf(t, keyPEM, true)},
		{"the body joined without newlines", strings.Join(body, "")},
		{"the key from an environment file, with literal \\n", strings.ReplaceAll(keyPEM, "\n", `\n`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := f.String(tt.printed)
			for i, line := range body {
				if len(line) >= redact.MinLength && strings.Contains(got, line) {
					t.Errorf("line %d of the key survives: %q", i+1, got)
				}
			}
			if !strings.Contains(got, "[redacted]") {
				t.Errorf("nothing was redacted in %q", got)
			}
		})
	}
	t.Run("the BEGIN and END lines are not secret and stay", func(t *testing.T) {
		t.Parallel()
		got := f.String(keyPEM)
		if !strings.HasPrefix(got, "-----BEGIN RSA PRIVATE KEY-----\n[redacted]\n") || !strings.HasSuffix(got, "\n-----END RSA PRIVATE KEY-----\n") {
			t.Errorf("the whole key reads %q", got)
		}
	})
}

func TestACredentialIsForgottenAnHourAfterItExpires(t *testing.T) {
	t.Parallel()
	f := redact.New()
	f.AddUntil(time.Now().Add(-redact.Grace-time.Minute), "expired-session-token")
	f.AddUntil(time.Now().Add(-time.Minute), "just-expired-token")
	f.AddUntil(time.Now().Add(time.Hour), "live-session-token")
	f.Add("webhook-secret-forever")
	// Forgetting happens when the filter next learns something.
	f.Add("another-secret-value")

	got := f.String("expired-session-token just-expired-token live-session-token webhook-secret-forever")
	if want := "expired-session-token [redacted] [redacted] [redacted]"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	t.Run("learning a secret again keeps it as long as the later expiry", func(t *testing.T) {
		f := redact.New()
		f.AddUntil(time.Now().Add(time.Hour), "token-learned-twice")
		f.AddUntil(time.Now().Add(-3*time.Hour), "token-learned-twice")
		f.Add("something-else-new")
		if got := f.String("token-learned-twice"); got != "[redacted]" {
			t.Errorf("String = %q, want the token still redacted", got)
		}
	})
}

func TestANilFilterChangesNothing(t *testing.T) {
	t.Parallel()
	var f *redact.Filter
	f.Add(installationToken)
	f.AddPEM([]byte("-----BEGIN X-----\nAAAAAAAAAAAA\n-----END X-----\n"))
	if got := f.String(installationToken); got != installationToken {
		t.Errorf("nil filter String = %q", got)
	}
	if got := string(f.Bytes([]byte(installationToken))); got != installationToken {
		t.Errorf("nil filter Bytes = %q", got)
	}
}

func TestSecretsLearnedWhileFilteringAreRedactedFromThenOn(t *testing.T) {
	t.Parallel()
	f := redact.New()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			secret := fmt.Sprintf("ghs_concurrent%024d", i)
			f.Add(secret)
			for range 200 {
				if got := f.String("token " + secret); got != "token [redacted]" {
					t.Errorf("String = %q after the secret was learned", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzFilterFindsWhatANaiveSearchFinds checks the sampling matcher against strings.Index on every form.
func FuzzFilterFindsWhatANaiveSearchFinds(f *testing.F) {
	f.Add("abcdefgh", "efghijkl", "xxabcdefghijklyy abcdefgh")
	f.Add("aaaaaaaaa", "aaaaaaaab", "aaaaaaaaaaaaaaaaab")
	f.Add("0123456789", "zzzzzzzz", "0123456789012345678 zzzzzzzzzzz")
	f.Fuzz(func(t *testing.T, s1, s2, text string) {
		filter := filterOf(s1, s2)
		// Every occurrence, by start; overlapping ones are replaced as one, touching ones each on its own.
		var spans [][2]int
		for i := range len(text) {
			for _, s := range []string{s1, s2} {
				if len(s) >= redact.MinLength && strings.HasPrefix(text[i:], s) {
					spans = append(spans, [2]int{i, i + len(s)})
				}
			}
		}
		var want strings.Builder
		last, end := 0, -1
		for _, sp := range spans {
			if sp[0] < end {
				end = max(end, sp[1])
				continue
			}
			if end >= 0 {
				want.WriteString("[redacted]")
				last = end
			}
			want.WriteString(text[last:sp[0]])
			end = sp[1]
		}
		if end >= 0 {
			want.WriteString("[redacted]")
			last = end
		}
		want.WriteString(text[last:])
		got := filter.String(text)
		// The filter may also redact an escaped form the naive search does not know; only then may they differ.
		if got != want.String() && !escapedFormPresent(text, s1, s2) {
			t.Errorf("String(%q) with secrets %q, %q = %q, want %q", text, s1, s2, got, want.String())
		}
	})
}

func escapedFormPresent(text string, secrets ...string) bool {
	for _, s := range secrets {
		if strings.ContainsAny(s, "<>&\"'\\/\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r") || strings.ContainsFunc(s, func(r rune) bool { return r > 0x7f }) {
			return strings.ContainsAny(text, "&\\")
		}
	}
	return false
}
