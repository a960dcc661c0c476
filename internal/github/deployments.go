package github

import (
	"context"
	"fmt"

	gh "github.com/google/go-github/v62/github"
)

// maxStatusDescription is GitHub's limit on a deployment status description, in characters.
const maxStatusDescription = 140

// Deployment is a GitHub Deployment gantry records for a project apply or a service rollout.
type Deployment struct {
	Ref         string // commit SHA (or branch) deployed
	Environment string // project or service name
	Description string
	Payload     any // JSON-encodable extra data; nil for none
}

// CreateDeployment creates a deployment and returns its ID. It never asks GitHub to merge the default
// branch into Ref (auto_merge false) and checks no commit statuses first (required_contexts empty):
// gantry has already decided the change may go out.
func (c *Client) CreateDeployment(ctx context.Context, repo Repo, d Deployment) (int64, error) {
	noMerge := false
	noContexts := []string{} // an empty list: leaving it out would mean "every context must pass"
	req := &gh.DeploymentRequest{
		Ref:              &d.Ref,
		Environment:      optional(d.Environment),
		Description:      optional(d.Description),
		AutoMerge:        &noMerge,
		RequiredContexts: &noContexts,
		Payload:          d.Payload,
	}
	created, _, err := c.gh.Repositories.CreateDeployment(ctx, repo.Owner, repo.Name, req)
	if err != nil {
		return 0, fmt.Errorf("creating deployment of %s to %q on %s: %w", d.Ref, d.Environment, repo, redact(err))
	}
	if created.GetID() == 0 {
		return 0, fmt.Errorf("creating deployment of %s to %q on %s: GitHub created none (it answered without a deployment id)", d.Ref, d.Environment, repo)
	}
	return created.GetID(), nil
}

// CreateDeploymentStatus records a deployment's state: queued, in_progress, success, failure, error or
// inactive. description is cut to GitHub's 140 characters; logURL and environmentURL may be empty.
func (c *Client) CreateDeploymentStatus(ctx context.Context, repo Repo, id int64, state, description, logURL, environmentURL string) error {
	req := &gh.DeploymentStatusRequest{
		State:          &state,
		Description:    optional(cutRunes(description, maxStatusDescription)),
		LogURL:         optional(logURL),
		EnvironmentURL: optional(environmentURL),
	}
	if _, _, err := c.gh.Repositories.CreateDeploymentStatus(ctx, repo.Owner, repo.Name, id, req); err != nil {
		return fmt.Errorf("setting deployment %d on %s to %q: %w", id, repo, state, redact(err))
	}
	return nil
}

func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
