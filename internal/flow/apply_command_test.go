package flow_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/terraform"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/githubfake"
)

// flakyTerraform is fakeTerraform whose next failures applies fail.
type flakyTerraform struct {
	fakeTerraform
	mu       sync.Mutex
	failures int
}

func (f *flakyTerraform) Apply(ctx context.Context, req terraform.ApplyRequest) (*terraform.ApplyResult, error) {
	f.mu.Lock()
	fail := f.failures > 0
	f.failures--
	f.mu.Unlock()
	if fail {
		return &terraform.ApplyResult{Log: "Error: creating NAT gateway: throttled\n"}, errors.New("terraform apply: exit status 1")
	}
	return f.fakeTerraform.Apply(ctx, req)
}

// mergedWorld is pull request 2 planned on production and merged into main at mergeSHA, with
// Terraform failing the first failures applies; the merge's own apply has run.
func mergedWorld(t *testing.T, failures int) (*world, *flakyTerraform) {
	t.Helper()
	w := newWorld(t)
	tf := &flakyTerraform{failures: failures}
	w.deps.Terraform = tf
	w.gh.SetPermission(repo, "alice", "write")
	w.gh.SetPermission(repo, "ada", "admin")
	planned(t, w, "fast", "fast")
	w.deliver(t, "pull_request", merged(t))
	return w, tf
}

// apply comments `/apply ...` on pull request 2 as user and returns the reply it got, if any.
func applyOn2(t *testing.T, w *world, user, body string) string {
	t.Helper()
	before := len(w.gh.Comments(repo, 2))
	w.deliver(t, "issue_comment", fixtures.Edit(t, w.comment(t, user, body), map[string]any{"issue.number": 2}))
	var replies []string
	for _, c := range w.gh.Comments(repo, 2)[before:] {
		replies = append(replies, c.Body)
	}
	return strings.Join(replies, "\n")
}

func applyJobs(t *testing.T, w *world) []store.Job {
	t.Helper()
	jobs, err := w.st.ListJobs(context.Background(), store.JobFilter{Kind: flow.KindApply})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func TestAFailedMergeApplyIsRetriedWithApply(t *testing.T) {
	t.Parallel()
	w, tf := mergedWorld(t, 1)
	if jobs := applyJobs(t, w); len(jobs) != 1 || jobs[0].State != store.Failed {
		t.Fatalf("applies %+v, want the merge's, failed", jobs)
	}
	applyOn2(t, w, "alice", "/apply -p production")
	if len(tf.applied) != 1 {
		t.Fatalf("after /apply, %d applies, want the retry", len(tf.applied))
	}
	if body := applyComment(t, w); !strings.Contains(body, "applied `9f3c2e1`") {
		t.Errorf("the apply comment does not show the retried apply:\n%s", body)
	}
}

func TestAnAppliedMergeCannotBeAppliedAgain(t *testing.T) {
	t.Parallel()
	w, tf := mergedWorld(t, 0)
	reply := applyOn2(t, w, "alice", "/apply -p production")
	if len(tf.applied) != 1 || len(applyJobs(t, w)) != 1 {
		t.Errorf("%d applies (%d jobs), want only the merge's", len(tf.applied), len(applyJobs(t, w)))
	}
	if !strings.Contains(reply, "`production` at `9f3c2e1` is applied already") {
		t.Errorf("reply %q does not say it is applied already", reply)
	}
}

func TestApplyCannotTakeAProjectTheMergeDidNotChange(t *testing.T) {
	t.Parallel()
	w, tf := mergedWorld(t, 0)
	// staging was only ever planned on the pull request (or not at all): the merge does not apply it.
	reply := applyOn2(t, w, "ada", "/apply -p staging")
	if len(applyJobs(t, w)) != 1 || len(tf.applied) != 1 {
		t.Errorf("%d apply jobs, %d applies: want only the merge's apply of production", len(applyJobs(t, w)), len(tf.applied))
	}
	if !strings.Contains(reply, "`staging` is not a project this merge changed") {
		t.Errorf("reply %q does not say staging is not part of the merge", reply)
	}
}

func TestAMergeIntoASideBranchCannotBeAppliedWithApply(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tf := w.deps.Terraform.(*fakeTerraform)
	w.gh.SetPermission(repo, "ada", "admin")
	planned(t, w, "fast", "fast")
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, HeadSHA: fixtureHead, State: "closed", Merged: true, BaseRef: "release",
		MergeCommitSHA: mergeSHA, Files: []string{"terraform/envs/production/main.tf"}})
	w.deliver(t, "pull_request", fixtures.Edit(t, merged(t), map[string]any{"pull_request.base.ref": "release"}))
	reply := applyOn2(t, w, "ada", "/apply -p production")
	if len(tf.applied) != 0 || len(applyJobs(t, w)) != 0 {
		t.Errorf("a merge into a side branch was applied: %d applies, %d jobs", len(tf.applied), len(applyJobs(t, w)))
	}
	if !strings.Contains(reply, "merged into `release`, not into the default branch `main`") {
		t.Errorf("reply %q does not say the merge was into another branch", reply)
	}
}

