package flow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/config"
	"github.com/classla/gantry/internal/cost"
	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/githubfake"
)

// onCommentConfig applies production with `/apply`, with no other requirement.
const onCommentConfig = `version: 1
projects:
  - name: production
    dir: terraform/envs/production
    apply: {on: comment}
`

// queueSavedApply queues what alice's `/apply` queued when plan was the newest: an apply of the
// saved plan id at the head. It does not run it.
func queueSavedApply(t *testing.T, w *world, id int64, requires ...string) int64 {
	t.Helper()
	s := flow.ApplySpec{Number: 2, SHA: fixtureHead, Trigger: "comment", RequestedBy: "alice", SavedPlan: true, PlanID: id,
		Project: config.Project{Name: "production", Dir: "terraform/envs/production", Workspace: "default",
			Apply: config.Apply{On: config.ApplyOnComment, Requires: requires}}}
	spec, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	j, err := w.st.EnqueueJob(context.Background(), store.NewJob{Kind: flow.KindApply, InstallationID: 7, Repo: repo, PR: 2,
		SHA: fixtureHead, Spec: spec, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return j.ID
}

// writersPlan is the plan alice's push made of the head, which she applies.
func writersPlan(t *testing.T, w *world) store.Plan {
	t.Helper()
	p, err := w.st.LatestPlan(context.Background(), repo, 2, "production")
	if err != nil || !p.Applicable || string(p.File) != "binary plan" {
		t.Fatalf("the pull request's plan: %+v, %v; want an applicable plan of the head", p, err)
	}
	return p
}

// savePlan stores another plan of production on the head of pull request pr, as /plan would.
func savePlan(t *testing.T, w *world, pr int, by string, applicable bool, file string) store.Plan {
	t.Helper()
	p, err := w.st.SavePlan(context.Background(), store.Plan{Repo: repo, PR: pr, Project: "production", Workspace: "default",
		SHA: fixtureHead, Changes: []byte("[]"), File: []byte(file), JSON: []byte("{}"), Applicable: applicable, RequestedBy: by})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAPlanMadeAfterApplyIsNotSwappedIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		by         string
		applicable bool
	}{
		{name: "a reader's plan with arguments of their own", by: "mallory", applicable: false},
		{name: "another writer's plan", by: "bob", applicable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := requiring(t, onCommentConfig)
			tf := w.deps.Terraform.(*fakeTerraform)
			id := queueSavedApply(t, w, writersPlan(t, w).ID)
			// Between the `/apply` and its job, someone comments `/plan -p production -- -destroy`.
			savePlan(t, w, 2, tt.by, tt.applicable, "destroy everything")
			j := runQueued(t, w, id)
			if j.State != store.Succeeded || len(tf.applied) != 1 || tf.applied[0] != "binary plan" {
				t.Errorf("job %s (%s) applied %q; want the plan that was newest when `/apply` was written", j.State, j.Error, tf.applied)
			}
		})
	}
}

func TestAReadersPlanIsNeverApplied(t *testing.T) {
	t.Parallel()
	w := requiring(t, onCommentConfig)
	tf := w.deps.Terraform.(*fakeTerraform)
	reader := savePlan(t, w, 2, "mallory", false, "destroy everything")
	j := runQueued(t, w, queueSavedApply(t, w, reader.ID))
	if j.State != store.Failed || len(tf.applied) != 0 || !strings.Contains(j.Error, "may not apply") {
		t.Errorf("job %s (%q), applies %q; want the reader's plan refused and nothing applied", j.State, j.Error, tf.applied)
	}
	if c := applyComment(t, w); !strings.Contains(c, "mallory, who may not apply") {
		t.Errorf("the apply comment does not say why:\n%s", c)
	}
}

func TestAWritersApplyIsRefusedWhenTheNewestPlanIsAReaders(t *testing.T) {
	t.Parallel()
	w := requiring(t, onCommentConfig)
	tf := w.deps.Terraform.(*fakeTerraform)
	savePlan(t, w, 2, "mallory", false, "destroy everything")
	jobs := w.deliver(t, "issue_comment", fixtures.Edit(t, w.comment(t, "alice", "/apply"), map[string]any{"issue.number": 2}))
	all := w.gh.Comments(repo, 2)
	reply := all[len(all)-1].Body
	if len(jobs) != 1 || len(tf.applied) != 0 || !strings.Contains(reply, "last planned by a user who may not apply it") {
		t.Errorf("jobs %d, applies %q, reply %q; want a refusal and nothing queued or applied", len(jobs), tf.applied, reply)
	}
}

func TestAPinnedPlanOfAnotherPullRequestIsRefused(t *testing.T) {
	t.Parallel()
	w := requiring(t, onCommentConfig)
	tf := w.deps.Terraform.(*fakeTerraform)
	other := savePlan(t, w, 3, "bob", true, "pull request 3's plan")
	j := runQueued(t, w, queueSavedApply(t, w, other.ID))
	if j.State != store.Failed || len(tf.applied) != 0 || !strings.Contains(j.Error, "not a plan of production on this pull request") {
		t.Errorf("job %s (%q), applies %q; want the other pull request's plan refused", j.State, j.Error, tf.applied)
	}
}

