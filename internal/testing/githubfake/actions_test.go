package githubfake_test

import (
	"testing"

	"github.com/classla/gantry/internal/testing/githubfake"
)

func TestTheFakeDispatchesOnlyAddedWorkflowsAsItsServerAllows(t *testing.T) {
	t.Parallel()
	d := loadDescription(t)
	const body = `{"ref":"main","inputs":{"job_id":"j1","environment":"gantry-plan"}`
	tests := []struct {
		name       string
		older      bool // the server predates return_run_details
		file, body string
		want       int
		dispatched bool
	}{
		{name: "an added workflow asked for the run answers 200 with its id", file: "gantry.yml",
			body: body + `,"return_run_details":true}`, want: 200, dispatched: true},
		{name: "an added workflow not asked for the run answers 204", file: "gantry.yml", body: body + `}`, want: 204, dispatched: true},
		{name: "a workflow the test did not add answers 404", file: "other.yml", body: body + `,"return_run_details":true}`, want: 404},
		{name: "an older server refuses return_run_details with 422", older: true, file: "gantry.yml",
			body: body + `,"return_run_details":true}`, want: 422},
		{name: "an older server refuses even return_run_details false", older: true, file: "gantry.yml",
			body: body + `,"return_run_details":false}`, want: 422},
		{name: "an older server answers 204 without the field", older: true, file: "gantry.yml", body: body + `}`, want: 204, dispatched: true},
		{name: "a dispatch without a ref answers 422", file: "gantry.yml", body: `{"inputs":{}}`, want: 422},
		{name: "inputs that are not strings answer 422", file: "gantry.yml", body: `{"ref":"main","inputs":{"n":1}}`, want: 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := githubfake.New(t)
			fake.AddRepo("classla", "lms", "main")
			fake.AddWorkflow("classla/lms", "gantry.yml")
			if tt.older {
				fake.RefuseRunDetails("classla/lms")
			}
			status, _, answer := do(t, "POST", fake.URL()+"repos/classla/lms/actions/workflows/"+tt.file+"/dispatches", mintToken(t, fake), tt.body)
			if status != tt.want {
				t.Fatalf("answered %d (%v), want %d", status, answer, tt.want)
			}
			got := fake.Dispatches("classla/lms")
			if tt.dispatched != (len(got) == 1) || len(got) > 1 {
				t.Fatalf("dispatches = %+v, want dispatched %t", got, tt.dispatched)
			}
			if status == 200 && answer["workflow_run_id"] != float64(got[0].RunID) {
				t.Errorf("workflow_run_id = %v, want the recorded run %d", answer["workflow_run_id"], got[0].RunID)
			}
			if tt.dispatched {
				if got[0].Ref != "main" || got[0].Inputs["environment"] != "gantry-plan" || got[0].ReturnRunDetails != (status == 200) {
					t.Errorf("dispatch recorded as %+v", got[0])
				}
				// The answers GitHub documents (200 and 204) must match its description.
				reqs := fake.Requests()
				if err := checkResponse(d.doc, reqs[len(reqs)-1]); err != nil {
					t.Errorf("answer does not match GitHub's description: %v", err)
				}
			}
		})
	}
}
