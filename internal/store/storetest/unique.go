package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/store"
)

// uniqueJob is the apply of a merge commit, which its closed pull request and its push both queue.
func uniqueJob(key string) store.NewJob {
	nj := newJob("apply", "acme/infra", 7, key)
	nj.Unique = true
	return nj
}

func uniqueConcurrently(t *testing.T, s store.Store) {
	ctx := t.Context()
	const callers = 16
	key := "apply:acme/infra@0123456:production"
	type answer struct {
		job store.Job
		err error
	}
	answers := make([]answer, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			j, err := s.EnqueueJob(ctx, uniqueJob(key))
			answers[i] = answer{j, err}
		})
	}
	close(start)
	wg.Wait()
	var created []int64
	for i, a := range answers {
		switch {
		case a.err == nil:
			created = append(created, a.job.ID)
		case !errors.Is(a.err, store.ErrDuplicate):
			t.Errorf("caller %d: EnqueueJob: %v, want success or ErrDuplicate", i, a.err)
		}
	}
	if len(created) != 1 {
		t.Fatalf("%d callers were told they queued the job (IDs %v), want exactly 1", len(created), created)
	}
	for i, a := range answers {
		if a.job.ID != created[0] || a.job.Key != key || !a.job.Unique {
			t.Errorf("caller %d got job %d (key %q, unique %v), want the one job %d", i, a.job.ID, a.job.Key, a.job.Unique, created[0])
		}
	}
	jobs, err := s.ListJobs(ctx, store.JobFilter{Key: key})
	if err != nil || len(jobs) != 1 || jobs[0].ID != created[0] {
		t.Errorf("ListJobs(key) = IDs %v, %v; want only %d", ids(jobs), err, created[0])
	}
}

func uniqueStaysTaken(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := mustEnqueue(t, s, uniqueJob("k"))[0]
	// Finished work keeps its key: the push that arrives after the merge was applied queues nothing.
	mustClaim(t, s, "w", time.Minute)
	if err := s.FinishJob(ctx, first.ID, "w", store.Outcome{State: store.Succeeded}); err != nil {
		t.Fatal(err)
	}
	j, err := s.EnqueueJob(ctx, uniqueJob("k"))
	if !errors.Is(err, store.ErrDuplicate) || j.ID != first.ID || j.State != store.Succeeded {
		t.Errorf("EnqueueJob of a key held by a finished job = job %d (%s), %v; want job %d and ErrDuplicate", j.ID, j.State, err, first.ID)
	}
}

func uniqueBesideOthers(t *testing.T, s store.Store) {
	ctx := t.Context()
	// A retried apply (without Unique) shares the key of the merge's apply, before and after it.
	plain := newJob("apply", "acme/infra", 7, "k")
	jobs := mustEnqueue(t, s, plain, uniqueJob("k"), plain, uniqueJob("other"))
	if _, err := s.EnqueueJob(ctx, uniqueJob("k")); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("a second unique job of key k: %v, want ErrDuplicate", err)
	}
	got, err := s.ListJobs(ctx, store.JobFilter{Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{jobs[0].ID, jobs[1].ID, jobs[2].ID}, ids(got)); diff != "" {
		t.Errorf("jobs of key k (-want +got):\n%s", diff)
	}
	if got[0].Unique || !got[1].Unique || got[2].Unique {
		t.Errorf("Unique read back as %v, %v, %v; want false, true, false", got[0].Unique, got[1].Unique, got[2].Unique)
	}
}

func uniqueNeedsKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := s.EnqueueJob(ctx, uniqueJob("")); err == nil || errors.Is(err, store.ErrDuplicate) {
		t.Errorf("EnqueueJob of a unique job without a key: %v, want an error other than ErrDuplicate", err)
	}
	if all, err := s.ListJobs(ctx, store.JobFilter{}); err != nil || len(all) != 0 {
		t.Errorf("ListJobs = %d jobs, %v; want none", len(all), err)
	}
}

func uniqueInDelivery(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustEnqueue(t, s, uniqueJob("k"))
	d := delivery(t, "d-dup")
	recorded, err := s.RecordDelivery(ctx, d, []store.NewJob{newJob("plan", "acme/infra", 7, ""), uniqueJob("k")})
	if recorded || !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("RecordDelivery with a taken unique key = %v, %v; want not recorded, ErrDuplicate", recorded, err)
	}
	if all, err := s.ListJobs(ctx, store.JobFilter{}); err != nil || len(all) != 1 {
		t.Errorf("ListJobs = %d jobs, %v; want only the first", len(all), err)
	}
}

func listJobsOfCommit(t *testing.T, s store.Store) {
	ctx := t.Context()
	var want []int64
	for i, sha := range []string{"aaa", "bbb", "aaa"} {
		nj := newJob("apply", "acme/infra", 7, fmt.Sprint("k", i))
		nj.SHA = sha
		j := mustEnqueue(t, s, nj)[0]
		if sha == "aaa" {
			want = append(want, j.ID)
		}
	}
	other := newJob("apply", "acme/web", 7, "")
	other.SHA = "aaa"
	mustEnqueue(t, s, other)
	got, err := s.ListJobs(ctx, store.JobFilter{Repo: "acme/infra", SHA: "aaa"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, ids(got)); diff != "" {
		t.Errorf("ListJobs(repo, sha) IDs (-want +got):\n%s", diff)
	}
}
