package github_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/testing/githubfake"
)

var (
	reviewedHead = strings.Repeat("1", 40) // the head commit whose approval is asked for
	earlierHead  = strings.Repeat("2", 40) // a head the author pushed over
)

// reviewsFake holds pull request 7 of alice at reviewedHead, with bob, carol and dave as writers,
// max as maintainer, ada as admin, rui as reader and tia in triage; eve has no access.
func reviewsFake(t *testing.T) *githubfake.Server {
	t.Helper()
	fake := newFake(t)
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7, User: "alice", HeadSHA: reviewedHead})
	for user, role := range map[string]string{"alice": "write", "bob": "write", "carol": "write", "dave": "write",
		"max": "maintain", "ada": "admin", "rui": "read", "tia": "triage"} {
		fake.SetPermission("classla/lms", user, role)
	}
	return fake
}

func TestApprovedFollowsEachWritersLatestDecisionOnTheCommit(t *testing.T) {
	t.Parallel()
	type review struct{ user, state, commit string }
	tests := []struct {
		name    string
		author  string
		reviews []review
		want    github.Approval
	}{
		{
			name: "one approval by a writer other than the author approves", author: "alice",
			reviews: []review{{"bob", "APPROVED", ""}},
			want:    github.Approval{Approved: true, Approvers: []string{"bob"}},
		},
		{
			name: "maintainers and admins approve too", author: "alice",
			reviews: []review{{"max", "APPROVED", ""}, {"ada", "APPROVED", ""}},
			want:    github.Approval{Approved: true, Approvers: []string{"max", "ada"}},
		},
		{
			name: "the author is recognised whatever the case of the login", author: "Alice",
			reviews: []review{{"alice", "APPROVED", ""}},
			want:    github.Approval{Ignored: []github.IgnoredApproval{{User: "alice", Why: github.IgnoredAuthor}}},
		},
		{
			name: "comments alone do not approve", author: "alice",
			reviews: []review{{"bob", "COMMENTED", ""}},
		},
		{
			name: "a comment after an approval keeps the approval", author: "alice",
			reviews: []review{{"bob", "APPROVED", ""}, {"bob", "COMMENTED", ""}},
			want:    github.Approval{Approved: true, Approvers: []string{"bob"}},
		},
		{
			name: "a later request for changes withdraws the reviewer's approval and blocks", author: "alice",
			reviews: []review{{"bob", "APPROVED", ""}, {"bob", "CHANGES_REQUESTED", ""}},
			want:    github.Approval{ChangesRequested: []string{"bob"}},
		},
		{
			name: "an approval after requested changes clears them", author: "alice",
			reviews: []review{{"bob", "CHANGES_REQUESTED", earlierHead}, {"bob", "APPROVED", ""}},
			want:    github.Approval{Approved: true, Approvers: []string{"bob"}},
		},
		{
			name: "an approval of an earlier head clears the reviewer's request for changes but does not approve", author: "alice",
			reviews: []review{{"bob", "CHANGES_REQUESTED", earlierHead}, {"bob", "APPROVED", earlierHead}},
			want:    github.Approval{Ignored: []github.IgnoredApproval{{User: "bob", Why: github.IgnoredOlderCommit, Commit: earlierHead}}},
		},
		{
			name: "a dismissed request for changes no longer blocks", author: "alice",
			reviews: []review{{"bob", "CHANGES_REQUESTED", ""}, {"bob", "DISMISSED", ""}, {"carol", "APPROVED", ""}},
			want:    github.Approval{Approved: true, Approvers: []string{"carol"}},
		},
		{
			name: "a comment after requested changes leaves them in force", author: "alice",
			reviews: []review{{"bob", "CHANGES_REQUESTED", ""}, {"carol", "APPROVED", ""}, {"bob", "COMMENTED", ""}},
			want:    github.Approval{Approvers: []string{"carol"}, ChangesRequested: []string{"bob"}},
		},
		{
			name: "changes requested of an earlier head still block", author: "alice",
			reviews: []review{{"bob", "CHANGES_REQUESTED", earlierHead}, {"carol", "APPROVED", ""}},
			want:    github.Approval{Approvers: []string{"carol"}, ChangesRequested: []string{"bob"}},
		},
		{
			name: "a dismissed approval no longer counts", author: "alice",
			reviews: []review{{"bob", "APPROVED", ""}, {"bob", "DISMISSED", ""}},
		},
		{
			name: "approvers are named in the order of their deciding review", author: "alice",
			reviews: []review{{"bob", "COMMENTED", ""}, {"carol", "APPROVED", ""}, {"Bob", "CHANGES_REQUESTED", ""}, {"bob", "APPROVED", ""}},
			want:    github.Approval{Approved: true, Approvers: []string{"carol", "bob"}},
		},
		{
			name: "a reader's request for changes does not block", author: "alice",
			reviews: []review{{"rui", "CHANGES_REQUESTED", ""}, {"bob", "APPROVED", ""}},
			want:    github.Approval{Approved: true, Approvers: []string{"bob"}},
		},
		{
			name: "no reviews at all is not approved", author: "alice",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := reviewsFake(t)
			for _, r := range tt.reviews {
				fake.AddReviewOf("classla/lms", 7, githubfake.Review{User: r.user, State: r.state, CommitID: r.commit})
			}
			got, err := newClient(t, fake).Approved(t.Context(), lms, 7, tt.author, reviewedHead)
			if err != nil {
				t.Fatalf("Approved: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("approval differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestANoAccessApprovalDoesNotCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		public bool
		user   string
		want   github.Permission
	}{
		{name: "an account without access to a private repository", user: "eve", want: github.PermissionNone},
		{name: "anyone reviewing a public repository's pull request", public: true, user: "eve", want: github.PermissionRead},
		{name: "a reader", user: "rui", want: github.PermissionRead},
		{name: "someone in triage", user: "tia", want: github.PermissionTriage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := reviewsFake(t)
			if tt.public {
				fake.SetPublic("classla/lms")
			}
			fake.AddReview("classla/lms", 7, tt.user, "APPROVED")
			got, err := newClient(t, fake).Approved(t.Context(), lms, 7, "alice", reviewedHead)
			if err != nil {
				t.Fatalf("Approved: %v", err)
			}
			want := github.Approval{Ignored: []github.IgnoredApproval{{User: tt.user, Why: github.IgnoredPermission, Permission: tt.want}}}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("approval differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnApprovalOfAnOlderCommitDoesNotCountAfterThePush(t *testing.T) {
	t.Parallel()
	fake := reviewsFake(t)
	// bob approves the head as it was; alice then pushes other code.
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7, User: "alice", HeadSHA: earlierHead})
	fake.AddReview("classla/lms", 7, "bob", "APPROVED")
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7, User: "alice", HeadSHA: reviewedHead})
	c := newClient(t, fake)

	got, err := c.Approved(t.Context(), lms, 7, "alice", reviewedHead)
	if err != nil {
		t.Fatalf("Approved: %v", err)
	}
	want := github.Approval{Ignored: []github.IgnoredApproval{{User: "bob", Why: github.IgnoredOlderCommit, Commit: earlierHead}}}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("approval of the new head differs (-want +got):\n%s", diff)
	}
	// The approval still counts for the commit bob saw.
	if got, err := c.Approved(t.Context(), lms, 7, "alice", earlierHead); err != nil || !got.Approved {
		t.Errorf("Approved(earlier head) = %+v, %v; want bob's approval", got, err)
	}
}

func TestAnApprovalOfACommitGitHubNoLongerKnowsDoesNotCount(t *testing.T) {
	t.Parallel()
	fake := reviewsFake(t)
	fake.AddReviewOf("classla/lms", 7, githubfake.Review{User: "bob", State: "APPROVED", CommitGone: true})
	got, err := newClient(t, fake).Approved(t.Context(), lms, 7, "alice", reviewedHead)
	if err != nil {
		t.Fatalf("Approved: %v", err)
	}
	if got.Approved || len(got.Ignored) != 1 || got.Ignored[0].Why != github.IgnoredOlderCommit {
		t.Errorf("Approved = %+v; want bob's approval of a collected commit ignored", got)
	}
}

func TestTheAuthorsOwnApprovalDoesNotCount(t *testing.T) {
	t.Parallel()
	fake := reviewsFake(t)
	fake.SetPermission("classla/lms", "alice", "admin")
	fake.AddReview("classla/lms", 7, "alice", "APPROVED")
	got, err := newClient(t, fake).Approved(t.Context(), lms, 7, "alice", reviewedHead)
	if err != nil {
		t.Fatalf("Approved: %v", err)
	}
	want := github.Approval{Ignored: []github.IgnoredApproval{{User: "alice", Why: github.IgnoredAuthor}}}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("approval differs (-want +got):\n%s", diff)
	}
}

