package github_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/github"
)

func TestCreateDeploymentRequiresNoContextsAndNeverMerges(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	c := newClient(t, fake)

	id, err := c.CreateDeployment(t.Context(), lms, github.Deployment{
		Ref: sha, Environment: "backend", Description: "Deploy backend at abcdef0", Payload: map[string]any{"job": 12},
	})
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	reqs := requestsTo(fake, "POST", "/repos/{owner}/{repo}/deployments")
	if len(reqs) != 1 {
		t.Fatalf("%d deployment requests, want 1", len(reqs))
	}
	// An omitted required_contexts means "every status check must pass"; an empty list means none.
	body := decodeJSON(t, reqs[0].Body)
	want := map[string]any{
		"ref": sha, "environment": "backend", "description": "Deploy backend at abcdef0",
		"payload": map[string]any{"job": float64(12)}, "auto_merge": false, "required_contexts": []any{},
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("deployment request body differs (-want +got):\n%s", diff)
	}
	if deps := fake.Deployments("classla/lms"); len(deps) != 1 || deps[0].ID != id {
		t.Errorf("fake holds %+v, want one deployment with ID %d", deps, id)
	}
}

func TestCreateDeploymentStatusRecordsEachStateAndFitsTheDescription(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	c := newClient(t, fake)
	id, err := c.CreateDeployment(t.Context(), lms, github.Deployment{Ref: sha, Environment: "production"})
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	long := strings.Repeat("é", 200) // GitHub refuses descriptions over 140 characters
	steps := []struct{ state, description string }{
		{"in_progress", "Applying production"},
		{"success", long},
	}
	for _, s := range steps {
		if err := c.CreateDeploymentStatus(t.Context(), lms, id, s.state, s.description, "https://gantry.example.com/jobs/12", "https://lms.example.com"); err != nil {
			t.Fatalf("CreateDeploymentStatus(%s): %v", s.state, err)
		}
	}
	got := fake.DeploymentStatuses(id)
	if len(got) != 2 || got[0].State != "in_progress" || got[1].State != "success" {
		t.Fatalf("statuses = %+v, want in_progress then success", got)
	}
	if n := utf8.RuneCountInString(got[1].Description); n != 140 || !strings.HasSuffix(got[1].Description, "…") {
		t.Errorf("long description stored as %d characters ending %q, want 140 ending with an ellipsis", n, got[1].Description[len(got[1].Description)-3:])
	}
	if got[0].LogURL != "https://gantry.example.com/jobs/12" || got[0].EnvironmentURL != "https://lms.example.com" {
		t.Errorf("status URLs = %q, %q", got[0].LogURL, got[0].EnvironmentURL)
	}
}

func TestDeploymentStatusesOfAFailedApplyMayHaveNoLinks(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	c := newClient(t, fake)
	id, err := c.CreateDeployment(t.Context(), lms, github.Deployment{Ref: sha, Environment: "production"})
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	for _, state := range []string{"in_progress", "failure"} {
		if err := c.CreateDeploymentStatus(t.Context(), lms, id, state, "Apply of production", "", ""); err != nil {
			t.Fatalf("CreateDeploymentStatus(%s) without links: %v", state, err)
		}
	}

	got := fake.DeploymentStatuses(id)
	var states []string
	for _, st := range got {
		states = append(states, st.State)
		if st.LogURL != "" || st.EnvironmentURL != "" {
			t.Errorf("%s status has links %q, %q; want none", st.State, st.LogURL, st.EnvironmentURL)
		}
	}
	if diff := cmp.Diff([]string{"in_progress", "failure"}, states); diff != "" {
		t.Errorf("status states differ (-want +got):\n%s", diff)
	}
	// An empty string is not a URL: the fields are left out rather than sent empty.
	for _, req := range requestsTo(fake, "POST", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses") {
		body := decodeJSON(t, req.Body)
		if _, ok := body["log_url"]; ok {
			t.Errorf("status request sends log_url %q", body["log_url"])
		}
		if _, ok := body["environment_url"]; ok {
			t.Errorf("status request sends environment_url %q", body["environment_url"])
		}
	}
}
