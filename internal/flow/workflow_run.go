package flow

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-github/v62/github"

	"github.com/classla/gantry/internal/store"
)

// KindRunCompleted: a GitHub Actions run of gantry's workflow completed (spec RunCompletedSpec). A job
// waiting for that run's runner ends then, if the runner never reported.
const KindRunCompleted = "run_completed"

// RunCompletedSpec is a completed workflow run or job of the Actions executor's workflow.
type RunCompletedSpec struct {
	RunID      int64  `json:"run_id"`
	Conclusion string `json:"conclusion"`
	URL        string `json:"url"`
}

// routeWorkflowRun queues the end of a completed workflow run or job, once per run. Whether the run is
// one gantry dispatched is known from the store only (by its run id), so the job decides; every run is
// ignored when jobs run in the server.
func routeWorkflowRun(in *Intake, ev any) ([]store.NewJob, string, error) {
	if in.ActionsWorkflow == "" {
		return nil, "jobs run in the server (GANTRY_EXECUTOR=local): workflow runs are not gantry's", nil
	}
	var s RunCompletedSpec
	switch e := ev.(type) {
	case *github.WorkflowRunEvent:
		r := e.GetWorkflowRun()
		if e.GetAction() != "completed" {
			return nil, "workflow_run " + e.GetAction() + ": only completed runs matter", nil
		}
		if r.GetEvent() != "workflow_dispatch" {
			// gantry only ever dispatches: a push's or a pull request's CI run is not one of its runs.
			return nil, "workflow run started by " + r.GetEvent() + ", not by a dispatch", nil
		}
		s = RunCompletedSpec{RunID: r.GetID(), Conclusion: r.GetConclusion(), URL: r.GetHTMLURL()}
	case *github.WorkflowJobEvent:
		j := e.GetWorkflowJob()
		if e.GetAction() != "completed" {
			return nil, "workflow_job " + e.GetAction() + ": only completed jobs matter", nil
		}
		s = RunCompletedSpec{RunID: j.GetRunID(), Conclusion: j.GetConclusion(), URL: j.GetHTMLURL()}
	}
	if s.RunID == 0 {
		return nil, "workflow event without a run id", nil
	}
	// A run's workflow_run and workflow_job events, and their redeliveries, end it once.
	return []store.NewJob{{Kind: KindRunCompleted, Key: fmt.Sprintf("run:%d", s.RunID), Unique: true,
		Spec: spec(s), MaxAttempts: 3}}, "", nil
}

// runRunCompleted records the end of the run, so the job waiting for its runner ends now rather than at
// its heartbeat timeout.
func runRunCompleted(ctx context.Context, t *task[RunCompletedSpec]) (any, error) {
	s := t.Spec
	jobID, err := t.Store.EndRunnerRun(ctx, s.RunID, s.Conclusion, s.URL)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil // a run gantry did not dispatch, or whose id GitHub never told
	}
	if err != nil {
		return nil, fmt.Errorf("recording the end of run %d: %w", s.RunID, err)
	}
	if w, ok := t.Remote.(interface{ Wake(jobID int64) }); ok {
		w.Wake(jobID)
	}
	return nil, nil
}