func TestAWritersRequestForChangesBlocksUntilTheyApprove(t *testing.T) {
	t.Parallel()
	fake := reviewsFake(t)
	fake.AddReview("classla/lms", 7, "carol", "APPROVED")
	fake.AddReview("classla/lms", 7, "bob", "CHANGES_REQUESTED")
	c := newClient(t, fake)
	if got, err := c.Approved(t.Context(), lms, 7, "alice", reviewedHead); err != nil || got.Approved ||
		!cmp.Equal(got.ChangesRequested, []string{"bob"}) {
		t.Fatalf("Approved = %+v, %v; want blocked by bob", got, err)
	}
	fake.AddReview("classla/lms", 7, "bob", "COMMENTED")
	if got, err := c.Approved(t.Context(), lms, 7, "alice", reviewedHead); err != nil || got.Approved {
		t.Fatalf("after bob's comment: Approved = %+v, %v; want still blocked", got, err)
	}
	fake.AddReview("classla/lms", 7, "bob", "APPROVED")
	if got, err := c.Approved(t.Context(), lms, 7, "alice", reviewedHead); err != nil || !got.Approved ||
		!cmp.Equal(got.Approvers, []string{"carol", "bob"}) {
		t.Errorf("after bob approves: Approved = %+v, %v; want approved by carol and bob", got, err)
	}
}

