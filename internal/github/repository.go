package github

import (
	"context"
	"fmt"
)

// Repository is what the Actions executor needs to know about a repository: the id and default branch a
// runner's token must name.
type Repository struct {
	ID            int64
	DefaultBranch string
}

// Repository fetches a repository's id and default branch.
func (c *Client) Repository(ctx context.Context, repo Repo) (Repository, error) {
	r, _, err := c.gh.Repositories.Get(ctx, repo.Owner, repo.Name)
	if err != nil {
		return Repository{}, fmt.Errorf("getting repository %s: %w", repo, redact(err))
	}
	if r.GetID() == 0 || r.GetDefaultBranch() == "" {
		return Repository{}, fmt.Errorf("getting repository %s: GitHub's answer has no id or default branch", repo)
	}
	return Repository{ID: r.GetID(), DefaultBranch: r.GetDefaultBranch()}, nil
}
