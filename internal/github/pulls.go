package github

import (
	"context"
	"errors"
	"fmt"

	gh "github.com/google/go-github/v62/github"
)

// MaxPullRequestFiles is where GitHub stops listing a pull request's files, and a commit's.
const MaxPullRequestFiles = 3000

// ErrFileListTruncated marks a file list of a pull request or commit cut off at MaxPullRequestFiles:
// files beyond it are unknown.
var ErrFileListTruncated = errors.New("GitHub lists at most 3000 files of a pull request or commit")

// PullRequest is what the flows need to know about a pull request.
type PullRequest struct {
	Number         int
	State          string // open or closed
	Draft          bool
	User           string // author's login
	HeadSHA        string
	HeadRef        string
	HeadRepo       string // "owner/name" of the head repository; differs from the base for forks, "" if deleted
	BaseRef        string
	Merged         bool
	MergeCommitSHA string
	MergeableState string // clean, dirty, blocked, behind, unstable, draft or unknown
}

// PullRequest fetches one pull request.
func (c *Client) PullRequest(ctx context.Context, repo Repo, number int) (PullRequest, error) {
	pr, _, err := c.gh.PullRequests.Get(ctx, repo.Owner, repo.Name, number)
	if err != nil {
		return PullRequest{}, fmt.Errorf("getting pull request %s#%d: %w", repo, number, redact(err))
	}
	return PullRequest{
		Number:         pr.GetNumber(),
		State:          pr.GetState(),
		Draft:          pr.GetDraft(),
		User:           pr.GetUser().GetLogin(),
		HeadSHA:        pr.GetHead().GetSHA(),
		HeadRef:        pr.GetHead().GetRef(),
		HeadRepo:       pr.GetHead().GetRepo().GetFullName(),
		BaseRef:        pr.GetBase().GetRef(),
		Merged:         pr.GetMerged(),
		MergeCommitSHA: pr.GetMergeCommitSHA(),
		MergeableState: pr.GetMergeableState(),
	}, nil
}

// PullRequestFiles lists the paths a pull request touches, over all pages, including the previous paths
// of renamed files (moving a file out of a project changes that project too). When GitHub's 3000-file cap
// is reached it returns the paths it got together with an error wrapping ErrFileListTruncated.
func (c *Client) PullRequestFiles(ctx context.Context, repo Repo, number int) ([]string, error) {
	var paths []string
	seen := map[string]bool{}
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	listed := 0
	opts := &gh.ListOptions{PerPage: 100}
	for {
		files, resp, err := c.gh.PullRequests.ListFiles(ctx, repo.Owner, repo.Name, number, opts)
		if err != nil {
			return nil, fmt.Errorf("listing files (page %d) of pull request %s#%d: %w", max(opts.Page, 1), repo, number, redact(err))
		}
		for _, f := range files {
			add(f.GetFilename())
			add(f.GetPreviousFilename())
		}
		listed += len(files)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if listed >= MaxPullRequestFiles {
		return paths, fmt.Errorf("listing files of pull request %s#%d: %w; files beyond the first %d are missing", repo, number, ErrFileListTruncated, listed)
	}
	return paths, nil
}
