package flow_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/job"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/terraform"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/githubfake"
)

const mergeSHA = "9f3c2e1a9f3c2e1a9f3c2e1a9f3c2e1a9f3c2e1a"

// merged is the delivery of pull request 2 merged into the default branch at mergeSHA.
func merged(t *testing.T) []byte {
	return fixtures.Edit(t, fixtures.Webhook(t, "pull_request.closed.1"), map[string]any{
		"installation": map[string]any{"id": 7}, "number": 2, "pull_request.number": 2,
		"pull_request.merged": true, "pull_request.merge_commit_sha": mergeSHA,
		"pull_request.base.ref": "main", "repository.default_branch": "main",
	})
}

// planned opens pull request 2 on production with main.tf content at the head, and merges it
// with main.tf content at the merge commit.
func planned(t *testing.T, w *world, head, atMerge string) {
	t.Helper()
	w.gh.SetFile(repo, "main", ".gantry.yaml", validConfig)
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, HeadSHA: fixtureHead, Files: []string{"terraform/envs/production/main.tf"}})
	w.gh.SetTarball(repo, fixtureHead, map[string]string{"terraform/envs/production/main.tf": head})
	w.gh.SetTarball(repo, mergeSHA, map[string]string{"terraform/envs/production/main.tf": atMerge})
	w.deliver(t, "pull_request", prOpened(t, 2))
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, HeadSHA: fixtureHead, State: "closed", Merged: true,
		MergeCommitSHA: mergeSHA, Files: []string{"terraform/envs/production/main.tf"}})
}

func applyComment(t *testing.T, w *world) string {
	t.Helper()
	for _, c := range w.gh.Comments(repo, 2) {
		if strings.HasPrefix(c.Body, "<!-- gantry:apply=production -->") {
			return c.Body
		}
	}
	t.Fatalf("no apply comment; comments: %+v", w.gh.Comments(repo, 2))
	return ""
}

func deploymentStates(w *world) []string {
	var states []string
	for _, d := range w.gh.Deployments(repo) {
		for _, s := range w.gh.DeploymentStatuses(d.ID) {
			states = append(states, d.Environment+":"+s.State)
		}
	}
	return states
}

func TestAMergeAppliesThePlanThatWasShown(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tf := w.deps.Terraform.(*fakeTerraform)
	planned(t, w, "fast", "fast")
	jobs := w.deliver(t, "pull_request", merged(t))
	if len(jobs) != 2 || jobs[1].Kind != flow.KindApply || jobs[1].State != store.Succeeded {
		t.Fatalf("jobs %+v, want the close and one successful apply", jobs)
	}
	if body := applyComment(t, w); !strings.Contains(body, "applied `9f3c2e1`") || !strings.Contains(body, "Apply complete!") {
		t.Errorf("apply comment:\n%s", body)
	}
	if len(tf.applied) != 1 {
		t.Errorf("Terraform applied %d plans, want 1", len(tf.applied))
	}
	if got := fmt.Sprint(deploymentStates(w)); got != "[production:in_progress production:success]" {
		t.Errorf("deployment statuses %s", got)
	}
	var apply githubfake.CheckRun
	for _, c := range w.gh.CheckRuns(repo) {
		if c.Name == "gantry/apply: production" {
			apply = c
		}
	}
	if apply.HeadSHA != mergeSHA || apply.Conclusion != "success" {
		t.Errorf("apply check run %+v, want success on the merge commit", apply)
	}
	if locks, _ := w.st.ListLocks(context.Background(), repo); len(locks) != 0 {
		t.Errorf("locks %+v after a successful apply, want none", locks)
	}
}

func TestADriftedMergeWaitsForConfirmation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tf := w.deps.Terraform.(*fakeTerraform)
	// The pull request planned a terraform_data; at the merge commit the plan creates a NAT gateway.
	planned(t, w, "fast", "nat")
	w.deliver(t, "pull_request", merged(t))
	body := applyComment(t, w)
	for _, want := range []string{"is waiting", "differs from the plan shown", "`aws_nat_gateway.this`", "`terraform_data.x`",
		"/apply -p production --confirm-drift"} {
		if !strings.Contains(body, want) {
			t.Errorf("held comment lacks %q:\n%s", want, body)
		}
	}
	if len(tf.applied) != 0 {
		t.Fatalf("a drifted plan was applied")
	}
	if locks, _ := w.st.ListLocks(context.Background(), repo); len(locks) != 1 {
		t.Errorf("locks %+v while the apply waits, want production still held", locks)
	}

	w.gh.SetPermission(repo, "alice", "write")
	confirm := fixtures.Edit(t, w.comment(t, "alice", "/apply -p production --confirm-drift"), map[string]any{"issue.number": 2})
	w.deliver(t, "issue_comment", confirm)
	if len(tf.applied) != 1 {
		t.Fatalf("after --confirm-drift, %d applies, want 1", len(tf.applied))
	}
	if body := applyComment(t, w); !strings.Contains(body, "applied `9f3c2e1`") {
		t.Errorf("the apply comment was not updated to the apply:\n%s", body)
	}
}

func TestAMergeAndItsPushApplyOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tf := w.deps.Terraform.(*fakeTerraform)
	planned(t, w, "fast", "fast")
	w.gh.SetCommit(repo, mergeSHA, []string{"terraform/envs/production/main.tf"}, []int{2})
	push := fixtures.Edit(t, fixtures.Webhook(t, "push.event.2"), map[string]any{
		"installation": map[string]any{"id": 7}, "ref": "refs/heads/main", "after": mergeSHA, "deleted": false,
		"repository.default_branch": "main", "repository.full_name": repo,
		"commits": []any{map[string]any{"id": mergeSHA, "added": []any{}, "removed": []any{}, "modified": []any{"terraform/envs/production/main.tf"}}},
	})
	w.deliver(t, "push", push) // GitHub may deliver the push first
	w.deliver(t, "pull_request", merged(t))
	w.deliver(t, "push", fixtures.Edit(t, push, nil))
	if len(tf.applied) != 1 {
		t.Errorf("%d applies for one merge, want 1", len(tf.applied))
	}
}

func TestADirectPushIsAppliedWithoutAPullRequest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tf := w.deps.Terraform.(*fakeTerraform)
	w.gh.SetFile(repo, "main", ".gantry.yaml", validConfig)
	w.gh.SetTarball(repo, mergeSHA, map[string]string{"terraform/envs/production/main.tf": "fast"})
	w.gh.SetCommit(repo, mergeSHA, []string{"terraform/envs/production/main.tf"}, nil)
	push := fixtures.Edit(t, fixtures.Webhook(t, "push.event.2"), map[string]any{
		"installation": map[string]any{"id": 7}, "ref": "refs/heads/main", "after": mergeSHA, "deleted": false,
		"repository.default_branch": "main", "repository.full_name": repo,
		"commits": []any{map[string]any{"id": mergeSHA, "added": []any{}, "removed": []any{}, "modified": []any{"terraform/envs/production/main.tf"}}},
	})
	jobs := w.deliver(t, "push", push)
	if len(jobs) != 2 || jobs[1].Kind != flow.KindApply || jobs[1].State != store.Succeeded || len(tf.applied) != 1 {
		t.Fatalf("jobs %+v, applies %d: want the push and one successful apply", jobs, len(tf.applied))
	}
}

// overlapTerraform applies slowly and records whether two applies ever overlapped.
type overlapTerraform struct {
	fakeTerraform
	mu      sync.Mutex
	running int
	overlap bool
	order   []string
}

func (o *overlapTerraform) Apply(ctx context.Context, req terraform.ApplyRequest) (*terraform.ApplyResult, error) {
	o.mu.Lock()
	o.running++
	o.overlap = o.overlap || o.running > 1
	o.order = append(o.order, req.Dir)
	o.mu.Unlock()
	time.Sleep(50 * time.Millisecond)
	o.mu.Lock()
	o.running--
	o.mu.Unlock()
	return o.fakeTerraform.Apply(ctx, req)
}

