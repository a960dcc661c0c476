package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/store"
)

func lock(repo, project, workspace string, pr int, user, sha string) store.Lock {
	return store.Lock{Repo: repo, Project: project, Workspace: workspace, PR: pr, User: user, SHA: sha}
}

// mustAcquire takes l and fails t unless it was acquired.
func mustAcquire(t *testing.T, s store.Store, l store.Lock) store.Lock {
	t.Helper()
	held, ok, err := s.AcquireLock(t.Context(), l)
	if err != nil || !ok {
		t.Fatalf("AcquireLock(%+v) = %+v, %v, %v; want acquired", l, held, ok, err)
	}
	return held
}

var lockCases = []contractCase{
	{"a free lock is acquired and held by the PR", lockFree},
	{"the holding PR acquires again with its new commit", lockRefresh},
	{"another PR is refused and told which PR holds the lock", lockHeldByOther},
	{"repository, project and workspace each make a different lock", lockIdentity},
	{"only the holder releases a lock", lockRelease},
	{"locks are listed in order and a PR's locks are released together", lockListRelease},
	{"only one of several PRs taking a lock at once gets it", lockConcurrently},
}

func lockListRelease(t *testing.T, s store.Store) {
	ctx := t.Context()
	// Taken out of order, so that the orderings below come from the store.
	taken := map[string]store.Lock{}
	for name, l := range map[string]store.Lock{
		"infra staging":    lock("acme/infra", "staging", "default", 7, "alice", "aaaa"),
		"web production":   lock("acme/web", "production", "default", 7, "alice", "aaaa"),
		"infra production": lock("acme/infra", "production", "default", 7, "alice", "aaaa"),
		"infra dev":        lock("acme/infra", "dev", "default", 8, "bob", "bbbb"),
		"infra prod blue":  lock("acme/infra", "production", "blue", 7, "alice", "aaaa"),
	} {
		taken[name] = mustAcquire(t, s, l)
	}

	all, err := s.ListLocks(ctx, "")
	if err != nil {
		t.Fatalf("ListLocks: %v", err)
	}
	// By repo, project, workspace: acme/infra dev, production/blue, production/default, staging; acme/web.
	want := []store.Lock{taken["infra dev"], taken["infra prod blue"], taken["infra production"], taken["infra staging"], taken["web production"]}
	if diff := cmp.Diff(want, all, cmpOpts); diff != "" {
		t.Errorf("ListLocks(\"\") (-want +got):\n%s", diff)
	}
	web, err := s.ListLocks(ctx, "acme/web")
	if err != nil {
		t.Fatalf("ListLocks: %v", err)
	}
	if diff := cmp.Diff([]store.Lock{taken["web production"]}, web, cmpOpts); diff != "" {
		t.Errorf("ListLocks(acme/web) (-want +got):\n%s", diff)
	}

	released, err := s.ReleasePRLocks(ctx, "acme/infra", 7)
	if err != nil {
		t.Fatalf("ReleasePRLocks: %v", err)
	}
	want = []store.Lock{taken["infra prod blue"], taken["infra production"], taken["infra staging"]}
	if diff := cmp.Diff(want, released, cmpOpts); diff != "" {
		t.Errorf("ReleasePRLocks (-want +got):\n%s", diff)
	}
	left, err := s.ListLocks(ctx, "")
	if err != nil {
		t.Fatalf("ListLocks: %v", err)
	}
	// PR 7's lock in acme/web and PR 8's lock stay.
	if diff := cmp.Diff([]store.Lock{taken["infra dev"], taken["web production"]}, left, cmpOpts); diff != "" {
		t.Errorf("locks left (-want +got):\n%s", diff)
	}
}

func lockFree(t *testing.T, s store.Store) {
	ctx := t.Context()
	l := lock("acme/infra", "production", "default", 7, "alice", "aaaa")
	from := time.Now()
	held := mustAcquire(t, s, l)
	to := time.Now()
	checkClock(t, "AcquiredAt", held.AcquiredAt, from, to)
	l.AcquiredAt = held.AcquiredAt
	if diff := cmp.Diff(l, held, cmpOpts); diff != "" {
		t.Errorf("AcquireLock (-asked +held):\n%s", diff)
	}
	got, err := s.GetLock(ctx, "acme/infra", "production", "default")
	if err != nil {
		t.Fatalf("GetLock: %v", err)
	}
	if diff := cmp.Diff(held, got, cmpOpts); diff != "" {
		t.Errorf("GetLock (-acquired +read):\n%s", diff)
	}
}

