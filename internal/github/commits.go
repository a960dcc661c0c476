package github

import (
	"context"
	"errors"
	"fmt"

	gh "github.com/google/go-github/v62/github"
)

// Diverged compares head with base (branches or commit SHAs; "OWNER:BRANCH" for a fork) and returns how
// many commits of base head lacks. More than zero means head is out of date with base: "diverged".
// Unknown refs give an error for which IsNotFound is true.
func (c *Client) Diverged(ctx context.Context, repo Repo, base, head string) (behindBy int, err error) {
	// Only the counts are needed: one commit a page keeps the answer small.
	cmp, _, err := c.gh.Repositories.CompareCommits(ctx, repo.Owner, repo.Name, base, head, &gh.ListOptions{PerPage: 1})
	if err != nil {
		return 0, fmt.Errorf("comparing %s with %s on %s: %w", head, base, repo, redact(err))
	}
	if cmp.BehindBy == nil {
		return 0, fmt.Errorf("comparing %s with %s on %s: GitHub's answer has no behind_by count", head, base, repo)
	}
	return cmp.GetBehindBy(), nil
}

// CommitFiles lists the paths commit sha changed, over all pages, including the previous paths of renamed
// files, as PullRequestFiles does for pull requests; it is how a direct push finds its projects. When
// GitHub's 3000-file cap is reached it returns the paths it got together with an error wrapping
// ErrFileListTruncated.
func (c *Client) CommitFiles(ctx context.Context, repo Repo, sha string) ([]string, error) {
	var paths []string
	seen := map[string]bool{}
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	listed := 0
	// GitHub pages a commit's files 300 at a time; each page repeats the commit itself.
	opts := &gh.ListOptions{}
	for {
		commit, resp, err := c.gh.Repositories.GetCommit(ctx, repo.Owner, repo.Name, sha, opts)
		if err != nil {
			return nil, fmt.Errorf("listing files (page %d) of commit %s on %s: %w", max(opts.Page, 1), sha, repo, redact(err))
		}
		for _, f := range commit.Files {
			add(f.GetFilename())
			add(f.GetPreviousFilename())
		}
		listed += len(commit.Files)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if listed >= MaxPullRequestFiles {
		return paths, fmt.Errorf("listing files of commit %s on %s: %w; files beyond the first %d are missing", sha, repo, ErrFileListTruncated, listed)
	}
	return paths, nil
}

// MaxCompareFiles is where GitHub stops listing a comparison's files.
const MaxCompareFiles = 300

// CompareFiles lists the paths changed between base and head (a push's before and after commits),
// including the previous paths of renamed files; a direct push whose webhook may not list all its
// files (GitHub caps it) finds its projects with it. GitHub lists at most 300 files of a
// comparison: when it lists that many, CompareFiles lists the files of every commit of the
// comparison (every page of them) instead, so a push of many commits and files misses none. When a
// commit's own list is cut, it returns the paths it got with an error wrapping ErrFileListTruncated.
func (c *Client) CompareFiles(ctx context.Context, repo Repo, base, head string) ([]string, error) {
	var paths, commits []string
	seen := map[string]bool{}
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	listed := 0
	// Only the first page lists files; every page lists up to per_page commits.
	opts := &gh.ListOptions{PerPage: 100}
	for {
		cmp, resp, err := c.gh.Repositories.CompareCommits(ctx, repo.Owner, repo.Name, base, head, opts)
		if err != nil {
			return nil, fmt.Errorf("comparing %s with %s (page %d) on %s: %w", head, base, max(opts.Page, 1), repo, redact(err))
		}
		if opts.Page <= 1 {
			for _, f := range cmp.Files {
				add(f.GetFilename())
				add(f.GetPreviousFilename())
			}
			listed = len(cmp.Files)
		}
		for _, cm := range cmp.Commits {
			commits = append(commits, cm.GetSHA())
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if listed < MaxCompareFiles {
		return paths, nil
	}
	var truncated error
	for _, sha := range commits {
		files, err := c.CommitFiles(ctx, repo, sha)
		if err != nil && !errors.Is(err, ErrFileListTruncated) {
			return nil, err
		}
		if err != nil && truncated == nil {
			truncated = err
		}
		for _, f := range files {
			add(f)
		}
	}
	if truncated != nil {
		return paths, fmt.Errorf("comparing %s with %s on %s: %w", head, base, repo, truncated)
	}
	return paths, nil
}

// PullRequestsOfCommit returns the numbers of the merged pull requests commit sha belongs to. A push to
// the default branch is a direct push only when none of its commits belongs to one.
func (c *Client) PullRequestsOfCommit(ctx context.Context, repo Repo, sha string) ([]int, error) {
	var numbers []int
	opts := &gh.ListOptions{PerPage: 100}
	for {
		pulls, resp, err := c.gh.PullRequests.ListPullRequestsWithCommit(ctx, repo.Owner, repo.Name, sha, opts)
		if err != nil {
			return nil, fmt.Errorf("listing pull requests (page %d) of commit %s on %s: %w", max(opts.Page, 1), sha, repo, redact(err))
		}
		for _, p := range pulls {
			// For a commit not (yet) on the default branch GitHub also lists open pull requests.
			if p.MergedAt != nil {
				numbers = append(numbers, p.GetNumber())
			}
		}
		if resp.NextPage == 0 {
			return numbers, nil
		}
		opts.Page = resp.NextPage
	}
}