func TestTwoMergesOfOneProjectApplyOneAfterTheOther(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tf := &overlapTerraform{}
	w.deps.Terraform = tf
	w.gh.SetFile(repo, "main", ".gantry.yaml", validConfig)
	pool := &job.Pool{Store: w.st, Handlers: flow.Handlers(w.deps), Workers: 4, Lease: time.Minute,
		Poll: 5 * time.Millisecond, Log: slog.New(slog.DiscardHandler)}
	var shas []string
	for pr := 2; pr <= 3; pr++ {
		sha := strings.Repeat(fmt.Sprint(pr), 40)
		shas = append(shas, sha)
		w.gh.SetTarball(repo, sha, map[string]string{"terraform/envs/production/main.tf": "fast"})
		w.gh.AddPullRequest(repo, githubfake.PR{Number: pr, State: "closed", Merged: true, MergeCommitSHA: sha,
			Files: []string{"terraform/envs/production/main.tf"}})
		body := fixtures.Edit(t, merged(t), map[string]any{"number": pr, "pull_request.number": pr, "pull_request.merge_commit_sha": sha})
		routed, err := w.intake.Route("pull_request", fmt.Sprint("merge-", pr), body)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.st.RecordDelivery(context.Background(), store.Delivery{ID: fmt.Sprint("merge-", pr), Event: "pull_request"}, routed.Jobs); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pool.Run(ctx) }()
	defer func() { cancel(); <-done }()

	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		applies, _ := w.st.ListJobs(ctx, store.JobFilter{Kind: flow.KindApply, States: []store.JobState{store.Succeeded}})
		if len(applies) == 2 {
			break
		}
	}
	applies, _ := w.st.ListJobs(ctx, store.JobFilter{Kind: flow.KindApply})
	if len(applies) != 2 || applies[0].State != store.Succeeded || applies[1].State != store.Succeeded {
		t.Fatalf("applies %+v, want two that succeeded", applies)
	}
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if tf.overlap {
		t.Error("two applies of production ran at the same time")
	}
	// They ran in the order they were queued, the second starting after the first finished.
	if applies[1].StartedAt.Before(applies[0].FinishedAt) {
		t.Errorf("apply %d finished at %v, but apply %d started at %v: want one after the other in queue order",
			applies[0].ID, applies[0].FinishedAt, applies[1].ID, applies[1].StartedAt)
	}
}

const commentConfig = `version: 1
projects:
  - name: production
    dir: terraform/envs/production
    apply: {on: comment, requires: [approved, undiverged]}
`

func TestApplyOnCommentNeedsItsRequirementsAndACurrentPlan(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tf := w.deps.Terraform.(*fakeTerraform)
	w.gh.SetFile(repo, "main", ".gantry.yaml", commentConfig)
	w.gh.SetPermission(repo, "alice", "write")
	pr := githubfake.PR{Number: 2, User: "alice", HeadSHA: fixtureHead, BaseRef: "main", Files: []string{"terraform/envs/production/main.tf"}}
	w.gh.AddPullRequest(repo, pr)
	w.gh.SetTarball(repo, fixtureHead, map[string]string{"terraform/envs/production/main.tf": "fast"})
	w.deliver(t, "pull_request", prOpened(t, 2))
	apply := func() string {
		t.Helper()
		before := len(w.gh.Comments(repo, 2))
		w.deliver(t, "issue_comment", fixtures.Edit(t, w.comment(t, "alice", "/apply"), map[string]any{"issue.number": 2}))
		all := w.gh.Comments(repo, 2)
		if len(all) == before {
			return ""
		}
		return all[len(all)-1].Body
	}

	// Not approved and behind main: both are said, nothing is applied.
	w.gh.SetCompare(repo, "main", fixtureHead, 1, 2)
	reply := apply()
	for _, want := range []string{"approving review from someone other than its author", "2 commit(s) behind `main`"} {
		if !strings.Contains(reply, want) {
			t.Errorf("refusal %q does not say %q", reply, want)
		}
	}
	// The author's own approval does not count.
	w.gh.AddReview(repo, 2, "alice", "APPROVED")
	w.gh.SetCompare(repo, "main", fixtureHead, 1, 0)
	if reply := apply(); !strings.Contains(reply, "approving review") || len(tf.applied) != 0 {
		t.Errorf("after the author's own approval: reply %q, %d applies", reply, len(tf.applied))
	}
	// Approved by another writer and up to date: the saved plan of the head commit is applied.
	w.gh.SetPermission(repo, "bob", "write")
	w.gh.AddReview(repo, 2, "bob", "APPROVED")
	if reply := apply(); !strings.Contains(reply, "applied `ec26c3e`") || len(tf.applied) != 1 || tf.applied[0] != "binary plan" {
		t.Errorf("approved: last comment %q, applies %q; want the saved plan applied", reply, tf.applied)
	}
	// A push without a new plan: the saved plan is stale and refused.
	pr.HeadSHA = strings.Repeat("f", 40)
	w.gh.AddPullRequest(repo, pr)
	if reply := apply(); !strings.Contains(reply, "last planned at `ec26c3e`, but the head is `fffffff`") || len(tf.applied) != 1 {
		t.Errorf("stale plan: reply %q, %d applies", reply, len(tf.applied))
	}
}
