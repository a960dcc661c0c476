package github_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/testing/githubfake"
)

const before = "0000000000000000000000000000000000000b4e"

// pushOf adds n commits to the fake, each changing files(i), and makes before...head list them; it
// returns head.
func pushOf(fake *githubfake.Server, n int, files func(i int) []string) string {
	var shas []string
	for i := range n {
		sha := fmt.Sprintf("%040x", i+1)
		fake.SetCommit("classla/lms", sha, files(i), nil)
		shas = append(shas, sha)
	}
	fake.SetCompareCommits("classla/lms", before, shas[n-1], shas)
	return shas[n-1]
}

func TestCompareFilesListsAPushsFilesFromTheComparison(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	head := pushOf(fake, 30, func(i int) []string { return []string{fmt.Sprintf("backend/f%02d.ts", i)} })
	fake.SetCommitRenames("classla/lms", head, map[string]string{"backend/f29.ts": "terraform/envs/production/old.tf"})

	got, err := newClient(t, fake).CompareFiles(t.Context(), lms, before, head)
	if err != nil {
		t.Fatalf("CompareFiles: %v", err)
	}
	var want []string
	for i := range 30 {
		want = append(want, fmt.Sprintf("backend/f%02d.ts", i))
	}
	want = append(want, "terraform/envs/production/old.tf")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files differ (-want +got):\n%s", diff)
	}
	if n := len(requestsTo(fake, "GET", "/repos/{owner}/{repo}/commits/{ref}")); n != 0 {
		t.Errorf("%d commit requests for a comparison GitHub listed in full, want none", n)
	}
}

func TestCompareFilesOfALargePushMissesNoFileGitHubLeftOutOfTheComparison(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	// 250 commits of 2 files: GitHub's comparison lists 300 of the 500 files, and its commits over 3 pages.
	head := pushOf(fake, 250, func(i int) []string {
		return []string{fmt.Sprintf("backend/a%03d.ts", i), fmt.Sprintf("backend/b%03d.ts", i)}
	})
	got, err := newClient(t, fake).CompareFiles(t.Context(), lms, before, head)
	if err != nil {
		t.Fatalf("CompareFiles: %v", err)
	}
	if len(got) != 500 {
		t.Fatalf("%d files, want all 500", len(got))
	}
	for _, want := range []string{"backend/a000.ts", "backend/b249.ts", "backend/a150.ts"} {
		if !slices.Contains(got, want) {
			t.Errorf("%s is missing", want)
		}
	}
	if n := len(requestsTo(fake, "GET", "/repos/{owner}/{repo}/compare/{basehead}")); n != 3 {
		t.Errorf("%d comparison pages requested, want 3", n)
	}
}

func TestCompareFilesSaysWhenACommitsListWasCutOff(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	head := pushOf(fake, 2, func(i int) []string { return numberedFiles(1500 + 1600*i) })
	got, err := newClient(t, fake).CompareFiles(t.Context(), lms, before, head)
	if !errors.Is(err, github.ErrFileListTruncated) {
		t.Fatalf("err = %v, want ErrFileListTruncated", err)
	}
	if len(got) != 3000 {
		t.Errorf("got %d files, want the 3000 GitHub lists of the larger commit", len(got))
	}
}

func TestCompareFilesOfAnUnknownComparisonIsNotFound(t *testing.T) {
	t.Parallel()
	_, err := newClient(t, newFake(t)).CompareFiles(t.Context(), lms, before, sha)
	mustContain(t, err, before, sha, "classla/lms")
	if !github.IsNotFound(err) {
		t.Errorf("IsNotFound(%v) = false", err)
	}
}
