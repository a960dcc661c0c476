package githubfake

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// maxPullFiles is where GitHub stops listing a pull request's files.
const maxPullFiles = 3000

func sortedPulls(r *repoState) []int {
	var ns []int
	for n := range r.pulls {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	return ns
}

func (c *call) pull() (*repoState, *PR, bool) {
	r := c.s.repo(c.params["owner"] + "/" + c.params["repo"])
	n, ok := c.intParam("pull_number")
	if !ok {
		return nil, nil, false
	}
	if r == nil || r.pulls[int(n)] == nil {
		c.fail(http.StatusNotFound, "Not Found")
		return nil, nil, false
	}
	return r, r.pulls[int(n)], true
}

func (s *Server) getPull(c *call) {
	r, p, ok := c.pull()
	if ok {
		c.json(http.StatusOK, s.pullJSON(r, p))
	}
}

func (s *Server) listPullFiles(c *call) {
	r, p, ok := c.pull()
	if !ok {
		return
	}
	files := p.Files[:min(len(p.Files), maxPullFiles)]
	from, to := c.paginate(len(files))
	page := []any{}
	for _, f := range files[from:to] {
		page = append(page, s.diffEntryJSON(r, p.HeadSHA, p.Renamed, f))
	}
	c.json(http.StatusOK, page)
}

// diffEntryJSON describes one changed file of a pull request or commit whose head is sha; renamed maps
// new paths to previous ones.
func (s *Server) diffEntryJSON(r *repoState, sha string, renamed map[string]string, file string) object {
	o := object{
		"sha": fakeSHA(sha + ":" + file), "filename": file, "status": "modified",
		"additions": 1, "deletions": 1, "changes": 2,
		"blob_url":     fmt.Sprintf("%s%s/blob/%s/%s", webURL, r.fullName(), sha, escapePath(file)),
		"raw_url":      fmt.Sprintf("%s%s/raw/%s/%s", webURL, r.fullName(), sha, escapePath(file)),
		"contents_url": fmt.Sprintf("%srepos/%s/contents/%s?ref=%s", s.URL(), r.fullName(), escapePath(file), sha),
		"patch":        "@@ -1 +1 @@\n-old\n+new",
	}
	if prev, ok := renamed[file]; ok {
		o["status"] = "renamed"
		o["previous_filename"] = prev
	}
	return o
}

func (s *Server) pullJSON(r *repoState, p *PR) object {
	api := fmt.Sprintf("%srepos/%s", s.URL(), r.fullName())
	self := fmt.Sprintf("%s/pulls/%d", api, p.Number)
	html := fmt.Sprintf("%s%s/pull/%d", webURL, r.fullName(), p.Number)
	issue := fmt.Sprintf("%s/issues/%d", api, p.Number)
	id := s.stableID(fmt.Sprintf("pull:%s#%d", r.fullName(), p.Number))
	headOwner, _, _ := strings.Cut(p.HeadRepo, "/")
	baseSHA := fakeSHA(r.fullName() + "@" + p.BaseRef)
	created := r.createdAt
	var closedAt, mergedAt, mergeSHA, mergedBy, mergeable any
	if p.State == "closed" {
		closedAt = ts(r.updatedAt)
	}
	if p.Merged {
		mergedAt, mergedBy = ts(r.updatedAt), s.userJSON(p.User, "User")
	}
	if p.MergeCommitSHA != "" {
		mergeSHA = p.MergeCommitSHA
	}
	if p.MergeableState != "unknown" {
		mergeable = p.MergeableState != "dirty"
	}
	href := func(u string) object { return object{"href": u} }
	return object{
		"url": self, "id": id, "node_id": nodeID("PR", id), "html_url": html,
		"diff_url": html + ".diff", "patch_url": html + ".patch", "issue_url": issue,
		"commits_url": self + "/commits", "review_comments_url": self + "/comments",
		"review_comment_url": api + "/pulls/comments{/number}", "comments_url": issue + "/comments",
		"statuses_url": api + "/statuses/" + p.HeadSHA,
		"number":       p.Number, "state": p.State, "locked": false, "title": p.Title, "body": nil,
		"user": s.userJSON(p.User, "User"), "labels": []any{}, "milestone": nil, "active_lock_reason": nil,
		"created_at": ts(created), "updated_at": ts(r.updatedAt), "closed_at": closedAt, "merged_at": mergedAt,
		"merge_commit_sha": mergeSHA, "assignee": nil, "assignees": []any{}, "requested_reviewers": []any{},
		"requested_teams": []any{}, "draft": p.Draft,
		"head": object{"label": headOwner + ":" + p.HeadRef, "ref": p.HeadRef, "sha": p.HeadSHA,
			"user": s.userJSON(headOwner, "User"), "repo": s.repoJSON(p.HeadRepo)},
		"base": object{"label": r.owner + ":" + p.BaseRef, "ref": p.BaseRef, "sha": baseSHA,
			"user": s.userJSON(r.owner, "Organization"), "repo": s.repoJSON(r.fullName())},
		"_links": object{
			"self": href(self), "html": href(html), "issue": href(issue), "comments": href(issue + "/comments"),
			"review_comments": href(self + "/comments"), "review_comment": href(api + "/pulls/comments{/number}"),
			"commits": href(self + "/commits"), "statuses": href(api + "/statuses/" + p.HeadSHA),
		},
		"author_association": "CONTRIBUTOR", "auto_merge": nil,
		"merged": p.Merged, "mergeable": mergeable, "rebaseable": mergeable, "mergeable_state": p.MergeableState,
		"merged_by": mergedBy, "comments": len(r.issueComments[p.Number]), "review_comments": 0,
		"maintainer_can_modify": false, "commits": 1,
		"additions": len(p.Files), "deletions": len(p.Files), "changed_files": len(p.Files),
	}
}
