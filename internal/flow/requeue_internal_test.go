package flow

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/classla/gantry/internal/config"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/render"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/sqlite"
)

// These tests call requeueHeldDeploys as runApply does when an apply succeeds: the apply's job
// is still running, its success not yet recorded.

const heldRepo, heldSHA = "classla/lms", "9f3c2e1a9f3c2e1a9f3c2e1a9f3c2e1a9f3c2e1a"

type heldMerge struct {
	t  *testing.T
	st store.Store
}

func newHeldMerge(t *testing.T) *heldMerge {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &heldMerge{t: t, st: st}
}

// run queues a job and claims it; finish ends it with result.
func (h *heldMerge) run(kind string, s any) store.Job {
	h.t.Helper()
	ctx := h.t.Context()
	if _, err := h.st.EnqueueJob(ctx, store.NewJob{Kind: kind, InstallationID: 7, Repo: heldRepo, PR: 2, SHA: heldSHA, Spec: spec(s)}); err != nil {
		h.t.Fatal(err)
	}
	j, ok, err := h.st.ClaimJob(ctx, "w", time.Minute)
	if err != nil || !ok {
		h.t.Fatalf("ClaimJob: %v, %v", ok, err)
	}
	return j
}

func (h *heldMerge) finish(j store.Job, state store.JobState, result any) {
	h.t.Helper()
	b, _ := json.Marshal(result)
	if err := h.st.FinishJob(h.t.Context(), j.ID, "w", store.Outcome{State: state, Result: b}); err != nil {
		h.t.Fatal(err)
	}
}

func applyOf(project string) ApplySpec {
	return ApplySpec{Number: 2, SHA: heldSHA, Trigger: "merge", Project: config.Project{Name: project, Workspace: "default"}}
}

// heldDeploy is backend's deployment of the merge, held back by the applies named.
func (h *heldMerge) heldDeploy(projects ...string) store.Job {
	d := h.run(KindDeploy, DeploySpec{Number: 2, SHA: heldSHA, Service: config.Service{Name: "backend"}, Applies: []string{"production", "staging"}})
	var blocked []render.HeldApply
	for _, p := range projects {
		blocked = append(blocked, render.HeldApply{Project: p, Reason: "drift"})
	}
	h.finish(d, store.Succeeded, deployResult{Blocked: blocked})
	return d
}

func (h *heldMerge) requeue(apply store.Job, s ApplySpec) []int64 {
	h.t.Helper()
	r, _ := gh.ParseRepo(heldRepo)
	ids, err := requeueHeldDeploys(context.Background(), &task[ApplySpec]{Deps: Deps{Store: h.st}, Job: apply, Spec: s, Repo: r})
	if err != nil {
		h.t.Fatalf("requeueHeldDeploys: %v", err)
	}
	return ids
}

func (h *heldMerge) queuedDeploys() []store.Job {
	jobs, err := h.st.ListJobs(h.t.Context(), store.JobFilter{Kind: KindDeploy, States: []store.JobState{store.Queued}})
	if err != nil {
		h.t.Fatal(err)
	}
	return jobs
}

func TestAConfirmedApplyQueuesTheDeploymentItHeldBackOnce(t *testing.T) {
	t.Parallel()
	h := newHeldMerge(t)
	h.finish(h.run(KindApply, applyOf("production")), store.Succeeded, applyResult{Held: "drift"})
	h.finish(h.run(KindApply, applyOf("staging")), store.Succeeded, applyResult{Applied: true})
	held := h.heldDeploy("production")
	confirmed := h.run(KindApply, applyOf("production")) // `/apply -p production --confirm-drift`, applying now
	ids := h.requeue(confirmed, applyOf("production"))
	queued := h.queuedDeploys()
	if len(ids) != 1 || len(queued) != 1 || queued[0].ID != ids[0] {
		t.Fatalf("queued %v, deployments waiting %d; want backend's deployment queued again", ids, len(queued))
	}
	if string(queued[0].Spec) != string(held.Spec) || queued[0].PR != 2 || queued[0].SHA != heldSHA {
		t.Errorf("queued %s for #%d at %s, want the held deployment's spec %s", queued[0].Spec, queued[0].PR, queued[0].SHA, held.Spec)
	}
	// It is claimed once the confirmed apply has ended.
	if want := applyMutex(heldRepo, applyOf("production").Project); queued[0].Mutex != want {
		t.Errorf("mutex %q, want the apply's %q", queued[0].Mutex, want)
	}
	if again := h.requeue(confirmed, applyOf("production")); len(again) != 0 || len(h.queuedDeploys()) != 1 {
		t.Errorf("a second call queued %v, want nothing more", again)
	}
}

func TestAConfirmedApplyLeavesTheDeploymentHeldWhileAnotherApplyFailed(t *testing.T) {
	t.Parallel()
	h := newHeldMerge(t)
	h.finish(h.run(KindApply, applyOf("production")), store.Succeeded, applyResult{Held: "drift"})
	h.finish(h.run(KindApply, applyOf("staging")), store.Failed, nil)
	h.heldDeploy("production", "staging")
	confirmed := h.run(KindApply, applyOf("production"))
	if ids := h.requeue(confirmed, applyOf("production")); len(ids) != 0 {
		t.Errorf("queued %v while staging's apply has failed, want nothing", ids)
	}
	h.finish(confirmed, store.Succeeded, applyResult{Applied: true})
	retried := h.run(KindApply, applyOf("staging")) // `/apply -p staging`
	if ids := h.requeue(retried, applyOf("staging")); len(ids) != 1 {
		t.Errorf("after the retried apply of staging, queued %v; want backend's deployment", ids)
	}
}

func TestTwoAppliesOfTheMergeSucceedingAtOnceQueueTheHeldDeploymentOnce(t *testing.T) {
	t.Parallel()
	h := newHeldMerge(t)
	h.finish(h.run(KindApply, applyOf("production")), store.Succeeded, applyResult{Held: "drift"})
	h.finish(h.run(KindApply, applyOf("staging")), store.Succeeded, applyResult{Held: "cost"})
	h.heldDeploy("production", "staging")
	production, staging := h.run(KindApply, applyOf("production")), h.run(KindApply, applyOf("staging"))
	var wg sync.WaitGroup
	wg.Go(func() { h.requeue(production, applyOf("production")) })
	wg.Go(func() { h.requeue(staging, applyOf("staging")) })
	wg.Wait()
	if n := len(h.queuedDeploys()); n != 1 {
		t.Errorf("%d deployments of backend queued, want 1", n)
	}
}

func TestADeploymentThatRanIsNotQueuedAgain(t *testing.T) {
	t.Parallel()
	h := newHeldMerge(t)
	h.finish(h.run(KindApply, applyOf("production")), store.Succeeded, applyResult{Applied: true})
	h.finish(h.run(KindDeploy, DeploySpec{SHA: heldSHA, Service: config.Service{Name: "backend"}}), store.Succeeded, deployResult{DeploymentID: 1})
	retried := h.run(KindApply, applyOf("production"))
	if ids := h.requeue(retried, applyOf("production")); len(ids) != 0 {
		t.Errorf("queued %v for a service already deployed, want nothing", ids)
	}
}
