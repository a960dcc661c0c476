package github

import (
	"context"
	"fmt"
	"sort"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// Approval is what the reviews of a pull request say about one of its commits.
type Approval struct {
	// Approved: someone with write permission or more, other than the author, approves the commit,
	// and nobody with write permission or more has changes requested.
	Approved bool
	// Approvers approve the commit and count: write permission or more, not the author. In the
	// order they approved.
	Approvers []string
	// ChangesRequested are the reviewers with write permission or more whose latest decision
	// requests changes, whichever commit they reviewed. Any of them blocks the approval.
	ChangesRequested []string
	// Ignored are approvals that do not count, each saying why, in the order they were given.
	Ignored []IgnoredApproval
}

// IgnoredApproval is an approving review that does not count towards an Approval.
type IgnoredApproval struct {
	User string
	// Why is IgnoredAuthor, IgnoredPermission or IgnoredOlderCommit.
	Why string
	// Permission is the reviewer's role, for IgnoredPermission.
	Permission Permission
	// Commit is the commit the review approved, for IgnoredOlderCommit ("" when GitHub no longer
	// knows it).
	Commit string
}

// Why an approval did not count.
const (
	IgnoredAuthor      = "author"     // the pull request's author approved it
	IgnoredPermission  = "permission" // the reviewer has less than write permission
	IgnoredOlderCommit = "commit"     // the review approved another commit
)

// Approved says whether commit sha of pull request pr is approved, in the sense of
// `apply.requires: [approved]`: each reviewer's latest deciding review counts (APPROVED,
// CHANGES_REQUESTED or DISMISSED: a later APPROVED or DISMISSED clears an earlier request for
// changes, a later COMMENTED review changes nothing). The commit is approved when at least one
// reviewer whose latest decision approves that very commit has write permission or more and is
// not author, and no reviewer with write permission or more has changes requested. An approval of
// an older commit does not carry over to a new push; reviews of people without write permission —
// anyone can review a public repository's pull requests — neither approve nor block.
func (c *Client) Approved(ctx context.Context, repo Repo, pr int, author, sha string) (Approval, error) {
	reviews, err := c.listReviews(ctx, repo, pr)
	if err != nil {
		return Approval{}, err
	}
	type verdict struct {
		login, state, commit string
		order                int
	}
	latest := map[string]verdict{} // lower-case login → latest deciding review
	for i, r := range reviews {
		login := r.GetUser().GetLogin()
		switch state := r.GetState(); {
		case login == "": // a deleted account
		case state == "APPROVED", state == "CHANGES_REQUESTED", state == "DISMISSED":
			latest[strings.ToLower(login)] = verdict{login: login, state: state, commit: r.GetCommitID(), order: i}
		}
	}
	var verdicts []verdict
	for _, v := range latest {
		if v.state != "DISMISSED" {
			verdicts = append(verdicts, v)
		}
	}
	sort.Slice(verdicts, func(i, j int) bool { return verdicts[i].order < verdicts[j].order })
	var a Approval
	for _, v := range verdicts {
		if strings.EqualFold(v.login, author) {
			// GitHub does not let authors review their own pull requests; should a review say
			// otherwise, it does not count.
			if v.state == "APPROVED" {
				a.Ignored = append(a.Ignored, IgnoredApproval{User: v.login, Why: IgnoredAuthor})
			}
			continue
		}
		p, err := c.Permission(ctx, repo, v.login)
		if err != nil {
			return Approval{}, fmt.Errorf("checking the reviews of %s#%d: %w", repo, pr, err)
		}
		counts := p.AtLeast(PermissionWrite)
		switch {
		case v.state == "CHANGES_REQUESTED" && counts:
			a.ChangesRequested = append(a.ChangesRequested, v.login)
		case v.state != "APPROVED":
		case !counts:
			a.Ignored = append(a.Ignored, IgnoredApproval{User: v.login, Why: IgnoredPermission, Permission: p})
		case v.commit == "" || !strings.EqualFold(v.commit, sha):
			a.Ignored = append(a.Ignored, IgnoredApproval{User: v.login, Why: IgnoredOlderCommit, Commit: v.commit})
		default:
			a.Approvers = append(a.Approvers, v.login)
		}
	}
	a.Approved = sha != "" && len(a.Approvers) > 0 && len(a.ChangesRequested) == 0
	return a, nil
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
