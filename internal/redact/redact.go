// Package redact is the one filter every text leaving gantry passes through: request bodies sent to the
// GitHub API, log records and the error texts of jobs. It replaces each secret the process knows (the
// webhook secret, the lines of the App key, installation tokens, web identity and runner tokens, AWS
// secret keys and session tokens) with [redacted], so that whatever a pull request's Terraform manages to
// print, no known secret leaves the process in the forms it is usually printed in.
//
// A Filter learns secrets as the process reads or obtains them (Add, AddUntil, AddPEM) and is handed
// explicitly to the code that writes to a sink; there is no package-level filter.
//
// What it recognises: a secret as is, and as it reads inside a JSON string (Go's escaping with and
// without HTML escaping, "\/" for "/", \uXXXX for non-ASCII) and after HTML escaping (&lt; &#34; &quot;
// …), and those combined. What it does not: any other transformation of a secret (base64, URL encoding,
// reversal, one character per line, …), a secret cut in two by whoever splits or truncates text before
// it reaches the filter, and secrets shorter than MinLength. Redaction is the second wall; the sandbox
// that keeps a pull request's code away from the secrets is the first.
package redact

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Replacement is what stands in the place of a secret.
const Replacement = "[redacted]"

// MinLength is the length in bytes under which a secret is not redacted. Replacing every occurrence of a
// short string would mangle ordinary text (a webhook secret "main" would erase every branch name) while
// protecting little: a secret that short can be guessed, and the filter would confirm a right guess. Use
// secrets of at least 32 random characters; GitHub's tokens and AWS's keys are all longer than this.
const MinLength = 8

// Grace is how long a secret added with AddUntil is still redacted after it expires, for clocks that
// disagree and output written late. It is forgotten the next time the filter learns a secret after that.
const Grace = time.Hour

// Filter replaces known secrets with Replacement. It is safe for concurrent use; String and Bytes take no
// lock and allocate nothing when the text holds no secret. A nil *Filter knows no secret: it returns text
// unchanged and ignores Add.
type Filter struct {
	mu      sync.Mutex // serialises changes; readers use m
	secrets map[string]secret
	m       atomic.Pointer[matcher]
}

// New returns a filter that knows no secret yet.
func New() *Filter {
	f := &Filter{secrets: map[string]secret{}}
	f.m.Store(newMatcher(nil))
	return f
}

// Add teaches the filter secrets that never expire (the webhook secret, a runner's request token).
// Empty secrets and those shorter than MinLength are ignored.
func (f *Filter) Add(secrets ...string) { f.AddUntil(time.Time{}, secrets...) }

// AddUntil teaches the filter secrets that are worthless after expires (an installation token, STS
// credentials): they are forgotten Grace after it, so that a server running for months does not keep every
// credential it ever held. The zero time means never. Learning a known secret again keeps the later expiry.
func (f *Filter) AddUntil(expires time.Time, secrets ...string) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	changed := false
	for _, s := range secrets {
		if len(s) < MinLength {
			continue
		}
		old, known := f.secrets[s]
		switch {
		case !known:
			changed = true
			f.secrets[s] = secret{expires: expires, forms: forms(s)}
		case old.expires.IsZero():
		case expires.IsZero() || expires.After(old.expires):
			old.expires = expires
			f.secrets[s] = old
		}
	}
	if !changed {
		return
	}
	forget := time.Now().Add(-Grace)
	var patterns []string
	for s, sec := range f.secrets {
		if !sec.expires.IsZero() && sec.expires.Before(forget) {
			delete(f.secrets, s)
			continue
		}
		patterns = append(patterns, sec.forms...)
	}
	f.m.Store(newMatcher(patterns))
}

// secret is what the filter keeps of one secret.
type secret struct {
	expires time.Time // the zero time means never
	forms   []string  // see forms
}

// AddPEM teaches the filter the body lines of a PEM-encoded key, each on its own: a plan may print one
// line, or all of them joined. The BEGIN and END lines and headers are not secret and are left alone.
func (f *Filter) AddPEM(pem []byte) {
	var lines []string
	for line := range strings.SplitSeq(string(pem), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "-----") || strings.Contains(line, ":") {
			continue
		}
		lines = append(lines, line)
	}
	f.Add(lines...)
}

// String returns s with every known secret replaced; s itself when it holds none.
func (f *Filter) String(s string) string {
	if f == nil {
		return s
	}
	m := f.m.Load()
	spans := find(m, s)
	if spans == nil {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp.start])
		b.WriteString(Replacement)
		last = sp.end
	}
	b.WriteString(s[last:])
	return b.String()
}

// Bytes returns b with every known secret replaced, in a new slice; b itself when it holds none.
func (f *Filter) Bytes(b []byte) []byte {
	if f == nil {
		return b
	}
	m := f.m.Load()
	spans := find(m, b)
	if spans == nil {
		return b
	}
	out := make([]byte, 0, len(b))
	last := 0
	for _, sp := range spans {
		out = append(out, b[last:sp.start]...)
		out = append(out, Replacement...)
		last = sp.end
	}
	return append(out, b[last:]...)
}

// version identifies the set of secrets known: it changes whenever the filter learns or forgets one.
func (f *Filter) version() *matcher {
	if f == nil {
		return nil
	}
	return f.m.Load()
}
