package aws_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/aws"
)

var stsSessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func TestSessionName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                string
		repo, prOrSHA, what string
		want                string
	}{
		{"the slash of owner/repo becomes a dash", "classla/classla", "42", "production",
			"gantry-classla-classla-42-production"},
		{"a short commit SHA stands in for a pull request", "octo-org/octo-repo", "0a1b2c3", "backend",
			"gantry-octo-org-octo-repo-0a1b2c3-backend"},
		{"characters STS allows are kept", "o/r", "pr.7", "a_b+c=d,e@f",
			"gantry-o-r-pr.7-a_b+c=d,e@f"},
		{"spaces and each non-ASCII letter become one dash", "o/r", "1", "café prod",
			"gantry-o-r-1-caf--prod"},
		{"a name of exactly 64 characters is kept whole", "org/" + strings.Repeat("r", 20), "1234567890", strings.Repeat("n", 21),
			// 7 ("gantry-") + 24 + 1 + 10 + 1 + 21 = 64
			"gantry-org-" + strings.Repeat("r", 20) + "-1234567890-" + strings.Repeat("n", 21)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := aws.SessionName(tc.repo, tc.prOrSHA, tc.what); got != tc.want {
				t.Errorf("SessionName(%q, %q, %q) = %q, want %q", tc.repo, tc.prOrSHA, tc.what, got, tc.want)
			}
		})
	}
}

func TestLongSessionNames(t *testing.T) {
	t.Parallel()
	repo, sha := "a-very-long-organisation/a-very-long-repository-name", "4f2c9a1e0b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a"
	// The whole name would be gantry-a-very-long-organisation-a-very-long-repository-name-4f2c…-production.
	whole := "gantry-a-very-long-organisation-a-very-long-repository-name-" + sha + "-production"
	production := aws.SessionName(repo, sha, "production")
	staging := aws.SessionName(repo, sha, "staging")

	t.Run("a long name keeps its beginning and ends with a short hash, within STS's 64", func(t *testing.T) {
		if !stsSessionName.MatchString(production) || len(production) != 64 {
			t.Fatalf("%q (%d characters) is not a 64-character STS session name", production, len(production))
		}
		if !strings.HasPrefix(production, whole[:55]+"-") || !regexp.MustCompile(`-[0-9a-f]{8}$`).MatchString(production) {
			t.Errorf("%q does not keep the first 55 characters of %q and end with -HASH8", production, whole)
		}
	})
	t.Run("names that differ only past the cut stay apart", func(t *testing.T) {
		if production == staging {
			t.Errorf("production and staging both became %q", production)
		}
	})
	t.Run("the same run always gets the same name", func(t *testing.T) {
		if again := aws.SessionName(repo, sha, "production"); again != production {
			t.Errorf("second call %q, first %q", again, production)
		}
	})
}
