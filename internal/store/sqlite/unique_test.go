package sqlite

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/classla/gantry/internal/store"
)

// Two replicas sharing one database have no write gate in common: only the database can keep
// a merge's closed pull request (on one) and its push (on the other) from both queueing the apply.
func TestTwoReplicasQueueAUniqueJobOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gantry.db")
	var replicas []*Store
	for range 2 {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		replicas = append(replicas, s)
	}
	const perReplica = 8
	nj := store.NewJob{Kind: "apply", Repo: "acme/infra", SHA: "0123456", Key: "apply:acme/infra@0123456:production", Unique: true}
	var mu sync.Mutex
	created := 0
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, s := range replicas {
		for range perReplica {
			wg.Go(func() {
				<-start
				_, err := s.EnqueueJob(t.Context(), nj)
				if err != nil && !errors.Is(err, store.ErrDuplicate) {
					t.Errorf("EnqueueJob: %v", err)
				}
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					created++
				}
			})
		}
	}
	close(start)
	wg.Wait()
	jobs, err := replicas[0].ListJobs(t.Context(), store.JobFilter{Key: nj.Key})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || created != 1 {
		t.Errorf("%d jobs queued and %d callers told they queued it, want 1 and 1", len(jobs), created)
	}
}
