package github

import (
	"errors"
	"net/http"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v62/github"
)

// Errors returned by Client wrap go-github's typed errors (*github.ErrorResponse, *github.RateLimitError,
// *github.AbuseRateLimitError), so errors.As works on them; these helpers answer the usual questions.

// IsRateLimit reports whether err is GitHub refusing a call for exceeding a primary or secondary rate
// limit; waiting and retrying is the remedy.
func IsRateLimit(err error) bool {
	var rl *gh.RateLimitError
	var abuse *gh.AbuseRateLimitError
	return errors.As(err, &rl) || errors.As(err, &abuse)
}

// IsServerError reports whether GitHub answered with a 5xx status, which is usually worth a retry.
func IsServerError(err error) bool {
	return statusOf(err) >= 500
}

// IsNotFound reports whether GitHub answered 404.
func IsNotFound(err error) bool {
	return statusOf(err) == http.StatusNotFound
}

func statusOf(err error) int {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	var he *ghinstallation.HTTPError // failed installation token minting
	if errors.As(err, &he) && he.Response != nil {
		return he.Response.StatusCode
	}
	return 0
}
