package flow_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/store"
)

// racingStore makes the two deliveries of a merge look for its apply at the same moment: a
// lookup of jobs by an apply's key answers only once the other lookup has read too (or after a
// second), so neither sees what the other queues next.
type racingStore struct {
	store.Store
	mu      sync.Mutex
	waiting int
	both    chan struct{}
}

func (r *racingStore) ListJobs(ctx context.Context, f store.JobFilter) ([]store.Job, error) {
	jobs, err := r.Store.ListJobs(ctx, f)
	if strings.HasPrefix(f.Key, "apply:") {
		r.mu.Lock()
		r.waiting++
		if r.waiting == 2 {
			close(r.both)
		}
		r.mu.Unlock()
		select {
		case <-r.both:
		case <-time.After(time.Second):
		}
	}
	return jobs, err
}

func TestAMergeAndItsPushRunningAtOnceApplyOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tf := w.deps.Terraform.(*fakeTerraform)
	planned(t, w, "fast", "fast")
	// GitHub has not linked the merge commit to its pull request yet, so the push looks direct.
	w.gh.SetCommit(repo, mergeSHA, []string{"terraform/envs/production/main.tf"}, nil)
	push := directPush(t, fixtureHead, mergeSHA, map[string][]string{mergeSHA: {"terraform/envs/production/main.tf"}}, []string{mergeSHA})
	w.deps.Store = &racingStore{Store: w.st, both: make(chan struct{})}
	handlers := flow.Handlers(w.deps)
	ctx := context.Background()
	for i, d := range []struct {
		event   string
		payload []byte
	}{{"pull_request", merged(t)}, {"push", push}} {
		id := "racing-" + d.event
		routed, err := w.intake.Route(d.event, id, d.payload)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.st.RecordDelivery(ctx, store.Delivery{ID: id, Event: d.event}, routed.Jobs); err != nil || len(routed.Jobs) != 1 {
			t.Fatalf("delivery %d: %d jobs, %v", i, len(routed.Jobs), err)
		}
	}
	// Both deliveries' jobs run at the same time, on two workers.
	var wg sync.WaitGroup
	for range 2 {
		j, ok, err := w.st.ClaimJob(ctx, "worker", time.Minute)
		if err != nil || !ok {
			t.Fatalf("ClaimJob: %v, %v", ok, err)
		}
		wg.Go(func() {
			h, _ := handlers.Handler(j.Kind)
			res, err := h.Run(ctx, j, w.deps.Log)
			out := store.Outcome{State: store.Succeeded, Result: res}
			if err != nil {
				out = store.Outcome{State: store.Failed, Error: err.Error()}
			}
			if err := w.st.FinishJob(ctx, j.ID, "worker", out); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	w.deliver(t, "ping", []byte(`{}`)) // runs what they queued
	applies, _ := w.st.ListJobs(ctx, store.JobFilter{Kind: flow.KindApply})
	if len(applies) != 1 || len(tf.applied) != 1 {
		t.Errorf("%d apply jobs and %d applies for one merge, want 1 and 1", len(applies), len(tf.applied))
	}
}
