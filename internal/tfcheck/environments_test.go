package tfcheck

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestTheEnvironmentCheckCatchesUnprotectedEnvironments(t *testing.T) {
	t.Parallel()
	got := scopeOf(t, filepath.Join("testdata", "github", "unprotected")).EnvironmentProblems()
	joined := strings.Join(got, "\n")
	for _, w := range []string{
		`environment "production" has no deployment_branch_policy`,
		`environment "staging" admits every branch matching "release/*"`,
		`environment "backend" admits tags (v*)`,
	} {
		if !strings.Contains(joined, w) {
			t.Errorf("the problems do not include %q; they are:\n%s", w, joined)
		}
	}
}

func TestTheGitHubEnvironmentsModuleAdmitsOnlyTheDefaultBranch(t *testing.T) {
	t.Parallel()
	s := scopeOf(t, filepath.Join("..", "..", "terraform", "modules", "github_environments"))
	if len(s.Module.blocks("resource", "github_repository_environment")) == 0 {
		t.Fatal("modules/github_environments creates no github_repository_environment: the test would prove nothing")
	}
	for _, p := range s.EnvironmentProblems() {
		t.Error(p)
	}
}

// Every environment a role of envs/staging or envs/production trusts is created, protected,
// by envs/github: otherwise the first workflow on any branch that names it creates it
// unprotected and gets that role.
func TestEveryTrustedEnvironmentIsProtected(t *testing.T) {
	t.Parallel()
	envs := filepath.Join("..", "..", "terraform", "envs")
	github := instanceOf(t, filepath.Join(envs, "github"), "github_environments")
	for _, p := range github.EnvironmentProblems() {
		t.Error(p)
	}
	protected := map[string]bool{}
	for _, name := range github.EnvironmentNames() {
		protected[name] = true
	}
	if len(protected) == 0 {
		t.Fatal("envs/github protects no environment: the test would prove nothing")
	}
	// Production's roles also trust frontend, the environment of its Amplify frontend's releases.
	want := map[string]int{"staging": 3, "production": 4}
	for _, env := range []string{"staging", "production"} {
		trusted := instanceOf(t, filepath.Join(envs, env), "github_oidc").TrustedEnvironments()
		if len(trusted) != want[env] {
			t.Errorf("envs/%s's roles trust the environments %q, want %d", env, trusted, want[env])
		}
		for _, name := range trusted {
			if !protected[name] {
				t.Errorf("envs/%s's roles trust the GitHub environment %q, which envs/github does not create with a branch policy", env, name)
			}
		}
	}
}
