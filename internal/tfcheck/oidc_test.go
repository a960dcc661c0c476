package tfcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// src is the text of an expression or block in its file.
func src(t *testing.T, r hcl.Range) string {
	t.Helper()
	b, err := os.ReadFile(r.Filename)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[r.Start.Byte:r.End.Byte])
}

// Every role gantry assumes trusts GitHub's OIDC tokens only with StringEquals on the token's
// audience and subject, and the subject names one repository: no wildcard owner, no
// ForAllValues, no StringLike.
func TestGitHubOIDCTrustPoliciesPinAudienceAndSubject(t *testing.T) {
	t.Parallel()
	for _, p := range trustProblems(t, filepath.Join("..", "..", "terraform", "modules", "github_oidc")) {
		t.Error(p)
	}
	checkEnvironmentsPassNoWildcard(t)
}

func TestTheTrustPolicyCheckCatchesLooseTrust(t *testing.T) {
	t.Parallel()
	// testdata/loose_oidc trusts with StringLike on a wildcard subject and no audience condition.
	got := trustProblems(t, filepath.Join("testdata", "loose_oidc"))
	want := []string{"uses StringLike", "has a wildcard value", "no StringEquals condition on the token's aud",
		"no StringEquals condition on the token's sub", `must have a validation refusing wildcards`}
	joined := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(joined, w) {
			t.Errorf("problems %q do not include %q", got, w)
		}
	}
}

// trustProblems checks the trust statements of the module in dir.
func trustProblems(t *testing.T, dir string) []string {
	t.Helper()
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	errorf := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	trusts := 0
	for _, body := range m.Bodies {
		for _, b := range body.Blocks {
			if b.Type != "data" || b.Labels[0] != "aws_iam_policy_document" {
				continue
			}
			for _, st := range b.Body.Blocks {
				if st.Type != "statement" || !strings.Contains(src(t, st.Range()), "sts:AssumeRoleWithWebIdentity") {
					continue
				}
				trusts++
				conds := map[string]string{} // claim → test
				for _, c := range st.Body.Blocks {
					if c.Type != "condition" {
						continue
					}
					test := strings.Trim(src(t, c.Body.Attributes["test"].Expr.Range()), `"`)
					variable := src(t, c.Body.Attributes["variable"].Expr.Range())
					values := src(t, c.Body.Attributes["values"].Expr.Range())
					if test != "StringEquals" {
						errorf("%s: condition on %s uses %s; trust conditions must be StringEquals", c.DefRange(), variable, test)
					}
					if strings.Contains(values, "*") {
						errorf("%s: condition on %s has a wildcard value %s", c.DefRange(), variable, values)
					}
					for _, claim := range []string{"aud", "sub"} {
						if strings.HasSuffix(strings.Trim(variable, `"`), ":"+claim) {
							conds[claim] = test
						}
					}
				}
				for _, claim := range []string{"aud", "sub"} {
					if conds[claim] != "StringEquals" {
						errorf("%s: the trust statement has no StringEquals condition on the token's %s", st.DefRange(), claim)
					}
				}
			}
		}
	}
	if trusts == 0 {
		t.Fatalf("no trust statement (sts:AssumeRoleWithWebIdentity) found in %s: the test would prove nothing", dir)
	}
	// The subjects are built from the repository: the module must refuse a wildcard there.
	v := findVariable(t, m, "github_repository")
	if v == nil || !strings.Contains(src(t, v.Range()), "validation") {
		errorf(`%s: variable "github_repository" must have a validation refusing wildcards`, dir)
	}
	return problems
}

// checkEnvironmentsPassNoWildcard: no environment passes a wildcard repository.
func checkEnvironmentsPassNoWildcard(t *testing.T) {
	for _, env := range []string{"staging", "production"} {
		e, err := Load(filepath.Join("..", "..", "terraform", "envs", env))
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range e.Bodies {
			for _, b := range body.Blocks {
				if b.Type != "module" {
					continue
				}
				if a, ok := b.Body.Attributes["github_repository"]; ok && strings.Contains(src(t, a.Expr.Range()), "*") {
					t.Errorf("%s: github_repository has a wildcard", a.SrcRange)
				}
			}
		}
	}
}

func findVariable(t *testing.T, m *Module, name string) *hclsyntax.Block {
	t.Helper()
	for _, body := range m.Bodies {
		for _, b := range body.Blocks {
			if b.Type == "variable" && b.Labels[0] == name {
				return b
			}
		}
	}
	return nil
}
