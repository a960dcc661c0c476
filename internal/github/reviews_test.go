package github_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/testing/githubfake"
)

func TestApprovedFollowsEachReviewersLatestDecision(t *testing.T) {
	t.Parallel()
	type review struct{ user, state string }
	tests := []struct {
		name          string
		author        string
		reviews       []review
		wantApproved  bool
		wantApprovers []string
	}{
		{
			name: "one approval by someone else approves", author: "alice",
			reviews: []review{{"bob", "APPROVED"}}, wantApproved: true, wantApprovers: []string{"bob"},
		},
		{
			name: "the author's own approval does not count", author: "alice",
			reviews: []review{{"alice", "APPROVED"}},
		},
		{
			name: "the author is recognised whatever the case of the login", author: "Alice",
			reviews: []review{{"alice", "APPROVED"}},
		},
		{
			name: "comments alone do not approve", author: "alice",
			reviews: []review{{"bob", "COMMENTED"}},
		},
		{
			name: "a comment after an approval keeps the approval", author: "alice",
			reviews: []review{{"bob", "APPROVED"}, {"bob", "COMMENTED"}}, wantApproved: true, wantApprovers: []string{"bob"},
		},
		{
			name: "a later request for changes withdraws the reviewer's approval", author: "alice",
			reviews: []review{{"bob", "APPROVED"}, {"bob", "CHANGES_REQUESTED"}},
		},
		{
			name: "an approval after requested changes clears them", author: "alice",
			reviews: []review{{"bob", "CHANGES_REQUESTED"}, {"bob", "APPROVED"}}, wantApproved: true, wantApprovers: []string{"bob"},
		},
		{
			name: "a comment after requested changes leaves them in force", author: "alice",
			reviews:       []review{{"bob", "CHANGES_REQUESTED"}, {"carol", "APPROVED"}, {"bob", "COMMENTED"}},
			wantApprovers: []string{"carol"},
		},
		{
			name: "a dismissed approval no longer counts", author: "alice",
			reviews: []review{{"bob", "APPROVED"}, {"bob", "DISMISSED"}},
		},
		{
			name: "changes requested by one reviewer block another's approval, who is still named", author: "alice",
			reviews: []review{{"bob", "APPROVED"}, {"carol", "CHANGES_REQUESTED"}}, wantApprovers: []string{"bob"},
		},
		{
			name: "approvers are named in the order they approved", author: "alice",
			// carol approves first; bob's approval is his later review, after carol's.
			reviews:      []review{{"bob", "COMMENTED"}, {"carol", "APPROVED"}, {"Bob", "CHANGES_REQUESTED"}, {"bob", "APPROVED"}},
			wantApproved: true, wantApprovers: []string{"carol", "bob"},
		},
		{
			name: "no reviews at all is not approved", author: "alice",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake(t)
			fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7, User: "alice"})
			for _, r := range tt.reviews {
				fake.AddReview("classla/lms", 7, r.user, r.state)
			}
			approved, approvers, err := newClient(t, fake).Approved(t.Context(), lms, 7, tt.author)
			if err != nil {
				t.Fatalf("Approved: %v", err)
			}
			if approved != tt.wantApproved {
				t.Errorf("approved = %t, want %t", approved, tt.wantApproved)
			}
			if diff := cmp.Diff(tt.wantApprovers, approvers, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("approvers differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApprovedReadsEveryPageOfReviews(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7, User: "alice"})
	fake.AddReview("classla/lms", 7, "bob", "APPROVED")
	for range 105 {
		fake.AddReview("classla/lms", 7, "carol", "COMMENTED")
	}
	// Review 107, on the second page of 100: only reading it reveals the pull request is blocked.
	fake.AddReview("classla/lms", 7, "dave", "CHANGES_REQUESTED")

	approved, approvers, err := newClient(t, fake).Approved(t.Context(), lms, 7, "alice")
	if err != nil {
		t.Fatalf("Approved: %v", err)
	}
	if approved || !cmp.Equal(approvers, []string{"bob"}) {
		t.Errorf("Approved = %t, %q; want false (dave requested changes), [bob]", approved, approvers)
	}
	if pages := len(requestsTo(fake, "GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews")); pages != 2 {
		t.Errorf("%d page requests, want 2", pages)
	}
}

func TestApprovedOfAMissingPullRequestNamesIt(t *testing.T) {
	t.Parallel()
	_, _, err := newClient(t, newFake(t)).Approved(t.Context(), lms, 404, "alice")
	mustContain(t, err, "reviews", "classla/lms#404")
	if !github.IsNotFound(err) {
		t.Errorf("IsNotFound(%v) = false", err)
	}
}
