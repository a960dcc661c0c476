package githubfake_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/testing/githubfake"
)

// pushComparison adds n commits of two files each and makes before...head list them; it returns head.
func pushComparison(t *testing.T, fake *githubfake.Server, before string, n int) string {
	t.Helper()
	var shas []string
	for i := range n {
		sha := fmt.Sprintf("%040x", i+1)
		fake.SetCommit("classla/lms", sha, []string{fmt.Sprintf("a/%03d.tf", i), fmt.Sprintf("b/%03d.tf", i)}, nil)
		shas = append(shas, sha)
	}
	fake.SetCompareCommits("classla/lms", before, shas[n-1], shas)
	return shas[n-1]
}

type comparisonAnswer struct {
	AheadBy      int `json:"ahead_by"`
	TotalCommits int `json:"total_commits"`
	Commits      []struct{ SHA string }
	Files        []map[string]any `json:"files"`
}

func TestAComparisonOfCommitsIsPagedAsGitHubPagesIt(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	before := strings.Repeat("b", 40)
	head := pushComparison(t, fake, before, 260)
	token := mintToken(t, fake)
	url := fake.URL() + "repos/classla/lms/compare/" + before + "..." + head
	tests := []struct {
		name                  string
		query                 string
		commits, first, files int
		hasFiles              bool
	}{
		{"without paging parameters, the newest 250 commits and at most 300 files", "", 250, 11, 300, true},
		{"the first page has its commits and the files", "?per_page=100", 100, 1, 300, true},
		{"a later page has its commits and no files", "?per_page=100&page=3", 60, 201, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got comparisonAnswer
			var raw map[string]any
			if status := getJSON(t, url+tt.query, token, &got); status != http.StatusOK {
				t.Fatalf("answered %d, want 200", status)
			}
			getJSON(t, url+tt.query, token, &raw)
			if got.AheadBy != 260 || got.TotalCommits != 260 {
				t.Errorf("ahead_by %d, total_commits %d; want 260 for the whole comparison", got.AheadBy, got.TotalCommits)
			}
			if len(got.Commits) != tt.commits || got.Commits[0].SHA != fmt.Sprintf("%040x", tt.first) {
				t.Errorf("%d commits from %s, want %d from commit %d", len(got.Commits), got.Commits[0].SHA, tt.commits, tt.first)
			}
			if _, has := raw["files"]; has != tt.hasFiles || len(got.Files) != tt.files {
				t.Errorf("files present %v (%d), want %v (%d)", has, len(got.Files), tt.hasFiles, tt.files)
			}
		})
	}
}

func TestAComparisonOfCommitsMatchesGitHubsDescription(t *testing.T) {
	t.Parallel()
	d := loadDescription(t)
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	before := strings.Repeat("b", 40)
	head := pushComparison(t, fake, before, 3)
	fake.SetCommitRenames("classla/lms", head, map[string]string{"a/002.tf": "old/002.tf"})
	token := mintToken(t, fake)
	url := fake.URL() + "repos/classla/lms/compare/" + before + "..." + head
	for _, q := range []string{"", "?per_page=2", "?per_page=2&page=2"} {
		var body map[string]any
		getJSON(t, url+q, token, &body)
	}
	checked := 0
	for _, req := range fake.Requests() {
		if req.Route != "/repos/{owner}/{repo}/compare/{basehead}" {
			continue
		}
		checked++
		if err := checkResponse(d.doc, req); err != nil {
			t.Errorf("%s %s?%s → %d does not match GitHub's description: %v", req.Method, req.Path, req.Query, req.Status, err)
		}
	}
	if checked != 3 {
		t.Errorf("%d comparisons checked, want 3", checked)
	}
}
