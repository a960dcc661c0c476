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
		// Every field round-trips: a plan of a writer, who may apply it.
		Applicable:  true,
		RequestedBy: "alice",
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
	{"a reader's plan is kept as not applicable, with who asked for it", planReader},
	{"a plan is found by its ID until its pull request's plans are deleted", planByID},
	{"deleting a PR's plan files keeps its plans' changes and cost, and other PRs' files", planDeleteFiles},
}

func planReader(t *testing.T, s store.Store) {
	ctx := t.Context()
	writer := mustSavePlan(t, s, plan("acme/infra", 7, "production", "aaaa"))
	reader := plan("acme/infra", 7, "production", "aaaa")
	reader.Applicable, reader.RequestedBy = false, "mallory"
	reader = mustSavePlan(t, s, reader)
	got, err := s.LatestPlan(ctx, "acme/infra", 7, "production")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != reader.ID || got.Applicable || got.RequestedBy != "mallory" {
		t.Errorf("latest plan %d applicable=%v by %q, want the reader's %d, not applicable, by mallory",
			got.ID, got.Applicable, got.RequestedBy, reader.ID)
	}
	got, err = s.PlanByID(ctx, writer.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Applicable || got.RequestedBy != "alice" {
		t.Errorf("the writer's plan reads applicable=%v by %q, want true by alice", got.Applicable, got.RequestedBy)
	}
}

func planByID(t *testing.T, s store.Store) {
	ctx := t.Context()
	older := mustSavePlan(t, s, plan("acme/infra", 7, "production", "aaaa"))
	mustSavePlan(t, s, plan("acme/infra", 7, "production", "bbbb"))
	other := mustSavePlan(t, s, plan("acme/infra", 8, "production", "cccc"))
	// An older plan stays readable by its ID after a newer one replaced it as the latest.
	got, err := s.PlanByID(ctx, older.ID)
	if err != nil {
		t.Fatalf("PlanByID(%d): %v", older.ID, err)
	}
	if diff := cmp.Diff(older, got, cmpOpts); diff != "" {
		t.Errorf("PlanByID (-saved +read):\n%s", diff)
	}
	if _, err := s.PlanByID(ctx, other.ID+1000); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PlanByID of an unknown ID: err %v, want ErrNotFound", err)
	}
	if err := s.DeletePlans(ctx, "acme/infra", 7); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PlanByID(ctx, older.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PlanByID of a deleted plan: err %v, want ErrNotFound", err)
	}
	if _, err := s.PlanByID(ctx, other.ID); err != nil {
		t.Errorf("PlanByID of another PR's plan after DeletePlans: %v", err)
	}
}

func planDeleteFiles(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := plan("acme/infra", 7, "production", "aaaa")
	delta := 32.85
	p.MonthlyCostDelta, p.CostExceeded = &delta, true
	p = mustSavePlan(t, s, p)
	keep := mustSavePlan(t, s, plan("acme/infra", 8, "production", "bbbb"))
	if err := s.DeletePlanFiles(ctx, "acme/infra", 7); err != nil {
		t.Fatalf("DeletePlanFiles: %v", err)
	}
	got, err := s.PlanByID(ctx, p.ID)
	if err != nil {
		t.Fatalf("the plan itself is gone after DeletePlanFiles: %v", err)
	}
	want := p
	want.File, want.JSON = nil, nil
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("plan after DeletePlanFiles (-want +got):\n%s", diff)
	}
	got, err = s.PlanByID(ctx, keep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(keep, got, cmpOpts); diff != "" {
		t.Errorf("another PR's plan after DeletePlanFiles (-saved +read):\n%s", diff)
	}
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
