package githubfake

import (
	"fmt"
	"net/http"
	"strings"
)

// GitHub lists a commit's files 300 a page, and at most 3000 of them. A comparison lists at most 300
// files, on its first page only, and without paging parameters at most 250 commits: the newest.
const (
	commitFilesPerPage = 300
	maxCommitFiles     = 3000
	maxCompareFiles    = 300
	maxCompareCommits  = 250
)

// SetCompareCommits makes GET compare/BASE...HEAD of repo list commits — added with SetCommit first,
// oldest first — as the commits HEAD has and BASE lacks (a push's before and after), and their files
// as the comparison's files. It answers as GitHub does: commits paged by page and per_page, the files
// on the first page only and at most 300 of them; without paging parameters, the newest 250 commits.
func (s *Server) SetCompareCommits(repo, base, head string, commits []string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	for _, sha := range commits {
		if r.commits[sha] == nil {
			s.t.Fatalf("githubfake: SetCompareCommits: commit %s of %s was not added: call SetCommit first", sha, repo)
		}
	}
	r.comparisons[base+"..."+head] = comparison{aheadBy: len(commits), commits: append([]string(nil), commits...)}
}

// commitOr422 finds the commit named by param; GitHub answers 422 for a SHA it does not know.
func (c *call) commitOr422(param string) (*repoState, *commit, bool) {
	r, ok := c.repoOr404()
	if !ok {
		return nil, nil, false
	}
	cm := r.commits[c.params[param]]
	if cm == nil {
		c.fail(http.StatusUnprocessableEntity, "No commit found for SHA: "+c.params[param])
		return nil, nil, false
	}
	return r, cm, true
}

func (s *Server) getCommit(c *call) {
	r, cm, ok := c.commitOr422("ref")
	if !ok {
		return
	}
	// Every page repeats the commit; only the file list is paginated.
	files := cm.files[:min(len(cm.files), maxCommitFiles)]
	from, to := c.paginateBy(len(files), commitFilesPerPage, commitFilesPerPage)
	o := s.commitJSON(r, cm.sha, cm)
	entries := []any{}
	for _, f := range files[from:to] {
		entries = append(entries, s.diffEntryJSON(r, cm.sha, cm.renamed, f))
	}
	o["files"] = entries
	o["stats"] = object{"additions": len(cm.files), "deletions": len(cm.files), "total": 2 * len(cm.files)}
	c.json(http.StatusOK, o)
}

func (s *Server) listCommitPulls(c *call) {
	r, cm, ok := c.commitOr422("commit_sha")
	if !ok {
		return
	}
	from, to := c.paginate(len(cm.pulls))
	page := []any{}
	for _, n := range cm.pulls[from:to] {
		page = append(page, s.pullJSON(r, r.pulls[n]))
	}
	c.json(http.StatusOK, page)
}

func (s *Server) compare(c *call) {
	r, ok := c.repoOr404()
	if !ok {
		return
	}
	basehead := c.params["basehead"]
	cmp, known := r.comparisons[basehead]
	if !known {
		c.fail(http.StatusNotFound, "Not Found")
		return
	}
	base, head, _ := strings.Cut(basehead, "...")
	baseSHA, headSHA := fakeSHA(r.fullName()+"@"+base), fakeSHA(r.fullName()+"@"+head)
	mergeBase := baseSHA
	if cmp.behindBy > 0 {
		// The head branched off before the base's latest commits.
		mergeBase = fakeSHA(r.fullName() + "@" + basehead)
	}
	html := webURL + r.fullName() + "/compare/" + escapePath(basehead)
	permalink := fmt.Sprintf("%s%s/compare/%s:%s...%s:%s", webURL, r.fullName(), r.owner, baseSHA[:7], r.owner, headSHA[:7])
	o := object{
		"url": s.URL() + "repos/" + r.fullName() + "/compare/" + escapePath(basehead), "html_url": html,
		"permalink_url": permalink, "diff_url": html + ".diff", "patch_url": html + ".patch",
		"base_commit": s.commitJSON(r, baseSHA, nil), "merge_base_commit": s.commitJSON(r, mergeBase, nil),
		"status": cmp.status(), "ahead_by": cmp.aheadBy, "behind_by": cmp.behindBy, "total_commits": cmp.aheadBy,
		"commits": []any{}, "files": []any{},
	}
	if len(cmp.commits) > 0 {
		s.compareCommits(c, r, cmp, o)
	}
	c.json(http.StatusOK, o)
}

// compareCommits fills in the commits and files of a comparison set with SetCompareCommits.
func (s *Server) compareCommits(c *call, r *repoState, cmp comparison, o object) {
	q := c.r.URL.Query()
	paged := q.Has("page") || q.Has("per_page")
	from, to := max(len(cmp.commits)-maxCompareCommits, 0), len(cmp.commits)
	if paged {
		from, to = c.paginate(len(cmp.commits))
	}
	commits := []any{}
	for _, sha := range cmp.commits[from:to] {
		commits = append(commits, s.commitJSON(r, sha, r.commits[sha]))
	}
	o["commits"] = commits
	if paged && from > 0 {
		delete(o, "files") // only the first page lists them
		return
	}
	files, seen := []any{}, map[string]bool{}
	head := cmp.commits[len(cmp.commits)-1]
	for _, sha := range cmp.commits {
		cm := r.commits[sha]
		for _, f := range cm.files {
			if !seen[f] && len(files) < maxCompareFiles {
				seen[f] = true
				files = append(files, s.diffEntryJSON(r, head, cm.renamed, f))
			}
		}
	}
	o["files"] = files
}

// status is GitHub's word for how the head relates to the base.
func (cmp comparison) status() string {
	switch {
	case cmp.aheadBy > 0 && cmp.behindBy > 0:
		return "diverged"
	case cmp.aheadBy > 0:
		return "ahead"
	case cmp.behindBy > 0:
		return "behind"
	}
	return "identical"
}

// commitJSON describes commit sha without its files; cm is nil for commits the fake only names (the
// bases of comparisons).
func (s *Server) commitJSON(r *repoState, sha string, cm *commit) object {
	api := s.URL() + "repos/" + r.fullName()
	html := webURL + r.fullName() + "/commit/"
	at, message := r.createdAt, "Update infrastructure"
	if cm != nil {
		at, message = cm.at, fmt.Sprintf("Change %d files", len(cm.files))
		if len(cm.pulls) > 0 {
			p := r.pulls[cm.pulls[0]]
			headOwner, _, _ := strings.Cut(p.HeadRepo, "/")
			message = fmt.Sprintf("Merge pull request #%d from %s/%s\n\n%s", p.Number, headOwner, p.HeadRef, p.Title)
		}
	}
	tree, parent := fakeSHA(sha+"^{tree}"), fakeSHA(sha+"^")
	person := object{"name": "The Octocat", "email": "octocat@github.com", "date": ts(at)}
	return object{
		"url": api + "/commits/" + sha, "sha": sha, "node_id": nodeID("C", s.stableID("commit:"+sha)),
		"html_url": html + sha, "comments_url": api + "/commits/" + sha + "/comments",
		"commit": object{
			"url": api + "/git/commits/" + sha, "author": person, "committer": person, "message": message,
			"comment_count": 0, "tree": object{"sha": tree, "url": api + "/git/trees/" + tree},
			"verification": object{"verified": false, "reason": "unsigned", "payload": nil, "signature": nil, "verified_at": nil},
		},
		"author": s.userJSON("octocat", "User"), "committer": s.userJSON("octocat", "User"),
		"parents": []any{object{"sha": parent, "url": api + "/commits/" + parent, "html_url": html + parent}},
	}
}
