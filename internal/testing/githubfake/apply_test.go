package githubfake_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/testing/githubfake"
)

// getJSON makes an authenticated GET and decodes any JSON answer into v.
func getJSON(t *testing.T, url, token string, v any) int {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: the answer is not JSON: %v", url, err)
	}
	return resp.StatusCode
}

func TestCompareDerivesGitHubsStatusFromTheCounts(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	token := mintToken(t, fake)
	type answer struct {
		Status       string `json:"status"`
		AheadBy      int    `json:"ahead_by"`
		BehindBy     int    `json:"behind_by"`
		TotalCommits int    `json:"total_commits"`
	}
	tests := []struct {
		name             string
		head             string
		ahead, behind    int
		wantStatus       string
		wantTotalCommits int
	}{
		{name: "a head with only new commits is ahead", head: "a", ahead: 2, wantStatus: "ahead", wantTotalCommits: 2},
		{name: "a head with only missing commits is behind", head: "b", behind: 3, wantStatus: "behind"},
		{name: "a head with both is diverged", head: "c", ahead: 2, behind: 3, wantStatus: "diverged", wantTotalCommits: 2},
		{name: "a head with neither is identical", head: "d", wantStatus: "identical"},
	}
	for _, tt := range tests {
		fake.SetCompare("classla/lms", "main", tt.head, tt.ahead, tt.behind)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got answer
			if status := getJSON(t, fake.URL()+"repos/classla/lms/compare/main..."+tt.head, token, &got); status != http.StatusOK {
				t.Fatalf("answered %d, want 200", status)
			}
			want := answer{Status: tt.wantStatus, AheadBy: tt.ahead, BehindBy: tt.behind, TotalCommits: tt.wantTotalCommits}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("comparison differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompareOfAPairNeverSetIsNotFound(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	// Set the other way round: main...feature is not feature...main.
	fake.SetCompare("classla/lms", "feature", "main", 1, 0)
	var body map[string]any
	status := getJSON(t, fake.URL()+"repos/classla/lms/compare/main...feature", mintToken(t, fake), &body)
	if status != http.StatusNotFound || body["message"] != "Not Found" || body["documentation_url"] == nil {
		t.Errorf("answered %d %v, want 404 in GitHub's error shape", status, body)
	}
}

func TestReviewsAreListedOldestFirstWithIncreasingIDsAndTimes(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	head := strings.Repeat("1", 40)
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7, HeadSHA: head})
	states := []string{"COMMENTED", "CHANGES_REQUESTED", "APPROVED"}
	for _, st := range states {
		fake.AddReview("classla/lms", 7, "bob", st)
	}
	var got []struct {
		ID          int64     `json:"id"`
		State       string    `json:"state"`
		CommitID    string    `json:"commit_id"`
		SubmittedAt time.Time `json:"submitted_at"`
		User        struct {
			Login string `json:"login"`
		} `json:"user"`
	}
	if status := getJSON(t, fake.URL()+"repos/classla/lms/pulls/7/reviews", mintToken(t, fake), &got); status != http.StatusOK {
		t.Fatalf("answered %d, want 200", status)
	}
	if len(got) != len(states) {
		t.Fatalf("listed %d reviews, want %d", len(got), len(states))
	}
	for i, rv := range got {
		if rv.State != states[i] || rv.User.Login != "bob" || rv.CommitID != head {
			t.Errorf("review %d is %s by %s on %s, want %s by bob on the head %s", i, rv.State, rv.User.Login, rv.CommitID, states[i], head)
		}
		// Added within the same second, the reviews must still be told apart by time, as on GitHub.
		if i > 0 && (rv.ID <= got[i-1].ID || !rv.SubmittedAt.After(got[i-1].SubmittedAt)) {
			t.Errorf("review %d (id %d at %s) does not come after review %d (id %d at %s)", i, rv.ID, rv.SubmittedAt, i-1, got[i-1].ID, got[i-1].SubmittedAt)
		}
	}
}

func TestCommitRoutesAnswer422ForAnUnknownCommit(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	token := mintToken(t, fake)
	unknown := strings.Repeat("0", 40)
	for _, path := range []string{"commits/" + unknown, "commits/" + unknown + "/pulls"} {
		var body map[string]any
		status := getJSON(t, fake.URL()+"repos/classla/lms/"+path, token, &body)
		if status != http.StatusUnprocessableEntity || body["message"] != "No commit found for SHA: "+unknown {
			t.Errorf("GET %s answered %d %v, want 422 naming the SHA", path, status, body["message"])
		}
	}
}

func TestPermissionAnswersLikeGitHubForEveryKindOfAccount(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	fake.AddRepo("classla", "docs", "main")
	fake.SetPublic("classla/docs")
	fake.SetPermission("classla/lms", "max", "maintain")
	fake.RemoveUser("ghost")
	token := mintToken(t, fake)
	type answer struct {
		Permission string `json:"permission"`
		RoleName   string `json:"role_name"`
	}
	tests := []struct {
		name, repo, user string
		wantStatus       int
		want             answer
	}{
		{name: "a maintainer is write by permission and maintain by role", repo: "lms", user: "max",
			wantStatus: http.StatusOK, want: answer{"write", "maintain"}},
		{name: "an account without access to a private repository has none", repo: "lms", user: "eve",
			wantStatus: http.StatusOK, want: answer{"none", "none"}},
		{name: "anyone may read a public repository", repo: "docs", user: "eve",
			wantStatus: http.StatusOK, want: answer{"read", "read"}},
		{name: "an account that does not exist is not found", repo: "lms", user: "ghost", wantStatus: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got answer
			status := getJSON(t, fake.URL()+"repos/classla/"+tt.repo+"/collaborators/"+tt.user+"/permission", token, &got)
			if status != tt.wantStatus {
				t.Fatalf("answered %d, want %d", status, tt.wantStatus)
			}
			if status == http.StatusOK && got != tt.want {
				t.Errorf("answered %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAReviewCanBeOfAnEarlierHeadOrOfACommitNoLongerKnown(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	head, earlier := strings.Repeat("1", 40), strings.Repeat("2", 40)
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7, HeadSHA: head})
	fake.AddReviewOf("classla/lms", 7, githubfake.Review{User: "bob", State: "APPROVED", CommitID: earlier})
	fake.AddReviewOf("classla/lms", 7, githubfake.Review{User: "carol", State: "CHANGES_REQUESTED", CommitGone: true})
	fake.AddReviewOf("classla/lms", 7, githubfake.Review{User: "dave", State: "COMMENTED"})
	var got []struct {
		State    string  `json:"state"`
		CommitID *string `json:"commit_id"`
		User     struct {
			Login string `json:"login"`
		} `json:"user"`
	}
	if status := getJSON(t, fake.URL()+"repos/classla/lms/pulls/7/reviews", mintToken(t, fake), &got); status != http.StatusOK {
		t.Fatalf("answered %d, want 200", status)
	}
	commit := func(i int) string {
		if got[i].CommitID == nil {
			return "null"
		}
		return *got[i].CommitID
	}
	if len(got) != 3 || commit(0) != earlier || commit(1) != "null" || commit(2) != head ||
		got[1].State != "CHANGES_REQUESTED" || got[1].User.Login != "carol" {
		t.Errorf("reviews %+v: want bob's of %s, carol's with a null commit_id, dave's of the head", got, earlier)
	}
}
