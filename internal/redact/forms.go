package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"unicode/utf8"
)

// forms is every way secret is commonly written in the text gantry sends: as is, HTML-escaped (by
// html.EscapeString or with &quot;), and each of those inside a JSON string as Go writes it (with and
// without HTML escaping), with "/" written "\/", and with non-ASCII written \uXXXX. A secret of letters,
// digits and "-_.~+=" has one form.
func forms(secret string) []string {
	var out []string
	add := func(s string) {
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	escaped := html.EscapeString(secret)
	for _, base := range []string{secret, escaped, strings.ReplaceAll(escaped, "&#34;", "&quot;")} {
		add(base)
		for _, j := range []string{jsonString(base, false), jsonString(base, true)} {
			add(j)
			add(strings.ReplaceAll(j, "/", `\/`))
			add(asciiOnly(j))
			add(asciiOnly(strings.ReplaceAll(j, "/", `\/`)))
		}
	}
	return out
}

// jsonString is s inside a JSON string, without the quotes, as encoding/json writes it.
func jsonString(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// asciiOnly writes every non-ASCII character of s as a JSON \uXXXX escape (two for characters outside
// the Basic Multilingual Plane), as encoders that keep their output ASCII do.
func asciiOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}
