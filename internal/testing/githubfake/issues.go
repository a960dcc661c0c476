package githubfake

import (
	"fmt"
	"net/http"
	"unicode/utf8"
)

// maxCommentLength is GitHub's limit on an issue comment body, in characters.
const maxCommentLength = 65536

// issue finds the repository and pull request a comment route names, answering 404 when either is missing.
func (c *call) issue() (*repoState, int, bool) {
	r := c.s.repo(c.params["owner"] + "/" + c.params["repo"])
	n, ok := c.intParam("issue_number")
	if !ok {
		return nil, 0, false
	}
	if r == nil || r.pulls[int(n)] == nil {
		c.fail(http.StatusNotFound, "Not Found")
		return nil, 0, false
	}
	return r, int(n), true
}

func (s *Server) listComments(c *call) {
	r, n, ok := c.issue()
	if !ok {
		return
	}
	ids := r.issueComments[n]
	from, to := c.paginate(len(ids))
	page := []any{}
	for _, id := range ids[from:to] {
		page = append(page, s.commentJSON(s.comments[id]))
	}
	c.json(http.StatusOK, page)
}

// commentBody reads and checks the body of a comment request.
func (c *call) commentBody() (string, bool) {
	var req struct {
		Body *string `json:"body"`
	}
	if !c.decode(&req) {
		return "", false
	}
	switch {
	case req.Body == nil || *req.Body == "":
		c.invalid("IssueComment", "body", "body wasn't supplied.")
		return "", false
	case utf8.RuneCountInString(*req.Body) > maxCommentLength:
		c.invalid("IssueComment", "body", fmt.Sprintf("Body is too long (maximum is %d characters)", maxCommentLength))
		return "", false
	}
	return *req.Body, true
}

func (s *Server) createComment(c *call) {
	r, n, ok := c.issue()
	if !ok {
		return
	}
	body, ok := c.commentBody()
	if !ok {
		return
	}
	cm := s.addComment(r, n, s.BotLogin(), "Bot", body)
	out := s.commentJSON(cm)
	c.w.Header().Set("Location", out["url"].(string))
	c.json(http.StatusCreated, out)
}

// comment finds the comment a route names within its repository.
func (c *call) comment() (*commentState, bool) {
	id, ok := c.intParam("comment_id")
	if !ok {
		return nil, false
	}
	cm := c.s.comments[id]
	if cm == nil || cm.repo != c.s.repo(c.params["owner"]+"/"+c.params["repo"]) {
		c.fail(http.StatusNotFound, "Not Found")
		return nil, false
	}
	return cm, true
}

func (s *Server) updateComment(c *call) {
	cm, ok := c.comment()
	if !ok {
		return
	}
	body, ok := c.commentBody()
	if !ok {
		return
	}
	cm.Body = body
	cm.UpdatedAt = now()
	c.json(http.StatusOK, s.commentJSON(cm))
}

func (s *Server) deleteComment(c *call) {
	cm, ok := c.comment()
	if !ok {
		return
	}
	s.removeComment(cm)
	c.w.WriteHeader(http.StatusNoContent)
}
