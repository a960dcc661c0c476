package github

import (
	"errors"
	"net/http"
	"net/url"
)

// originScopedTransport sends requests for the API origin through authed (which adds the App JWT or the
// installation token) and everything else through plain, so a redirect to another host never carries them.
type originScopedTransport struct {
	scheme, host string
	authed       http.RoundTripper
	plain        http.RoundTripper
}

func (t *originScopedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == t.scheme && req.URL.Host == t.host {
		return t.authed.RoundTrip(req)
	}
	return t.plain.RoundTrip(req)
}

// redact drops query strings from URLs inside err: download redirects (codeload, raw content) carry
// short-lived access tokens there, and errors end up in logs and comments.
func redact(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	if u, perr := url.Parse(ue.URL); perr == nil && u.RawQuery != "" {
		u.RawQuery = "REDACTED"
		ue.URL = u.String()
	}
	return err
}
