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

// A merge whose closed pull request was handled before the upgrade must not be applied again by
// its push handled after it: the apply queued then keeps its key.
func TestAnApplyQueuedBeforeTheUpgradeKeepsItsKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gantry.db")
	db := rawDB(t, path)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Version >= 5 {
			break
		}
		if _, err := db.Exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := db.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)", m.Version); err != nil {
			t.Fatal(err)
		}
	}
	const apply, deploy, plan = "apply:acme/infra@abc:production", "deploy:acme/infra@abc:backend", "pr:acme/infra#7"
	// The merge's apply, then a retried one; the deployment; two plans of a pull request.
	for _, j := range []struct{ kind, key string }{{"apply", apply}, {"apply", apply}, {"deploy", deploy}, {"plan", plan}, {"plan", plan}} {
		if _, err := db.Exec(`INSERT INTO jobs (kind, installation_id, repo, pr, sha, job_key, max_attempts, state, created_at)
			VALUES (?, 7, 'acme/infra', 7, 'abc', ?, 1, 'succeeded', 0)`, j.kind, j.key); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	for _, tt := range []struct {
		kind, key  string
		wantHeldBy int64
	}{{"apply", apply, 1}, {"deploy", deploy, 3}, {"plan", plan, 0}} {
		j, err := s.EnqueueJob(t.Context(), store.NewJob{Kind: tt.kind, Repo: "acme/infra", Key: tt.key, Unique: true})
		switch {
		case tt.wantHeldBy != 0 && (!errors.Is(err, store.ErrDuplicate) || j.ID != tt.wantHeldBy):
			t.Errorf("a unique %s of %s = job %d, %v; want ErrDuplicate and job %d", tt.kind, tt.key, j.ID, err, tt.wantHeldBy)
		case tt.wantHeldBy == 0 && err != nil:
			t.Errorf("a unique %s of %s: %v; want it queued (plans never held their keys)", tt.kind, tt.key, err)
		}
	}
}
