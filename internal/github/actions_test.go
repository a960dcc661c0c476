package github_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/testing/githubfake"
)

const dispatchRoute = "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches"

var jobInputs = map[string]string{"job_id": "j-4f2a9c", "environment": "gantry-plan"}

func TestDispatchWorkflowReturnsTheRunAndSendsOnlyTheRefAndInputs(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.AddWorkflow("classla/lms", "gantry.yml")

	runID, err := newClient(t, fake).DispatchWorkflow(t.Context(), lms, "gantry.yml", "main", jobInputs)
	if err != nil {
		t.Fatalf("DispatchWorkflow: %v", err)
	}
	got := fake.Dispatches("classla/lms")
	if len(got) != 1 {
		t.Fatalf("%d dispatches recorded, want 1", len(got))
	}
	if runID == 0 || runID != got[0].RunID {
		t.Errorf("run id = %d, want the dispatched run's %d", runID, got[0].RunID)
	}
	want := githubfake.Dispatch{
		Repo: "classla/lms", Workflow: "gantry.yml", Ref: "main", Inputs: jobInputs, ReturnRunDetails: true, RunID: got[0].RunID,
	}
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Errorf("dispatch differs (-want +got):\n%s", diff)
	}
	// Nothing else travels in the body: no server URL, no job spec.
	reqs := requestsTo(fake, "POST", dispatchRoute)
	if len(reqs) != 1 {
		t.Fatalf("%d dispatch requests, want 1", len(reqs))
	}
	body := decodeJSON(t, reqs[0].Body)
	wantBody := map[string]any{
		"ref": "main", "return_run_details": true,
		"inputs": map[string]any{"job_id": "j-4f2a9c", "environment": "gantry-plan"},
	}
	if diff := cmp.Diff(wantBody, body); diff != "" {
		t.Errorf("dispatch request body differs (-want +got):\n%s", diff)
	}
}

func TestDispatchWorkflowAsksAnOlderServerAgainWithoutRunDetails(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.AddWorkflow("classla/lms", "gantry.yml")
	fake.RefuseRunDetails("classla/lms")

	runID, err := newClient(t, fake).DispatchWorkflow(t.Context(), lms, "gantry.yml", "main", jobInputs)
	if err != nil {
		t.Fatalf("DispatchWorkflow against a server without return_run_details: %v", err)
	}
	if runID != 0 {
		t.Errorf("run id = %d, want 0: the server does not say which run it started", runID)
	}
	reqs := requestsTo(fake, "POST", dispatchRoute)
	if len(reqs) != 2 {
		t.Fatalf("%d dispatch requests, want 2 (refused, then without the field)", len(reqs))
	}
	if reqs[0].Status != 422 || reqs[1].Status != 204 {
		t.Errorf("answers %d then %d, want 422 then 204", reqs[0].Status, reqs[1].Status)
	}
	second := decodeJSON(t, reqs[1].Body)
	if _, ok := second["return_run_details"]; ok {
		t.Errorf("the second request still sends return_run_details: %s", reqs[1].Body)
	}
	got := fake.Dispatches("classla/lms")
	if len(got) != 1 || got[0].ReturnRunDetails || got[0].Ref != "main" || !cmp.Equal(got[0].Inputs, jobInputs) {
		t.Errorf("dispatches = %+v, want one on main with the two inputs and no run details", got)
	}
}

func TestFailedDispatchesSayWhatToFix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		setup       func(*githubfake.Server)
		wantMention []string
	}{
		{
			name:        "a workflow missing from the default branch names the file and the command that prints it",
			setup:       func(*githubfake.Server) {},
			wantMention: []string{"classla/lms", "add .github/workflows/gantry.yml to the default branch", "gantry setup workflow", "Actions"},
		},
		{
			name: "a 403 names the permission to grant",
			setup: func(f *githubfake.Server) {
				f.AddWorkflow("classla/lms", "gantry.yml")
				f.FailNext("POST", dispatchRoute, 403, "Resource not accessible by integration")
			},
			wantMention: []string{"gantry.yml", "Actions: Read and write", "Resource not accessible by integration"},
		},
		{
			name: "a 422 gives GitHub's message and the inputs the workflow must declare",
			setup: func(f *githubfake.Server) {
				f.AddWorkflow("classla/lms", "gantry.yml")
				f.FailNext("POST", dispatchRoute, 422, "Workflow does not have 'workflow_dispatch' trigger")
			},
			wantMention: []string{"Workflow does not have 'workflow_dispatch' trigger", "environment and job_id", "gantry setup workflow"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake(t)
			tt.setup(fake)
			runID, err := newClient(t, fake).DispatchWorkflow(t.Context(), lms, "gantry.yml", "main", jobInputs)
			mustContain(t, err, tt.wantMention...)
			if runID != 0 {
				t.Errorf("run id = %d after a failed dispatch", runID)
			}
			if n := len(requestsTo(fake, "POST", dispatchRoute)); n != 1 {
				t.Errorf("%d dispatch requests, want 1: only a refusal of return_run_details is asked again", n)
			}
			if d := fake.Dispatches("classla/lms"); len(d) != 0 {
				t.Errorf("dispatches = %+v, want none", d)
			}
		})
	}
}

func TestADispatchThatMayHaveStartedARunIsNotSentTwice(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.AddWorkflow("classla/lms", "gantry.yml")
	fake.FailNext("POST", dispatchRoute, 500, "Server Error")

	_, err := newClient(t, fake).DispatchWorkflow(t.Context(), lms, "gantry.yml", "main", jobInputs)
	mustContain(t, err, "gantry.yml", "500", "not retried")
	if !github.IsServerError(err) {
		t.Errorf("IsServerError = false for %v", err)
	}
	if n := len(requestsTo(fake, "POST", dispatchRoute)); n != 1 {
		t.Errorf("%d dispatch requests after a 500, want exactly 1: a second could run the job twice", n)
	}
}

func TestDispatchWorkflowRefusesAPathForAFileName(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	_, err := newClient(t, fake).DispatchWorkflow(t.Context(), lms, ".github/workflows/gantry.yml", "main", jobInputs)
	mustContain(t, err, "not a workflow file name", "gantry.yml")
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("%d requests sent for an invalid file name, want none", n)
	}
}
