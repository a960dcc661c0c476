package flow_test

import (
	"context"
	"errors"
	"testing"

	"github.com/classla/gantry/internal/store"
)

func TestAMergedPullRequestsPlansGoWhenItsAppliesAreDone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	w.gh.SetPermission(repo, "alice", "write")
	planned(t, w, "fast", "nat") // the merge commit's plan differs: the apply is held
	w.deliver(t, "pull_request", merged(t))
	held, err := w.st.LatestPlan(ctx, repo, 2, "production")
	if err != nil {
		t.Fatalf("while the apply waits for confirmation the plan it compares with is gone: %v", err)
	}
	if len(held.File) != 0 || len(held.JSON) != 0 || len(held.Changes) == 0 {
		t.Errorf("while the apply waits: file %d bytes, JSON %d bytes, changes %q; want only the changes kept",
			len(held.File), len(held.JSON), held.Changes)
	}
	w.deliver(t, "issue_comment", w.onPR(t, 2, "alice", "/apply -p production --confirm-drift"))
	if _, err := w.st.LatestPlan(ctx, repo, 2, "production"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after the last apply the merged pull request's plan is still stored (%v)", err)
	}
}