func TestAnOlderMergeCannotUndoANewerOne(t *testing.T) {
	t.Parallel()
	w, tf := mergedWorld(t, 1) // pull request 2's apply failed
	// Pull request 3 changes production after it and is applied.
	newer := strings.Repeat("b", 40)
	w.gh.SetTarball(repo, newer, map[string]string{"terraform/envs/production/main.tf": "fast"})
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 3, State: "closed", Merged: true, MergeCommitSHA: newer,
		Files: []string{"terraform/envs/production/main.tf"}})
	w.deliver(t, "pull_request", fixtures.Edit(t, merged(t), map[string]any{"number": 3, "pull_request.number": 3,
		"pull_request.merge_commit_sha": newer}))
	if len(tf.applied) != 1 {
		t.Fatalf("%d applies, want pull request 3's", len(tf.applied))
	}
	reply := applyOn2(t, w, "ada", "/apply -p production")
	if len(tf.applied) != 1 || len(applyJobs(t, w)) != 2 {
		t.Errorf("the older merge was applied over the newer one: %d applies, %d jobs", len(tf.applied), len(applyJobs(t, w)))
	}
	if !strings.Contains(reply, "the newer commit `bbbbbbb` of `production` was applied (#3) since") {
		t.Errorf("reply %q does not name the newer commit", reply)
	}
}

func TestTwoApplyCommandsRetryOnce(t *testing.T) {
	t.Parallel()
	w, tf := mergedWorld(t, 1)
	// Two people retry at once: both commands are handled before the retry runs.
	w.queueDelivery(t, "issue_comment", fixtures.Edit(t, w.comment(t, "alice", "/apply"), map[string]any{"issue.number": 2}))
	w.queueDelivery(t, "issue_comment", fixtures.Edit(t, w.comment(t, "ada", "/apply"), map[string]any{"issue.number": 2}))
	w.runNextJob(t)
	w.runNextJob(t)
	if jobs := applyJobs(t, w); len(jobs) != 2 {
		t.Fatalf("%d apply jobs, want the merge's and one retry", len(jobs))
	}
	if got := othersSay(w, 2, "is queued already"); len(got) != 1 {
		t.Errorf("replies %q, want one saying the retry is queued already", got)
	}
	w.runNextJob(t)
	if len(tf.applied) != 1 {
		t.Errorf("%d applies, want 1", len(tf.applied))
	}
}

func TestApplyOnAPullRequestClosedWithoutMergingIsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tf := w.deps.Terraform.(*fakeTerraform)
	w.gh.SetFile(repo, "main", ".gantry.yaml", readerConfig)
	w.gh.SetPermission(repo, "alice", "write")
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, HeadSHA: fixtureHead, State: "closed",
		Files: []string{"terraform/envs/production/main.tf"}})
	reply := applyOn2(t, w, "alice", "/apply")
	if len(tf.applied) != 0 || !strings.Contains(reply, "closed without being merged") {
		t.Errorf("reply %q, %d applies; want a refusal", reply, len(tf.applied))
	}
}

// approvalConfig holds production's merges until a writer other than the author approves them.
const approvalConfig = `version: 1
projects:
  - name: production
    dir: terraform/envs/production
    apply: {on: merge, requires: [approved]}
`

func TestAMaintainersApplyReleasesAMergeHeldForApproval(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tf := w.deps.Terraform.(*fakeTerraform)
	w.gh.SetPermission(repo, "bob", "write")
	w.gh.SetPermission(repo, "max", "maintain")
	planned(t, w, "fast", "fast")
	w.gh.SetFile(repo, "main", ".gantry.yaml", approvalConfig)
	w.deliver(t, "pull_request", merged(t))
	if len(tf.applied) != 0 {
		t.Fatalf("an unapproved merge was applied")
	}
	applyOn2(t, w, "bob", "/apply -p production")
	if len(tf.applied) != 0 {
		t.Fatalf("a writer's /apply released a merge held for approval")
	}
	applyOn2(t, w, "max", "/apply -p production")
	if len(tf.applied) != 1 {
		t.Fatalf("a maintainer's /apply did not release the held merge")
	}
	jobs := applyJobs(t, w)
	var s flow.ApplySpec
	if err := json.Unmarshal(jobs[len(jobs)-1].Spec, &s); err != nil {
		t.Fatal(err)
	}
	if !s.Override || s.RequestedBy != "max" || s.Trigger != "comment" {
		t.Errorf("the released apply is %+v, want an override asked for by max", s)
	}
}
