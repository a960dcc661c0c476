package githubfake

import "net/http"

// getRepository serves GET /repos/{owner}/{repo}: the repository's id and default branch, among the
// rest of GitHub's full repository object.
func (s *Server) getRepository(c *call) {
	r, ok := c.repoOr404()
	if !ok {
		return
	}
	// The full repository object: the one nested in other answers plus its counts.
	full := s.repoJSON(r.fullName())
	full["network_count"], full["subscribers_count"] = 0, 0
	c.json(http.StatusOK, full)
}