func lockRefresh(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := mustAcquire(t, s, lock("acme/infra", "production", "default", 7, "alice", "aaaa"))
	again := mustAcquire(t, s, lock("acme/infra", "production", "default", 7, "bob", "bbbb"))
	if again.SHA != "bbbb" || again.User != "bob" || again.PR != 7 {
		t.Errorf("refreshed lock = %+v, want PR 7 by bob at bbbb", again)
	}
	if !again.AcquiredAt.Equal(first.AcquiredAt) {
		t.Errorf("refreshing moved AcquiredAt from %v to %v; it is when the PR first took the lock", first.AcquiredAt, again.AcquiredAt)
	}
	if got, err := s.GetLock(ctx, "acme/infra", "production", "default"); err != nil || got.SHA != "bbbb" {
		t.Errorf("GetLock = %+v, %v; want SHA bbbb", got, err)
	}
}

func lockHeldByOther(t *testing.T, s store.Store) {
	ctx := t.Context()
	holder := mustAcquire(t, s, lock("acme/infra", "production", "default", 7, "alice", "aaaa"))
	held, ok, err := s.AcquireLock(ctx, lock("acme/infra", "production", "default", 8, "bob", "bbbb"))
	if err != nil || ok {
		t.Fatalf("AcquireLock by PR 8 = %v, %v; want refused", ok, err)
	}
	if diff := cmp.Diff(holder, held, cmpOpts); diff != "" {
		t.Errorf("held (-holder +reported):\n%s", diff)
	}
}

func lockIdentity(t *testing.T, s store.Store) {
	mustAcquire(t, s, lock("acme/infra", "production", "default", 7, "alice", "aaaa"))
	for _, l := range []store.Lock{
		lock("acme/infra", "production", "blue", 8, "bob", "bbbb"),
		lock("acme/infra", "staging", "default", 8, "bob", "bbbb"),
		lock("acme/other", "production", "default", 8, "bob", "bbbb"),
	} {
		mustAcquire(t, s, l)
	}
}

func lockRelease(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAcquire(t, s, lock("acme/infra", "production", "default", 7, "alice", "aaaa"))
	if err := s.ReleaseLock(ctx, "acme/infra", "production", "default", 8); err != nil {
		t.Fatalf("ReleaseLock by a PR that does not hold it: %v", err)
	}
	if got, err := s.GetLock(ctx, "acme/infra", "production", "default"); err != nil || got.PR != 7 {
		t.Fatalf("after a release by PR 8, GetLock = %+v, %v; want still PR 7", got, err)
	}
	if err := s.ReleaseLock(ctx, "acme/infra", "production", "default", 7); err != nil {
		t.Fatalf("ReleaseLock by the holder: %v", err)
	}
	if _, err := s.GetLock(ctx, "acme/infra", "production", "default"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetLock of a released lock: err %v, want ErrNotFound", err)
	}
	mustAcquire(t, s, lock("acme/infra", "production", "default", 8, "bob", "bbbb"))
}

func lockConcurrently(t *testing.T, s store.Store) {
	ctx := t.Context()
	const prs = 8
	type result struct {
		pr, heldBy int
		ok         bool
	}
	results := make([]result, prs)
	var wg sync.WaitGroup
	for i := range prs {
		wg.Go(func() {
			held, ok, err := s.AcquireLock(ctx, lock("acme/infra", "production", "default", i+1, "u", "s"))
			if err != nil {
				t.Errorf("AcquireLock by PR %d: %v", i+1, err)
			}
			results[i] = result{pr: i + 1, heldBy: held.PR, ok: ok}
		})
	}
	wg.Wait()
	var winners []int
	for _, r := range results {
		if r.ok {
			winners = append(winners, r.pr)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("PRs %v acquired the lock, want exactly one", winners)
	}
	for _, r := range results {
		if r.heldBy != winners[0] {
			t.Errorf("PR %d was told the lock is held by PR %d, want %d", r.pr, r.heldBy, winners[0])
		}
	}
}