func TestApprovedAsksEachReviewersPermissionOnce(t *testing.T) {
	t.Parallel()
	fake := reviewsFake(t)
	for range 3 {
		fake.AddReview("classla/lms", 7, "bob", "APPROVED")
		fake.AddReview("classla/lms", 7, "carol", "CHANGES_REQUESTED")
	}
	fake.AddReview("classla/lms", 7, "dave", "COMMENTED") // a comment needs no permission
	if _, err := newClient(t, fake).Approved(t.Context(), lms, 7, "alice", reviewedHead); err != nil {
		t.Fatalf("Approved: %v", err)
	}
	var asked []string
	for _, r := range requestsTo(fake, "GET", "/repos/{owner}/{repo}/collaborators/{username}/permission") {
		_, user, _ := strings.Cut(strings.TrimSuffix(r.Path, "/permission"), "/collaborators/")
		asked = append(asked, user)
	}
	if want := []string{"bob", "carol"}; !cmp.Equal(asked, want) {
		t.Errorf("permission asked for %q, want %q", asked, want)
	}
}

func TestApprovedFailsWhenAPermissionCannotBeRead(t *testing.T) {
	t.Parallel()
	fake := reviewsFake(t)
	fake.AddReview("classla/lms", 7, "bob", "APPROVED")
	fake.FailNext("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", 502, "Server Error")
	_, err := newClient(t, fake).Approved(t.Context(), lms, 7, "alice", reviewedHead)
	mustContain(t, err, "reviews of classla/lms#7", "bob's permission")
}

func TestApprovedReadsEveryPageOfReviews(t *testing.T) {
	t.Parallel()
	fake := reviewsFake(t)
	fake.AddReview("classla/lms", 7, "bob", "APPROVED")
	for range 105 {
		fake.AddReview("classla/lms", 7, "carol", "COMMENTED")
	}
	// Review 107, on the second page of 100: only reading it reveals the pull request is blocked.
	fake.AddReview("classla/lms", 7, "dave", "CHANGES_REQUESTED")

	got, err := newClient(t, fake).Approved(t.Context(), lms, 7, "alice", reviewedHead)
	if err != nil {
		t.Fatalf("Approved: %v", err)
	}
	if got.Approved || !cmp.Equal(got.Approvers, []string{"bob"}) {
		t.Errorf("Approved = %+v; want blocked (dave requested changes), bob approving", got)
	}
	if pages := len(requestsTo(fake, "GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews")); pages != 2 {
		t.Errorf("%d page requests, want 2", pages)
	}
}

func TestApprovedOfAMissingPullRequestNamesIt(t *testing.T) {
	t.Parallel()
	_, err := newClient(t, newFake(t)).Approved(t.Context(), lms, 404, "alice", reviewedHead)
	mustContain(t, err, "reviews", "classla/lms#404")
	if !github.IsNotFound(err) {
		t.Errorf("IsNotFound(%v) = false", err)
	}
}
