package github

import (
	"context"
	"fmt"
	"sort"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// Approved reports whether pull request pr is approved the way a branch protection rule would see it:
// taking each reviewer's latest deciding review (APPROVED, CHANGES_REQUESTED or DISMISSED; a later
// COMMENTED review changes nothing), at least one reviewer other than author approves and nobody requests
// changes. It returns the approvers, in the order they approved, even when changes are requested, so a
// refusal can name both sides.
func (c *Client) Approved(ctx context.Context, repo Repo, pr int, author string) (bool, []string, error) {
	reviews, err := c.listReviews(ctx, repo, pr)
	if err != nil {
		return false, nil, err
	}
	type verdict struct {
		login, state string
		order        int
	}
	latest := map[string]verdict{} // lower-case login → latest deciding review
	for i, r := range reviews {
		login := r.GetUser().GetLogin()
		if login == "" || strings.EqualFold(login, author) {
			continue // a deleted account, or the author, who cannot approve their own pull request
		}
		switch state := r.GetState(); state {
		case "APPROVED", "CHANGES_REQUESTED", "DISMISSED":
			latest[strings.ToLower(login)] = verdict{login: login, state: state, order: i}
		}
	}
	var approvals []verdict
	blocked := false
	for _, v := range latest {
		switch v.state {
		case "APPROVED":
			approvals = append(approvals, v)
		case "CHANGES_REQUESTED":
			blocked = true
		}
	}
	sort.Slice(approvals, func(i, j int) bool { return approvals[i].order < approvals[j].order })
	approvers := make([]string, len(approvals))
	for i, v := range approvals {
		approvers[i] = v.login
	}
	return len(approvers) > 0 && !blocked, approvers, nil
}

// listReviews lists every review of a pull request, oldest first (GitHub's documented order).
func (c *Client) listReviews(ctx context.Context, repo Repo, pr int) ([]*gh.PullRequestReview, error) {
	var all []*gh.PullRequestReview
	opts := &gh.ListOptions{PerPage: 100}
	for {
		page, resp, err := c.gh.PullRequests.ListReviews(ctx, repo.Owner, repo.Name, pr, opts)
		if err != nil {
			return nil, fmt.Errorf("listing reviews (page %d) of pull request %s#%d: %w", max(opts.Page, 1), repo, pr, redact(err))
		}
		all = append(all, page...)
		if resp.NextPage == 0 {
			return all, nil
		}
		opts.Page = resp.NextPage
	}
}
