package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/store"
)

var queueCases = []contractCase{
	{"an enqueued job is queued and can be read back", enqueueReadsBack},
	{"a job without a kind is refused", enqueueKindless},
	{"an unknown job is not found", jobUnknown},
	{"jobs are listed oldest first and filtered", listJobs},
	{"jobs are counted per state", countJobs},
	{"jobs are listed by repository and commit", listJobsOfCommit},
	{"many callers queueing one unique key make one job, and each learns whether it made it", uniqueConcurrently},
	{"a unique key stays taken after its job finished", uniqueStaysTaken},
	{"jobs without Unique share a unique job's key", uniqueBesideOthers},
	{"a unique job without a key is refused", uniqueNeedsKey},
	{"a delivery with a unique job whose key is taken records nothing", uniqueInDelivery},
}

func listJobs(t *testing.T, s store.Store) {
	ctx := t.Context()
	// A and B come with delivery d1 (A then B); C, D, E are enqueued after them.
	// A runs and succeeds, B is claimed and running, C, D, E are queued.
	if _, err := s.RecordDelivery(ctx, store.Delivery{ID: "d1", Event: "pull_request", Repo: "acme/infra"}, []store.NewJob{
		newJob("plan", "acme/infra", 1, "acme/infra#1/prod"),
		newJob("apply", "acme/infra", 1, "acme/infra#1/prod"),
	}); err != nil {
		t.Fatalf("RecordDelivery: %v", err)
	}
	mustEnqueue(t, s, newJob("plan", "acme/infra", 2, "acme/infra#2/prod"), newJob("plan", "acme/web", 1, "acme/web#1/prod"),
		newJob("deploy", "acme/web", 0, ""))
	all, err := s.ListJobs(ctx, store.JobFilter{})
	if err != nil || len(all) != 5 {
		t.Fatalf("ListJobs() = %d jobs, %v; want 5", len(all), err)
	}
	a, b, c, d, e := all[0].ID, all[1].ID, all[2].ID, all[3].ID, all[4].ID
	if !(a < b && b < c && c < d && d < e) {
		t.Fatalf("ListJobs() IDs %v are not ascending", ids(all))
	}
	if got := mustClaim(t, s, "w", time.Minute); got.ID != a {
		t.Fatalf("claimed job %d, want the oldest, %d", got.ID, a)
	}
	if err := s.FinishJob(ctx, a, "w", store.Outcome{State: store.Succeeded}); err != nil {
		t.Fatal(err)
	}
	mustClaim(t, s, "w", time.Minute)

	tests := []struct {
		name   string
		filter store.JobFilter
		want   []int64
	}{
		{"no filter lists every job oldest first", store.JobFilter{}, []int64{a, b, c, d, e}},
		{"a state lists the jobs in it", store.JobFilter{States: []store.JobState{store.Queued}}, []int64{c, d, e}},
		{"several states list the jobs in any of them", store.JobFilter{States: []store.JobState{store.Running, store.Succeeded}}, []int64{a, b}},
		{"a kind lists the jobs of that kind", store.JobFilter{Kind: "plan"}, []int64{a, c, d}},
		{"a repository lists its jobs", store.JobFilter{Repo: "acme/web"}, []int64{d, e}},
		{"a pull request number matches across repositories", store.JobFilter{PR: 1}, []int64{a, b, d}},
		{"a repository and a pull request list that PR's jobs", store.JobFilter{Repo: "acme/infra", PR: 1}, []int64{a, b}},
		{"a key lists the jobs that supersede each other", store.JobFilter{Key: "acme/infra#1/prod"}, []int64{a, b}},
		{"a delivery lists the jobs it made", store.JobFilter{DeliveryID: "d1"}, []int64{a, b}},
		{"a limit keeps the oldest jobs", store.JobFilter{Limit: 2}, []int64{a, b}},
		{"filters combine", store.JobFilter{Kind: "plan", States: []store.JobState{store.Queued}, Limit: 1}, []int64{c}},
		{"a filter nothing matches lists nothing", store.JobFilter{Kind: "rollback"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListJobs(ctx, tt.filter)
			if err != nil {
				t.Fatalf("ListJobs: %v", err)
			}
			if diff := cmp.Diff(tt.want, ids(got), cmpOpts); diff != "" {
				t.Errorf("ListJobs(%+v) IDs (-want +got):\n%s", tt.filter, diff)
			}
		})
	}
}

