package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/store"
)

func plan(repo string, pr int, project, sha string) store.Plan {
	return store.Plan{
		Repo:      repo,
		PR:        pr,
		Project:   project,
		Workspace: "default",
		SHA:       sha,
		Changes:   []byte(`[{"address":"aws_nat_gateway.this[1]","action":"delete"}]`),
		File:      binary("PK\x03\x04" + sha), // plan files are zip archives
		JSON:      []byte(`{"format_version":"1.2","sha":"` + sha + `"}`),
	}
}

// mustSavePlan saves p and fails t on error.
func mustSavePlan(t *testing.T, s store.Store, p store.Plan) store.Plan {
	t.Helper()
	saved, err := s.SavePlan(t.Context(), p)
	if err != nil {
		t.Fatalf("SavePlan: %v", err)
	}
	return saved
}

var planCases = []contractCase{
	{"a saved plan gets an ID and its creation time", planSaved},
	{"the latest plan is the newest of that project on that PR, bytes intact", planLatest},
	{"a project that was never planned has no latest plan", planNone},
	{"deleting a PR's plans leaves other PRs' plans", planDelete},
	{"a plan's cost and its hold are kept; an unpriced plan has no cost", planCost},
}

func planCost(t *testing.T, s store.Store) {
	ctx := t.Context()
	held := plan("acme/infra", 7, "production", "aaaa")
	delta := 212.5
	held.MonthlyCostDelta, held.CostExceeded = &delta, true
	mustSavePlan(t, s, held)
	mustSavePlan(t, s, plan("acme/infra", 7, "staging", "aaaa"))
	got, err := s.LatestPlan(ctx, "acme/infra", 7, "production")
	if err != nil {
		t.Fatal(err)
	}
	if got.MonthlyCostDelta == nil || *got.MonthlyCostDelta != 212.5 || !got.CostExceeded {
		t.Errorf("cost %v exceeded %v, want 212.5 and true", got.MonthlyCostDelta, got.CostExceeded)
	}
	got, err = s.LatestPlan(ctx, "acme/infra", 7, "staging")
	if err != nil {
		t.Fatal(err)
	}
	if got.MonthlyCostDelta != nil || got.CostExceeded {
		t.Errorf("an unpriced plan reads cost %v exceeded %v, want nil and false", got.MonthlyCostDelta, got.CostExceeded)
	}
}

func planSaved(t *testing.T, s store.Store) {
	p := plan("acme/infra", 7, "production", "aaaa")
	from := time.Now()
	saved := mustSavePlan(t, s, p)
	to := time.Now()
	if saved.ID == 0 {
		t.Error("SavePlan returned ID 0")
	}
	checkClock(t, "CreatedAt", saved.CreatedAt, from, to)
	p.ID, p.CreatedAt = saved.ID, saved.CreatedAt
	if diff := cmp.Diff(p, saved, cmpOpts); diff != "" {
		t.Errorf("SavePlan (-given +saved):\n%s", diff)
	}
}

func planLatest(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustSavePlan(t, s, plan("acme/infra", 7, "production", "aaaa"))
	newest := mustSavePlan(t, s, plan("acme/infra", 7, "production", "bbbb"))
	// Saved later, but for another project, another PR and another repository.
	mustSavePlan(t, s, plan("acme/infra", 7, "staging", "cccc"))
	mustSavePlan(t, s, plan("acme/infra", 8, "production", "dddd"))
	mustSavePlan(t, s, plan("acme/web", 7, "production", "eeee"))
	got, err := s.LatestPlan(ctx, "acme/infra", 7, "production")
	if err != nil {
		t.Fatalf("LatestPlan: %v", err)
	}
	if diff := cmp.Diff(newest, got, cmpOpts); diff != "" {
		t.Errorf("LatestPlan (-newest +got):\n%s", diff)
	}
}

func planNone(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustSavePlan(t, s, plan("acme/infra", 7, "production", "aaaa"))
	if _, err := s.LatestPlan(ctx, "acme/infra", 7, "staging"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LatestPlan: err %v, want ErrNotFound", err)
	}
}

func planDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustSavePlan(t, s, plan("acme/infra", 7, "production", "aaaa"))
	mustSavePlan(t, s, plan("acme/infra", 7, "staging", "aaaa"))
	keep := []store.Plan{
		mustSavePlan(t, s, plan("acme/infra", 8, "production", "bbbb")),
		mustSavePlan(t, s, plan("acme/web", 7, "production", "cccc")),
	}
	if err := s.DeletePlans(ctx, "acme/infra", 7); err != nil {
		t.Fatalf("DeletePlans: %v", err)
	}
	for _, project := range []string{"production", "staging"} {
		if _, err := s.LatestPlan(ctx, "acme/infra", 7, project); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LatestPlan(acme/infra, 7, %s) after DeletePlans: err %v, want ErrNotFound", project, err)
		}
	}
	for _, p := range keep {
		got, err := s.LatestPlan(ctx, p.Repo, p.PR, p.Project)
		if err != nil {
			t.Errorf("LatestPlan(%s, %d, %s): %v", p.Repo, p.PR, p.Project, err)
			continue
		}
		if diff := cmp.Diff(p, got, cmpOpts); diff != "" {
			t.Errorf("plan of %s #%d (-saved +read):\n%s", p.Repo, p.PR, diff)
		}
	}
}
