package command

import (
	"fmt"
	"strings"
	"unicode"
)

// tokenize splits a command line into arguments the way a shell would if it had no variables, globs,
// escapes or substitutions: white space separates, and single or double quotes group everything up to the
// matching quote, so `-var "name=a b"` and -var=name='a b' are both one argument. An empty pair of quotes
// is an empty argument.
func tokenize(name Name, s string) ([]string, error) {
	var (
		tokens  []string
		current strings.Builder
		inToken bool
		quote   rune // the open quote character, 0 outside quotes
	)
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				current.WriteRune(r)
			}
		case unicode.IsSpace(r):
			if inToken {
				tokens = append(tokens, current.String())
				current.Reset()
				inToken = false
			}
		case r == '"' || r == '\'':
			quote = r
			inToken = true
		default:
			current.WriteRune(r)
			inToken = true
		}
	}
	if quote != 0 {
		return nil, &UsageError{Name: name, Reason: fmt.Sprintf("a %s quote is not closed.", code(string(quote)))}
	}
	if inToken {
		tokens = append(tokens, current.String())
	}
	return tokens, nil
}

// quoteArg quotes s, when needed, so that tokenize reads it back as one argument equal to s.
func quoteArg(s string) string {
	if s != "" && !strings.ContainsFunc(s, needsQuote) {
		return s
	}
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	// Both kinds of quote: single-quote the runs without ' and double-quote the ' between them.
	var b strings.Builder
	for i, part := range strings.Split(s, "'") {
		if i > 0 {
			b.WriteString(`"'"`)
		}
		if part != "" {
			b.WriteString("'" + part + "'")
		}
	}
	return b.String()
}

func needsQuote(r rune) bool {
	return r == '"' || r == '\'' || unicode.IsSpace(r)
}