func TestChangesRequestedAfterApplyHoldTheQueuedApply(t *testing.T) {
	t.Parallel()
	w := requiring(t, strings.Replace(onCommentConfig, "{on: comment}", "{on: comment, requires: [approved]}", 1))
	tf := w.deps.Terraform.(*fakeTerraform)
	w.gh.AddReview(repo, 2, "bob", "APPROVED")
	id := queueSavedApply(t, w, writersPlan(t, w).ID, config.RequireApproved)
	// Before the job runs, bob asks for changes.
	w.gh.AddReview(repo, 2, "bob", "CHANGES_REQUESTED")
	j := runQueued(t, w, id)
	c := applyComment(t, w)
	if j.State != store.Succeeded || fmt.Sprint(result(t, j)["held"]) != "requirements" || len(tf.applied) != 0 {
		t.Errorf("job %s (%s), result %s, %d applies; want held for requirements", j.State, j.Error, j.Result, len(tf.applied))
	}
	for _, want := range []string{"changes are requested by `bob`", "Once they hold, apply it with: `/apply -p production`"} {
		if !strings.Contains(c, want) {
			t.Errorf("the apply comment does not say %q:\n%s", want, c)
		}
	}
}

// costConfig limits production's monthly cost increase to $20; a NAT gateway costs $32.85.
const costConfig = `version: 1
projects:
  - name: production
    dir: terraform/envs/production
    cost: {max_monthly_increase: 20}
`

func costWorld(t *testing.T, cfg, head, atMerge string) *world {
	t.Helper()
	w := newWorld(t)
	w.deps.Catalog = cost.Embedded()
	w.gh.SetTarball(repo, fixtureHead, map[string]string{"terraform/envs/production/main.tf": head})
	w.gh.SetTarball(repo, mergeSHA, map[string]string{"terraform/envs/production/main.tf": atMerge})
	w.gh.SetFile(repo, "main", ".gantry.yaml", cfg)
	w.gh.SetPermission(repo, "alice", "write")
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, User: "alice", HeadSHA: fixtureHead, BaseRef: "main",
		Files: []string{"terraform/envs/production/main.tf"}})
	w.deliver(t, "pull_request", prOpened(t, 2))
	return w
}

func command(t *testing.T, w *world, body string) []store.Job {
	t.Helper()
	return w.deliver(t, "issue_comment", fixtures.Edit(t, w.comment(t, "alice", body), map[string]any{"issue.number": 2}))
}

func mustHoldForCost(t *testing.T, w *world, j store.Job) {
	t.Helper()
	o := outcome(t, w, j)
	if j.State != store.Succeeded || o.held != "cost" || o.check != "neutral" || o.deployment != "queued" || o.applied != 0 {
		t.Errorf("job %s (%s) held %q, check run %q, deployment %q, %d applies; want held for cost", j.State, j.Error, o.held, o.check, o.deployment, o.applied)
	}
	for _, want := range []string{"above the project's limit of $20.00", "`/apply -p production --confirm-cost`"} {
		if !strings.Contains(o.comment, want) {
			t.Errorf("the held comment does not say %q:\n%s", want, o.comment)
		}
	}
}

func lastApply(t *testing.T, jobs []store.Job) store.Job {
	t.Helper()
	for i := len(jobs) - 1; i >= 0; i-- {
		if jobs[i].Kind == flow.KindApply {
			return jobs[i]
		}
	}
	t.Fatalf("no apply among jobs %+v", jobs)
	return store.Job{}
}

func TestAMergeAboveTheCostLimitWaitsForConfirmCost(t *testing.T) {
	t.Parallel()
	w := costWorld(t, costConfig, "nat", "nat")
	mustHoldForCost(t, w, mergeIt(t, w, fixtureHead))

	mustApply(t, w, lastApply(t, command(t, w, "/apply -p production --confirm-cost")))
}

func TestAConfirmedDriftAboveTheCostLimitStillWaitsForConfirmCost(t *testing.T) {
	t.Parallel()
	// The pull request showed a free change; the merge commit's plan adds a NAT gateway.
	w := costWorld(t, costConfig, "fast", "nat")
	j := mergeIt(t, w, fixtureHead)
	if o := outcome(t, w, j); o.held != "drift" {
		t.Fatalf("merge held %q, want drift first", o.held)
	}
	mustHoldForCost(t, w, lastApply(t, command(t, w, "/apply -p production --confirm-drift")))
	mustApply(t, w, lastApply(t, command(t, w, "/apply -p production --confirm-drift --confirm-cost")))
}

func TestApplyBeforeMergeAboveTheCostLimitNeedsConfirmCost(t *testing.T) {
	t.Parallel()
	w := costWorld(t, strings.Replace(costConfig, "    cost:", "    apply: {on: comment}\n    cost:", 1), "nat", "nat")
	tf := w.deps.Terraform.(*fakeTerraform)
	command(t, w, "/apply")
	all := w.gh.Comments(repo, 2)
	if reply := all[len(all)-1].Body; !strings.Contains(reply, "`/apply -p production --confirm-cost`") || len(tf.applied) != 0 {
		t.Fatalf("reply %q, %d applies; want a refusal naming --confirm-cost and nothing applied", reply, len(tf.applied))
	}
	command(t, w, "/apply --confirm-cost")
	if len(tf.applied) != 1 || !strings.Contains(applyComment(t, w), "applied `ec26c3e`") {
		t.Errorf("after --confirm-cost: %d applies; want the saved plan applied", len(tf.applied))
	}
}
