package github_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/testing/githubfake"
)

func numberedFiles(n int) []string {
	files := make([]string, n)
	for i := range files {
		files[i] = fmt.Sprintf("terraform/modules/m%04d/main.tf", i)
	}
	return files
}

func TestPullRequestFilesFollowsEveryPageAndKeepsRenamedFilesOldPaths(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	files := append(numberedFiles(249), "backend/src/server.ts")
	fake.AddPullRequest("classla/lms", githubfake.PR{
		Number: 7, Files: files,
		Renamed: map[string]string{"backend/src/server.ts": "terraform/envs/production/server.ts"},
	})

	got, err := newClient(t, fake).PullRequestFiles(t.Context(), lms, 7)
	if err != nil {
		t.Fatalf("PullRequestFiles: %v", err)
	}
	want := append(append([]string{}, files...), "terraform/envs/production/server.ts")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files differ (-want +got):\n%s", diff)
	}
	// 250 files at 100 a page: 3 pages.
	if pages := len(requestsTo(fake, "GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files")); pages != 3 {
		t.Errorf("%d page requests, want 3", pages)
	}
}

func TestPullRequestFilesSaysWhenGitHubCutTheListOff(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7, Files: numberedFiles(3005)})

	got, err := newClient(t, fake).PullRequestFiles(t.Context(), lms, 7)
	if !errors.Is(err, github.ErrFileListTruncated) {
		t.Fatalf("err = %v, want ErrFileListTruncated", err)
	}
	if len(got) != 3000 {
		t.Errorf("got %d files, want the 3000 GitHub lists", len(got))
	}
}

func TestPullRequestReportsWhatTheFlowsNeed(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.AddPullRequest("classla/lms", githubfake.PR{
		Number: 9, User: "mallory", HeadSHA: "0123456789abcdef0123456789abcdef01234567", HeadRef: "patch-1",
		HeadRepo: "mallory/lms", Draft: true, MergeableState: "draft",
	})
	fake.AddPullRequest("classla/lms", githubfake.PR{
		Number: 10, State: "closed", Merged: true, MergeCommitSHA: "fedcba9876543210fedcba9876543210fedcba98",
		HeadRef: "nat", HeadSHA: "1111111111111111111111111111111111111111",
	})
	tests := []struct {
		name   string
		number int
		want   github.PullRequest
	}{
		{name: "a draft from a fork", number: 9, want: github.PullRequest{
			Number: 9, State: "open", Draft: true, User: "mallory", HeadSHA: "0123456789abcdef0123456789abcdef01234567",
			HeadRef: "patch-1", HeadRepo: "mallory/lms", BaseRef: "main", MergeableState: "draft",
		}},
		{name: "a merged pull request", number: 10, want: github.PullRequest{
			Number: 10, State: "closed", User: "octocat", HeadSHA: "1111111111111111111111111111111111111111",
			HeadRef: "nat", HeadRepo: "classla/lms", BaseRef: "main", Merged: true,
			MergeCommitSHA: "fedcba9876543210fedcba9876543210fedcba98", MergeableState: "clean",
		}},
	}
	c := newClient(t, fake)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.PullRequest(t.Context(), lms, tt.number)
			if err != nil {
				t.Fatalf("PullRequest: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pull request differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPullRequestOfAMissingNumberNamesIt(t *testing.T) {
	t.Parallel()
	_, err := newClient(t, newFake(t)).PullRequest(t.Context(), lms, 404)
	mustContain(t, err, "classla/lms#404", "404")
	if !github.IsNotFound(err) {
		t.Errorf("IsNotFound(%v) = false", err)
	}
}
