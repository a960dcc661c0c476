package flow_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classla/gantry/internal/cost"
	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/job"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/terraform"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/githubfake"
)

// fakeTerraform plans instantly, except a checkout whose main.tf says "slow", which runs until
// it is canceled. It records the commits it was asked to plan.
type fakeTerraform struct {
	mu      sync.Mutex
	planned []string
	applied []string
	slow    chan struct{} // closed when a slow plan has started
}

func (f *fakeTerraform) Plan(ctx context.Context, req terraform.PlanRequest) (*terraform.PlanResult, error) {
	src, err := os.ReadFile(filepath.Join(req.Dir, "main.tf"))
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.planned = append(f.planned, strings.TrimSpace(string(src)))
	f.mu.Unlock()
	v := terraform.Version{Flavor: terraform.FlavorTerraform, Version: "1.5.7"}
	if strings.Contains(string(src), "slow") && f.slow != nil {
		close(f.slow)
		<-ctx.Done()
		return &terraform.PlanResult{Version: v}, fmt.Errorf("plan canceled: %w", ctx.Err())
	}
	if err := os.WriteFile(req.PlanFile, []byte("binary plan"), 0o600); err != nil {
		return nil, err
	}
	if strings.Contains(string(src), "nat") {
		return &terraform.PlanResult{Version: v, HasChanges: true, Text: "  # aws_nat_gateway.this will be created\n", JSON: []byte(natPlan)}, nil
	}
	return &terraform.PlanResult{Version: v, HasChanges: true, Text: "  # terraform_data.x will be created\n  + resource \"terraform_data\" \"x\" {}\n",
		JSON: []byte(`{"format_version":"1.2","terraform_version":"1.5.7","planned_values":{"root_module":{}},"resource_changes":[{"address":"terraform_data.x","mode":"managed","type":"terraform_data","name":"x","provider_name":"terraform.io/builtin/terraform","change":{"actions":["create"],"before":null,"after":{},"after_unknown":{}}}]}`)}, nil
}

// natPlan creates one NAT gateway in us-east-1: 730 h × $0.045 = $32.85 a month.
const natPlan = `{"format_version":"1.2","terraform_version":"1.5.7","planned_values":{"root_module":{}},
"resource_changes":[{"address":"aws_nat_gateway.this","mode":"managed","type":"aws_nat_gateway","name":"this",
"provider_name":"registry.terraform.io/hashicorp/aws","change":{"actions":["create"],"before":null,
"after":{"connectivity_type":"public","tags":null},"after_unknown":{"id":true,"subnet_id":true}}}],
"configuration":{"provider_config":{"aws":{"name":"aws","full_name":"registry.terraform.io/hashicorp/aws",
"expressions":{"region":{"constant_value":"us-east-1"}}}},"root_module":{}}}`

// Apply records the plan file it was given and "applies" it.
func (f *fakeTerraform) Apply(_ context.Context, req terraform.ApplyRequest) (*terraform.ApplyResult, error) {
	plan, err := os.ReadFile(req.PlanFile)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.applied = append(f.applied, string(plan))
	f.mu.Unlock()
	return &terraform.ApplyResult{Version: terraform.Version{Flavor: terraform.FlavorTerraform, Version: "1.5.7"},
		Log: "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.\n"}, nil
}

func TestACostAboveTheLimitIsFlaggedOnTheCommentAndCheckRun(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		limit      string
		conclusion string
		cautions   bool
	}{
		// $32.85 > $20: flagged; $32.85 < $50: not.
		{"a rise above max_monthly_increase waits for confirmation", "20", "neutral", true},
		{"a rise below it is an ordinary plan", "50", "success", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.deps.Catalog = cost.Embedded()
			w.gh.SetFile(repo, "main", ".gantry.yaml", "version: 1\nprojects:\n  - name: network\n    dir: net\n    cost:\n      max_monthly_increase: "+c.limit+"\n")
			w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, Files: []string{"net/main.tf"}})
			w.gh.SetTarball(repo, fixtureHead, map[string]string{"net/main.tf": "nat"})
			w.deliver(t, "pull_request", prOpened(t, 2))
			got := w.replies(t, 2)
			if len(got) != 1 || !strings.Contains(got[0], "$32.85") {
				t.Fatalf("comments %q, want the plan with its cost", got)
			}
			if strings.Contains(got[0], "/apply --confirm-cost") != c.cautions {
				t.Errorf("comment mentions /apply --confirm-cost = %v, want %v:\n%s", !c.cautions, c.cautions, got[0])
			}
			saved, err := w.st.LatestPlan(context.Background(), repo, 2, "network")
			if err != nil || saved.CostExceeded != c.cautions || saved.MonthlyCostDelta == nil || *saved.MonthlyCostDelta < 32.849 || *saved.MonthlyCostDelta > 32.851 {
				t.Errorf("stored plan cost %v exceeded %v (err %v), want 32.85 and %v", saved.MonthlyCostDelta, saved.CostExceeded, err, c.cautions)
			}
			runs := w.gh.CheckRuns(repo)
			if len(runs) != 1 || runs[0].Conclusion != c.conclusion {
				t.Errorf("check runs %+v, want one %s", runs, c.conclusion)
			}
		})
	}
}

