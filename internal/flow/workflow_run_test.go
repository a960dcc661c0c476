package flow_test

import (
	"testing"

	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/githubfake"
)

func TestOnlyCompletedDispatchedRunsAreQueuedAndOnlyUnderActions(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	fake.AddRepo("Codertocat", "Hello-World", "main")
	completed := fake.WorkflowRunCompleted(githubfake.Dispatch{Repo: repo, Workflow: "gantry.yml", Ref: "main", RunID: 4242}, "cancelled")
	run := func(t *testing.T, event string) []byte {
		return fixtures.Edit(t, completed, map[string]any{"installation": map[string]any{"id": 7}, "workflow_run.event": event})
	}
	cases := []struct {
		name     string
		workflow string
		payload  []byte
		jobs     int
	}{
		{"a dispatched run under the actions executor ends its job", "gantry.yml", run(t, "workflow_dispatch"), 1},
		{"a push's CI run is not gantry's", "gantry.yml", run(t, "push"), 0},
		{"with the local executor no run is gantry's", "", run(t, "workflow_dispatch"), 0},
	}
	for _, c := range cases {
		routed, err := (&flow.Intake{ActionsWorkflow: c.workflow}).Route("workflow_run", "d1", c.payload)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(routed.Jobs) != c.jobs {
			t.Errorf("%s: %d jobs (ignored: %q), want %d", c.name, len(routed.Jobs), routed.Ignored, c.jobs)
		}
		if c.jobs == 1 && (routed.Jobs[0].Kind != flow.KindRunCompleted || routed.Jobs[0].Key != "run:4242") {
			t.Errorf("%s: job %+v, want one run_completed keyed by the run", c.name, routed.Jobs[0])
		}
	}
}
