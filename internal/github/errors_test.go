package github_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	gh "github.com/google/go-github/v62/github"

	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/testing/githubfake"
)

func TestFailedCallsSayWhatFailedAndWhy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		method, route   string
		status          int
		message         string
		call            func(context.Context, *github.Client) error
		wantMention     []string
		wantServerError bool
		wantRateLimit   bool
	}{
		{
			name: "a 502 on a check-run update is a server error naming the run", method: "PATCH",
			route: "/repos/{owner}/{repo}/check-runs/{check_run_id}", status: 502, message: "Server Error",
			call: func(ctx context.Context, c *github.Client) error {
				return c.UpdateCheckRun(ctx, lms, 31, github.CheckRun{Name: "gantry/plan: production", Status: "in_progress"})
			},
			wantMention: []string{"updating check run 31", "classla/lms", "502"}, wantServerError: true,
		},
		{
			name: "a 502 while editing a comment names the comment and the pull request", method: "PATCH",
			route: "/repos/{owner}/{repo}/issues/comments/{comment_id}", status: 502, message: "Server Error",
			call: func(ctx context.Context, c *github.Client) error {
				if _, err := c.UpsertComment(ctx, lms, 7, marker, "v1"); err != nil {
					return err
				}
				_, err := c.UpsertComment(ctx, lms, 7, marker, "v2")
				return err
			},
			wantMention: []string{"editing comment", "classla/lms#7"}, wantServerError: true,
		},
		{
			name: "a rate-limited file listing is a rate-limit error", method: "GET",
			route: "/repos/{owner}/{repo}/pulls/{pull_number}/files", status: 403, message: "API rate limit exceeded for installation ID 7.",
			call: func(ctx context.Context, c *github.Client) error {
				_, err := c.PullRequestFiles(ctx, lms, 7)
				return err
			},
			wantMention: []string{"listing files", "classla/lms#7", "rate limit"}, wantRateLimit: true,
		},
		{
			name: "a secondary rate limit on deployments is a rate-limit error", method: "POST",
			route: "/repos/{owner}/{repo}/deployments", status: 403, message: "You have exceeded a secondary rate limit.",
			call: func(ctx context.Context, c *github.Client) error {
				_, err := c.CreateDeployment(ctx, lms, github.Deployment{Ref: sha, Environment: "backend"})
				return err
			},
			wantMention: []string{"creating deployment", "backend"}, wantRateLimit: true,
		},
		{
			name: "a 503 while minting the installation token is a server error naming the installation", method: "POST",
			route: tokenRoute, status: 503, message: "Service Unavailable",
			call: func(ctx context.Context, c *github.Client) error {
				_, err := c.Permission(ctx, lms, "alice")
				return err
			},
			wantMention: []string{"alice", "installation", "503"}, wantServerError: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake(t)
			fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7, Files: []string{"main.tf"}})
			fake.FailNext(tt.method, tt.route, tt.status, tt.message)

			err := tt.call(t.Context(), newClient(t, fake))
			mustContain(t, err, tt.wantMention...)
			if got := github.IsServerError(err); got != tt.wantServerError {
				t.Errorf("IsServerError = %t, want %t (err: %v)", got, tt.wantServerError, err)
			}
			if got := github.IsRateLimit(err); got != tt.wantRateLimit {
				t.Errorf("IsRateLimit = %t, want %t (err: %v)", got, tt.wantRateLimit, err)
			}
			var er *gh.ErrorResponse
			var rl *gh.RateLimitError
			if tt.wantServerError && tt.route != tokenRoute && !errors.As(err, &er) {
				t.Errorf("errors.As(*github.ErrorResponse) fails through the wrapping of %v", err)
			}
			if strings.Contains(tt.message, "API rate limit") && !errors.As(err, &rl) {
				t.Errorf("errors.As(*github.RateLimitError) fails through the wrapping of %v", err)
			}
			if err != nil && strings.Contains(err.Error(), "ghs_") {
				t.Errorf("error %q contains an installation token", err)
			}
		})
	}
}