func enqueueReadsBack(t *testing.T, s store.Store) {
	ctx := t.Context()
	nj := newJob("deploy", "acme/app", 0, "acme/app/backend")
	nj.Spec = binary(`{"service":"backend"}`)
	from := time.Now()
	j, err := s.EnqueueJob(ctx, nj)
	to := time.Now()
	if err != nil {
		t.Fatalf("EnqueueJob: %v", err)
	}
	if j.ID == 0 || j.State != store.Queued || j.Attempts != 0 || j.Owner != "" {
		t.Errorf("EnqueueJob = id %d, %s, %d attempts, owner %q; want an id, queued, 0, no owner", j.ID, j.State, j.Attempts, j.Owner)
	}
	if diff := cmp.Diff(nj, j.NewJob, cmpOpts); diff != "" {
		t.Errorf("EnqueueJob (-given +stored):\n%s", diff)
	}
	checkClock(t, "CreatedAt", j.CreatedAt, from, to)
	if diff := cmp.Diff(j, mustGetJob(t, s, j.ID), cmpOpts); diff != "" {
		t.Errorf("GetJob (-enqueued +read):\n%s", diff)
	}
}

func enqueueKindless(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := s.EnqueueJob(ctx, store.NewJob{Repo: "acme/app"}); err == nil {
		t.Error("EnqueueJob of a job without a kind succeeded, want an error")
	}
	if all, err := s.ListJobs(ctx, store.JobFilter{}); err != nil || len(all) != 0 {
		t.Errorf("ListJobs = %d jobs, %v; want none", len(all), err)
	}
}

func jobUnknown(t *testing.T, s store.Store) {
	if _, err := s.GetJob(t.Context(), 987654); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetJob: err %v, want ErrNotFound", err)
	}
}

func countJobs(t *testing.T, s store.Store) {
	ctx := t.Context()
	empty, err := s.CountJobs(ctx)
	if err != nil {
		t.Fatalf("CountJobs: %v", err)
	}
	for _, st := range []store.JobState{store.Queued, store.Running, store.Succeeded, store.Failed, store.Canceled} {
		if empty[st] != 0 {
			t.Errorf("an empty store counts %d %s jobs", empty[st], st)
		}
	}

	// Five jobs, claimed in order: 1 succeeds, 2 fails, 3 runs, 4 waits, 5 is canceled.
	mustEnqueue(t, s, newJob("plan", "a/r", 1, ""), newJob("plan", "a/r", 2, ""), newJob("plan", "a/r", 3, ""),
		newJob("plan", "a/r", 4, ""), newJob("plan", "a/r", 5, "superseded"))
	first, second := mustClaim(t, s, "w", time.Minute), mustClaim(t, s, "w", time.Minute)
	mustClaim(t, s, "w", time.Minute)
	if err := s.FinishJob(ctx, first.ID, "w", store.Outcome{State: store.Succeeded}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishJob(ctx, second.ID, "w", store.Outcome{State: store.Failed, Error: "boom"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CancelJobs(ctx, "superseded", 0); err != nil {
		t.Fatal(err)
	}
	counts, err := s.CountJobs(ctx)
	if err != nil {
		t.Fatalf("CountJobs: %v", err)
	}
	for st, want := range map[store.JobState]int{store.Queued: 1, store.Running: 1, store.Succeeded: 1, store.Failed: 1, store.Canceled: 1} {
		if counts[st] != want {
			t.Errorf("CountJobs()[%s] = %d, want %d", st, counts[st], want)
		}
	}
}
