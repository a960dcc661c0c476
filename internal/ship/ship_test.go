package ship

import "testing"

func TestBranchTag(t *testing.T) {
	t.Parallel()
	for branch, want := range map[string]string{
		"main":                     "main",
		"feature/login":            "feature-login",
		"-weird.branch":            "weird.branch",
		"release/2026.11@hotfix#1": "release-2026.11-hotfix-1",
		"":                         "",
	} {
		if got := branchTag(branch); got != want {
			t.Errorf("branchTag(%q) = %q, want %q", branch, got, want)
		}
	}
}
