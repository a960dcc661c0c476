package githubfake

import "net/http"

// getRepository serves GET /repos/{owner}/{repo}: the repository's id and default branch, among the
// rest of GitHub's full repository object.
func (s *Server) getRepository(c *call) {
	r, ok := c.repoOr404()
	if !ok {
		return
	}
	c.json(http.StatusOK, s.repoJSON(r.fullName()))
}
