package flow

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/classla/gantry/internal/config"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/sqlite"
)

// These tests call releasePlansWhenDone as the jobs of a closed pull request do when they end:
// the close job, each apply (with its own outcome, not yet recorded) and each plan.

const lifetimeRepo, lifetimeSHA = "classla/lms", "9f3c2e1a9f3c2e1a9f3c2e1a9f3c2e1a9f3c2e1a"

// stateOnly is a GitHub whose pull requests are all in one state.
type stateOnly struct {
	GitHub
	state string
}

func (s stateOnly) PullRequest(context.Context, gh.Repo, int) (gh.PullRequest, error) {
	return gh.PullRequest{State: s.state}, nil
}

// lifetimeJob is a job of pull request 2 already finished, or (state "") the one calling.
type lifetimeJob struct {
	kind    string
	project string // applies only
	state   store.JobState
	result  applyResult
}

func TestAClosedPullRequestsPlansGoWhenItsAppliesAreDone(t *testing.T) {
	t.Parallel()
	apply := func(project string, state store.JobState, res applyResult) lifetimeJob {
		return lifetimeJob{kind: KindApply, project: project, state: state, result: res}
	}
	caller := func(kind, project string) lifetimeJob { return lifetimeJob{kind: kind, project: project} }
	applied := applyResult{Applied: true}
	cases := []struct {
		name   string
		closed bool // a close was recorded
		merged bool
		state  string // the pull request's state on GitHub now
		jobs   []lifetimeJob
		waits  bool   // the calling apply was held or failed
		want   string // "kept", "files" (files and JSON gone, plans kept) or "deleted"
	}{
		{"the close of a merge whose applies are queued keeps everything", true, true, "closed",
			[]lifetimeJob{apply("production", store.Queued, applyResult{}), caller(KindPullRequestClosed, "")}, false, "kept"},
		{"the last apply of a merge, applied, removes the plans", true, true, "closed",
			[]lifetimeJob{apply("staging", store.Succeeded, applied), caller(KindApply, "production")}, false, "deleted"},
		{"the last apply of a merge, held, removes the files but keeps what a confirmation compares", true, true, "closed",
			[]lifetimeJob{apply("staging", store.Succeeded, applied), caller(KindApply, "production")}, true, "files"},
		{"an apply of a merge that failed waits for a retry: the files go, the plans stay", true, true, "closed",
			[]lifetimeJob{apply("staging", store.Failed, applyResult{}), caller(KindApply, "production")}, false, "files"},
		{"a failure retried with success no longer waits", true, true, "closed",
			[]lifetimeJob{apply("production", store.Failed, applyResult{}), apply("staging", store.Succeeded, applied),
				caller(KindApply, "production")}, false, "deleted"},
		{"a held apply confirmed and applied no longer waits", true, true, "closed",
			[]lifetimeJob{apply("production", store.Succeeded, applyResult{Held: "drift"}), caller(KindApply, "production")}, false, "deleted"},
		{"an apply still running on another worker keeps everything", true, true, "closed",
			[]lifetimeJob{apply("staging", store.Running, applyResult{}), caller(KindApply, "production")}, false, "kept"},
		{"a pull request closed without a merge keeps nothing, whatever failed", true, false, "closed",
			[]lifetimeJob{apply("production", store.Failed, applyResult{}), caller(KindPullRequestClosed, "")}, false, "deleted"},
		{"a plan that ends after the close removes the plans", true, false, "closed",
			[]lifetimeJob{caller(KindPlan, "")}, false, "deleted"},
		{"a plan of a reopened pull request keeps them", true, false, "open",
			[]lifetimeJob{caller(KindPlan, "")}, false, "kept"},
		{"an apply of a pull request never closed keeps them", false, false, "open",
			[]lifetimeJob{caller(KindApply, "production")}, false, "kept"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gantry.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			var plans []store.Plan
			for _, project := range []string{"production", "staging"} {
				p, err := st.SavePlan(ctx, store.Plan{Repo: lifetimeRepo, PR: 2, Project: project, Workspace: "default", SHA: lifetimeSHA,
					Changes: []byte("[]"), File: []byte("plan file"), JSON: []byte("{}"), Applicable: true})
				if err != nil {
					t.Fatal(err)
				}
				plans = append(plans, p)
			}
			if c.closed {
				finished(t, st, KindPullRequestClosed, PullRequestSpec{Number: 2, Action: "closed", Merged: c.merged,
					BaseRef: "main", DefaultBranch: "main"}, store.Succeeded, nil)
			}
			var self store.Job
			// Queued jobs last: queued earlier, they would be claimed while the others are taken to their states.
			for _, queued := range []bool{false, true} {
				for _, j := range c.jobs {
					if (j.state == store.Queued) != queued {
						continue
					}
					var s any = PlanSpec{Number: 2}
					switch j.kind {
					case KindApply:
						s = ApplySpec{Number: 2, SHA: lifetimeSHA, Trigger: "merge", Project: config.Project{Name: j.project, Workspace: "default"}}
					case KindPullRequestClosed:
						s = PullRequestSpec{Number: 2, Action: "closed", Merged: c.merged}
					}
					if j.state == "" {
						self = finished(t, st, j.kind, s, store.Running, nil)
					} else {
						finished(t, st, j.kind, s, j.state, j.result)
					}
				}
			}
			r, _ := gh.ParseRepo(lifetimeRepo)
			tk := &task[ApplySpec]{Deps: Deps{Store: st}, Job: self, Repo: r, GH: stateOnly{state: c.state}}
			if err := releasePlansWhenDone(ctx, tk, 2, c.waits); err != nil {
				t.Fatalf("releasePlansWhenDone: %v", err)
			}
			for _, p := range plans {
				got, err := st.PlanByID(ctx, p.ID)
				var now string
				switch {
				case errors.Is(err, store.ErrNotFound):
					now = "deleted"
				case err != nil:
					t.Fatal(err)
				case len(got.File) == 0 && len(got.JSON) == 0 && string(got.Changes) == "[]":
					now = "files"
				case string(got.File) == "plan file":
					now = "kept"
				}
				if now != c.want {
					t.Errorf("the plan of %s is %s, want %s", p.Project, now, c.want)
				}
			}
		})
	}
}

// finished queues a job of pull request 2 and takes it to state (Running: claimed, not finished).
func finished(t *testing.T, st store.Store, kind string, s any, state store.JobState, result any) store.Job {
	t.Helper()
	ctx := t.Context()
	queued, err := st.EnqueueJob(ctx, store.NewJob{Kind: kind, InstallationID: 7, Repo: lifetimeRepo, PR: 2, SHA: lifetimeSHA, Spec: spec(s)})
	if err != nil || state == store.Queued {
		if err != nil {
			t.Fatal(err)
		}
		return queued
	}
	j, ok, err := st.ClaimJob(ctx, "w", time.Minute)
	if err != nil || !ok || j.ID != queued.ID {
		t.Fatalf("claiming job %d: %+v %v %v", queued.ID, j, ok, err)
	}
	if state == store.Running {
		return j
	}
	var b []byte
	if result != nil {
		b, _ = json.Marshal(result)
	}
	if err := st.FinishJob(ctx, j.ID, "w", store.Outcome{State: state, Result: b}); err != nil {
		t.Fatal(err)
	}
	return j
}
