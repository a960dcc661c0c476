package githubfake

import (
	"fmt"
	"net/http"
	"strings"
)

func (s *Server) listReviews(c *call) {
	r, p, ok := c.pull()
	if !ok {
		return
	}
	all := r.reviews[p.Number]
	from, to := c.paginate(len(all))
	page := []any{}
	for _, rv := range all[from:to] {
		page = append(page, s.reviewJSON(r, p, rv))
	}
	c.json(http.StatusOK, page)
}

func (s *Server) reviewJSON(r *repoState, p *PR, rv *review) object {
	html := fmt.Sprintf("%s%s/pull/%d#pullrequestreview-%d", webURL, r.fullName(), p.Number, rv.id)
	pull := fmt.Sprintf("%srepos/%s/pulls/%d", s.URL(), r.fullName(), p.Number)
	var commitID any = rv.commitID
	if rv.commitGone {
		commitID = nil
	}
	association := "NONE"
	if _, ok := r.roles[strings.ToLower(rv.user)]; ok {
		association = "COLLABORATOR"
	}
	return object{
		"id": rv.id, "node_id": nodeID("PRR", rv.id), "user": s.userJSON(rv.user, "User"), "body": "",
		"state": rv.state, "html_url": html, "pull_request_url": pull, "commit_id": commitID,
		"submitted_at": ts(rv.submittedAt), "author_association": association,
		"_links": object{"html": object{"href": html}, "pull_request": object{"href": pull}},
	}
}
