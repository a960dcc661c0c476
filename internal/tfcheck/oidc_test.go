package tfcheck

import (
	"path/filepath"
	"strings"
	"testing"
)

// Every role gantry assumes trusts GitHub's OIDC tokens only with StringEquals on the token's
// audience and subject, and the subject names one repository: no wildcard owner, no
// ForAllValues, no StringLike.
func TestGitHubOIDCTrustPoliciesPinAudienceAndSubject(t *testing.T) {
	t.Parallel()
	s := scopeOf(t, filepath.Join("..", "..", "terraform", "modules", "github_oidc"))
	if !s.hasWebIdentityTrust() {
		t.Fatal("no trust statement (sts:AssumeRoleWithWebIdentity) found in github_oidc: the test would prove nothing")
	}
	for _, p := range s.IAMProblems() {
		t.Error(p)
	}
	checkEnvironmentsPassNoWildcard(t)
}

func TestTheTrustPolicyCheckCatchesLooseTrust(t *testing.T) {
	t.Parallel()
	// testdata/loose_oidc trusts with StringLike on a wildcard subject and no audience condition.
	got := scopeOf(t, filepath.Join("testdata", "loose_oidc")).IAMProblems()
	want := []string{"uses StringLike", "has a wildcard value", "no StringEquals condition on the token's aud",
		"no StringEquals condition on the token's sub", `must have a validation refusing wildcards`}
	joined := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(joined, w) {
			t.Errorf("problems %q do not include %q", got, w)
		}
	}
}

// checkEnvironmentsPassNoWildcard: no environment passes a wildcard repository.
func checkEnvironmentsPassNoWildcard(t *testing.T) {
	for _, env := range []string{"staging", "production", "github"} {
		e, err := Load(filepath.Join("..", "..", "terraform", "envs", env))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range e.blocks("module") {
			if a, ok := b.Body.Attributes["github_repository"]; ok && strings.Contains(e.text(a.Expr.Range()), "*") {
				t.Errorf("%s: github_repository has a wildcard", a.SrcRange)
			}
		}
	}
}

// scopeOf loads dir and returns its scope with placeholders for its variables.
func scopeOf(t *testing.T, dir string) *Scope {
	t.Helper()
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Bodies) == 0 {
		t.Fatalf("%s has no .tf file", dir)
	}
	return m.Scope(nil)
}

// instanceOf loads the root dir and returns the scope of its module call.
func instanceOf(t *testing.T, dir, call string) *Scope {
	t.Helper()
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Instance(call)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
