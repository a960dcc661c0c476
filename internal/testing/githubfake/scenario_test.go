package githubfake_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/testing/githubfake"
)

// runScenario drives every route of the fake through the real client, the way gantry uses them:
// a plan comment that grows and shrinks, a check run, deployments, file and permission look-ups.
func runScenario(t *testing.T, fake *githubfake.Server) {
	t.Helper()
	ctx := t.Context()
	lms := github.Repo{Owner: "classla", Name: "lms"}
	fake.AddRepo("classla", "lms", "main")
	var files []string
	for i := range 130 {
		files = append(files, fmt.Sprintf("terraform/modules/m%03d/main.tf", i))
	}
	fake.AddPullRequest("classla/lms", githubfake.PR{
		Number: 7, User: "alice", Files: files, Renamed: map[string]string{files[0]: "terraform/old/main.tf"},
	})
	fake.AddPullRequest("classla/lms", githubfake.PR{
		Number: 8, State: "closed", Merged: true, MergeCommitSHA: strings.Repeat("ab", 20), HeadRepo: "mallory/lms",
	})
	fake.AddComment("classla/lms", 7, "alice", "/plan")
	fake.SetPermission("classla/lms", "alice", "maintain")
	fake.SetFile("classla/lms", "main", ".gantry.yaml", "version: 1\n")
	fake.SetFile("classla/lms", "main", "big.json", strings.Repeat("x", 1<<20+1))
	fake.SetTarball("classla/lms", "main", map[string]string{"terraform/main.tf": "# main\n"})

	app, err := github.NewApp(github.AppConfig{AppID: fake.AppID(), PrivateKey: fake.PrivateKeyPEM(), BaseURL: fake.URL()})
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	c := app.Installation(99)
	marker := "<!-- gantry:project=production -->"
	long := marker + "\n```diff\n" + strings.Repeat("+ resource\n", 7000) + "```"
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, err = c.UpsertComment(ctx, lms, 7, marker, long)
	must("UpsertComment (create)", err)
	_, err = c.UpsertComment(ctx, lms, 7, marker, long+"\nchanged")
	must("UpsertComment (edit)", err)
	_, err = c.UpsertComment(ctx, lms, 7, marker, marker+"\nNo changes.")
	must("UpsertComment (shrink)", err)
	_, err = c.Reply(ctx, lms, 7, "Usage: /plan [-p NAME]")
	must("Reply", err)

	run := github.CheckRun{Name: "gantry/plan: production", HeadSHA: strings.Repeat("c", 40), Status: "in_progress"}
	id, err := c.CreateCheckRun(ctx, lms, run)
	must("CreateCheckRun", err)
	run.Status, run.Conclusion, run.Title, run.Summary = "completed", "success", "No changes", "No changes."
	must("UpdateCheckRun", c.UpdateCheckRun(ctx, lms, id, run))

	for _, n := range []int{7, 8} {
		_, err = c.PullRequest(ctx, lms, n)
		must("PullRequest", err)
	}
	_, err = c.PullRequestFiles(ctx, lms, 7)
	must("PullRequestFiles", err)
	for _, p := range []string{".gantry.yaml", "big.json", "missing.yaml"} {
		_, _, err = c.DefaultBranchFile(ctx, lms, p)
		must("DefaultBranchFile "+p, err)
	}
	must("Tarball", c.Tarball(ctx, lms, "main", io.Discard))
	fake.RemoveUser("ghost")
	for _, u := range []string{"alice", "eve", "ghost"} { // a collaborator, an account without access, no account
		_, err = c.Permission(ctx, lms, u)
		must("Permission "+u, err)
	}
	dep, err := c.CreateDeployment(ctx, lms, github.Deployment{Ref: "main", Environment: "production", Payload: map[string]any{"job": 1}})
	must("CreateDeployment", err)
	must("CreateDeploymentStatus", c.CreateDeploymentStatus(ctx, lms, dep, "in_progress", "Applying", "", ""))
	must("CreateDeploymentStatus", c.CreateDeploymentStatus(ctx, lms, dep, "failure", "Apply failed", "", ""))
	must("CreateDeploymentStatus", c.CreateDeploymentStatus(ctx, lms, dep, "success", "Applied", "https://gantry.example.com/jobs/1", ""))

	_, err = c.Repository(ctx, lms)
	must("Repository", err)
	fake.AddWorkflow("classla/lms", "gantry.yml")
	_, err = c.DispatchWorkflow(ctx, lms, "gantry.yml", "main", map[string]string{"job_id": "j1", "environment": "production"})
	must("DispatchWorkflow", err)

	runApplyChecks(t, fake, c, files)
}

// runApplyChecks covers what an apply checks first: reviews, divergence, and the files and pull requests
// of a pushed commit.
func runApplyChecks(t *testing.T, fake *githubfake.Server, c *github.Client, files []string) {
	t.Helper()
	ctx := t.Context()
	lms := github.Repo{Owner: "classla", Name: "lms"}
	older := strings.Repeat("0a", 20)
	for _, r := range []githubfake.Review{
		{User: "bob", State: "CHANGES_REQUESTED", CommitID: older}, {User: "bob", State: "APPROVED"},
		{User: "carol", State: "COMMENTED"}, {User: "dave", State: "DISMISSED"},
		{User: "erin", State: "APPROVED", CommitID: older, CommitGone: true},
	} {
		fake.AddReviewOf("classla/lms", 7, r)
	}
	fake.SetPermission("classla/lms", "bob", "write")
	pr, err := c.PullRequest(ctx, lms, 7)
	if err != nil {
		t.Fatalf("PullRequest: %v", err)
	}
	fake.SetCompare("classla/lms", "main", "feature-7", 2, 1)
	merge := strings.Repeat("ab", 20) // pull request 8's merge commit
	// More than the 300 files GitHub lists per page of a commit.
	many := append([]string{}, files...)
	for i := range 200 {
		many = append(many, fmt.Sprintf("backend/src/f%03d.ts", i))
	}
	fake.SetCommit("classla/lms", merge, many, []int{8})
	fake.SetCommitRenames("classla/lms", merge, map[string]string{files[1]: "terraform/legacy/main.tf"})

	if _, err := c.Approved(ctx, lms, 7, "alice", pr.HeadSHA); err != nil {
		t.Fatalf("Approved: %v", err)
	}
	if _, err := c.Diverged(ctx, lms, "main", "feature-7"); err != nil {
		t.Fatalf("Diverged: %v", err)
	}
	if _, err := c.Diverged(ctx, lms, "main", "deleted"); !github.IsNotFound(err) {
		t.Fatalf("Diverged of an unknown branch: %v, want not found", err)
	}
	if _, err := c.CommitFiles(ctx, lms, merge); err != nil {
		t.Fatalf("CommitFiles: %v", err)
	}
	if _, err := c.CommitFiles(ctx, lms, strings.Repeat("0", 40)); err == nil {
		t.Fatalf("CommitFiles of an unknown commit succeeded")
	}
	if _, err := c.PullRequestsOfCommit(ctx, lms, merge); err != nil {
		t.Fatalf("PullRequestsOfCommit: %v", err)
	}
}
