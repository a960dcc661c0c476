package github_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/testing/githubfake"
)

func TestDivergedSaysHowManyBaseCommitsTheHeadLacks(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.SetCompare("classla/lms", "main", "feature-7", 2, 0)
	fake.SetCompare("classla/lms", "main", "feature-8", 3, 5)
	fake.SetCompare("classla/lms", "main", "feature/nat", 1, 4)
	fake.SetCompare("classla/lms", "main", "mallory:patch-1", 1, 1)
	tests := []struct {
		name       string
		head       string
		wantBehind int
	}{
		{name: "a head ahead of the base is not behind", head: "feature-7", wantBehind: 0},
		{name: "a head missing base commits is behind by that many", head: "feature-8", wantBehind: 5},
		{name: "a branch name with a slash is found", head: "feature/nat", wantBehind: 4},
		{name: "a fork's branch is found", head: "mallory:patch-1", wantBehind: 1},
	}
	c := newClient(t, fake)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.Diverged(t.Context(), lms, "main", tt.head)
			if err != nil {
				t.Fatalf("Diverged: %v", err)
			}
			if got != tt.wantBehind {
				t.Errorf("Diverged(main, %s) = %d, want %d", tt.head, got, tt.wantBehind)
			}
		})
	}
}

func TestDivergedOfAnUnknownRefIsNotFound(t *testing.T) {
	t.Parallel()
	_, err := newClient(t, newFake(t)).Diverged(t.Context(), lms, "main", "deleted-branch")
	mustContain(t, err, "main", "deleted-branch", "classla/lms")
	if !github.IsNotFound(err) {
		t.Errorf("IsNotFound(%v) = false", err)
	}
}

func TestCommitFilesFollowsEveryPageAndKeepsRenamedFilesOldPaths(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	files := append(numberedFiles(649), "backend/src/server.ts")
	fake.SetCommit("classla/lms", sha, files, nil)
	fake.SetCommitRenames("classla/lms", sha, map[string]string{"backend/src/server.ts": "terraform/envs/production/server.ts"})

	got, err := newClient(t, fake).CommitFiles(t.Context(), lms, sha)
	if err != nil {
		t.Fatalf("CommitFiles: %v", err)
	}
	want := append(append([]string{}, files...), "terraform/envs/production/server.ts")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files differ (-want +got):\n%s", diff)
	}
	// 650 files at GitHub's 300 a page: 3 pages.
	if pages := len(requestsTo(fake, "GET", "/repos/{owner}/{repo}/commits/{ref}")); pages != 3 {
		t.Errorf("%d page requests, want 3", pages)
	}
}

func TestCommitFilesSaysWhenGitHubCutTheListOff(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.SetCommit("classla/lms", sha, numberedFiles(3005), nil)

	got, err := newClient(t, fake).CommitFiles(t.Context(), lms, sha)
	if !errors.Is(err, github.ErrFileListTruncated) {
		t.Fatalf("err = %v, want ErrFileListTruncated", err)
	}
	if len(got) != 3000 {
		t.Errorf("got %d files, want the 3000 GitHub lists", len(got))
	}
}

func TestCommitFilesOfAnUnknownCommitNamesIt(t *testing.T) {
	t.Parallel()
	_, err := newClient(t, newFake(t)).CommitFiles(t.Context(), lms, sha)
	mustContain(t, err, sha, "classla/lms", "422")
}

func TestPullRequestsOfCommitListsOnlyMergedPullRequests(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7})
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 8, State: "closed", Merged: true, MergeCommitSHA: strings.Repeat("8", 40)})
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 9, State: "closed"})
	merge, shared, direct := strings.Repeat("8", 40), strings.Repeat("7", 40), strings.Repeat("d", 40)
	fake.SetCommit("classla/lms", merge, []string{"terraform/main.tf"}, []int{8})
	// GitHub also lists open (and closed, unmerged) pull requests of a commit not yet on the default branch.
	fake.SetCommit("classla/lms", shared, []string{"terraform/main.tf"}, []int{7, 8, 9})
	fake.SetCommit("classla/lms", direct, []string{"terraform/main.tf"}, nil)
	tests := []struct {
		name   string
		commit string
		want   []int
	}{
		{name: "a merge commit belongs to its pull request", commit: merge, want: []int{8}},
		{name: "open and unmerged pull requests do not count", commit: shared, want: []int{8}},
		{name: "a directly pushed commit belongs to none", commit: direct, want: nil},
	}
	c := newClient(t, fake)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.PullRequestsOfCommit(t.Context(), lms, tt.commit)
			if err != nil {
				t.Fatalf("PullRequestsOfCommit: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("pull requests differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPullRequestsOfAnUnknownCommitNamesIt(t *testing.T) {
	t.Parallel()
	_, err := newClient(t, newFake(t)).PullRequestsOfCommit(t.Context(), lms, sha)
	mustContain(t, err, sha, "classla/lms")
}
