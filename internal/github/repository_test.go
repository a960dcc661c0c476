package github_test

import (
	"strings"
	"testing"

	"github.com/classla/gantry/internal/github"
)

func TestRepositoryGivesTheIdAndDefaultBranchTokensAreCheckedAgainst(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.AddRepo("classla", "infra", "trunk")
	c := newClient(t, fake)

	got, err := c.Repository(t.Context(), github.Repo{Owner: "classla", Name: "infra"})
	if err != nil {
		t.Fatalf("Repository: %v", err)
	}
	if got.DefaultBranch != "trunk" {
		t.Errorf("default branch = %q, want trunk", got.DefaultBranch)
	}
	lmsRepo, err := c.Repository(t.Context(), lms)
	if err != nil {
		t.Fatalf("Repository: %v", err)
	}
	if got.ID == 0 || got.ID == lmsRepo.ID {
		t.Errorf("ids = %d and %d: each repository must have its own, non-zero id", got.ID, lmsRepo.ID)
	}

	_, err = c.Repository(t.Context(), github.Repo{Owner: "classla", Name: "missing"})
	if err == nil || !strings.Contains(err.Error(), "classla/missing") {
		t.Errorf("a missing repository: err = %v, want one naming it", err)
	}
}