func TestANewerPushCancelsTheRunningPlan(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tf := &fakeTerraform{slow: make(chan struct{})}
	w.deps.Terraform = tf
	w.gh.SetFile(repo, "main", ".gantry.yaml", validConfig)
	shaA, shaB := strings.Repeat("a", 40), strings.Repeat("b", 40)
	w.gh.SetTarball(repo, shaA, map[string]string{"terraform/envs/production/main.tf": "slow"})
	w.gh.SetTarball(repo, shaB, map[string]string{"terraform/envs/production/main.tf": "fast"})

	pool := &job.Pool{Store: w.st, Handlers: flow.Handlers(w.deps), Workers: 2, Lease: 300 * time.Millisecond,
		Poll: 10 * time.Millisecond, Log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pool.Run(ctx) }()
	defer func() { cancel(); <-done }()

	push := func(sha string) {
		w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, HeadSHA: sha, Files: []string{"terraform/envs/production/main.tf"}})
		body := fixtures.Edit(t, prOpened(t, 2), map[string]any{"action": "synchronize", "pull_request.head.sha": sha})
		w.n++
		routed, err := w.intake.Route("pull_request", fmt.Sprintf("push-%d", w.n), body)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.st.RecordDelivery(ctx, store.Delivery{ID: fmt.Sprintf("push-%d", w.n), Event: "pull_request"}, routed.Jobs); err != nil {
			t.Fatal(err)
		}
		pool.Wake()
	}
	push(shaA)
	select {
	case <-tf.slow:
	case <-time.After(10 * time.Second):
		t.Fatal("the first plan never started")
	}
	push(shaB)

	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if c := w.gh.Comments(repo, 2); len(c) == 1 && strings.Contains(c[0].Body, "`bbbbbbb`") {
			body = c[0].Body
			break
		}
	}
	if !strings.Contains(body, "Plan: 1 to add") {
		t.Fatalf("the newer commit's plan was not shown; comments %+v", w.gh.Comments(repo, 2))
	}
	plans, _ := w.st.ListJobs(ctx, store.JobFilter{Kind: flow.KindPlan})
	if len(plans) != 2 || plans[0].SHA != shaA {
		t.Fatalf("plan jobs %+v", plans)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !plans[0].State.Done(); time.Sleep(10 * time.Millisecond) {
		plans[0], _ = w.st.GetJob(ctx, plans[0].ID)
	}
	if plans[0].State != store.Canceled {
		t.Errorf("the older commit's plan is %s (%s), want canceled", plans[0].State, plans[0].Error)
	}
	var conclusions []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		conclusions = nil
		for _, c := range w.gh.CheckRuns(repo) {
			conclusions = append(conclusions, c.HeadSHA[:1]+":"+c.Conclusion)
		}
		if fmt.Sprint(conclusions) == "[a:cancelled b:success]" {
			break
		}
	}
	if fmt.Sprint(conclusions) != "[a:cancelled b:success]" {
		t.Errorf("check runs %v, want the older one cancelled and the newer one successful", conclusions)
	}
}

func TestPlanCommandRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		pr         githubfake.PR
		says       string
	}{
		{"an unknown project is named with the list of projects", "/plan -p prod",
			githubfake.PR{Number: 9}, "`prod`: no such project in `.gantry.yaml`. The projects are `production`, `staging`."},
		{"no affected project says how to name one", "/plan",
			githubfake.PR{Number: 9, Files: []string{"README.md"}}, "No project is affected by the files of this pull request."},
		{"a fork is not planned", "/plan -p production",
			githubfake.PR{Number: 9, HeadRepo: "mallory/Hello-World"}, "does not plan pull requests from forks"},
		{"a closed pull request is not planned", "/plan",
			githubfake.PR{Number: 9, State: "closed"}, "This pull request is closed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.gh.SetFile(repo, "main", ".gantry.yaml", validConfig)
			w.gh.AddPullRequest(repo, c.pr)
			w.gh.SetPermission(repo, "alice", "write")
			jobs := w.deliver(t, "issue_comment", w.comment(t, "alice", c.body))
			if len(jobs) != 1 {
				t.Fatalf("jobs %+v: want only the command, no plan", jobs)
			}
			if got := w.replies(t, 9); len(got) != 1 || !strings.Contains(got[0], c.says) {
				t.Errorf("replies %q, want one saying %q", got, c.says)
			}
		})
	}
}
