package github

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	redaction "github.com/classla/gantry/internal/redact"
)

// originScopedTransport sends requests for the API origin through authed (which adds the App JWT or the
// installation token) and everything else through plain, so a redirect to another host never carries them.
// Every request body bound for the API passes through filter first: it is the one place where what gantry
// writes on GitHub (comments, check runs, deployment statuses, …) leaves the process.
type originScopedTransport struct {
	scheme, host string
	authed       http.RoundTripper
	plain        http.RoundTripper
	filter       *redaction.Filter
}

func (t *originScopedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == t.scheme && req.URL.Host == t.host {
		req, err := redactBody(req, t.filter)
		if err != nil {
			return nil, err
		}
		return t.authed.RoundTrip(req)
	}
	return t.plain.RoundTrip(req)
}

// redactBody returns req with its body filtered: a new request when the body holds a known secret, in any
// of the forms the filter knows (a JSON body carries secrets JSON-escaped). The headers, Authorization
// included, are left as they are.
func redactBody(req *http.Request, f *redaction.Filter) (*http.Request, error) {
	if f == nil || req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close() // a RoundTripper closes the body it was given, whatever happens
	if err != nil {
		return nil, fmt.Errorf("reading the body of %s %s: %w", req.Method, req.URL.Path, err)
	}
	body = f.Bytes(body)
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return out, nil
}

// learningTransport carries the App's requests to the API (ghinstallation's base transport) and teaches
// filter each credential where it first appears: the App JWT in the Authorization header of a request
// made as the App, the installation token in GitHub's answer to POST /app/installations/{id}/access_tokens
// (before ghinstallation uses it), and the token in the query of a download redirect.
type learningTransport struct {
	next   http.RoundTripper
	filter *redaction.Filter
}

// credentialLifetime bounds how long GitHub accepts an App JWT (10 minutes) or an installation token (one
// hour); a credential is kept in the filter that long after it was last seen.
const credentialLifetime = time.Hour

// maxTokenAnswer bounds what is read of a token answer to learn the token; GitHub's are under 2 KB.
const maxTokenAnswer = 1 << 20

func (t *learningTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if jwt, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
		t.filter.AddUntil(time.Now().Add(credentialLifetime), jwt)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if loc, err := resp.Location(); err == nil {
		t.filter.AddUntil(time.Now().Add(credentialLifetime), loc.Query()["token"]...)
	}
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/access_tokens") && resp.StatusCode == http.StatusCreated {
		if err := t.learnToken(resp); err != nil {
			resp.Body.Close()
			return nil, err
		}
	}
	return resp, nil
}

// learnToken reads the minted token from the answer, before ghinstallation gets to use it, and puts the
// answer back for it.
func (t *learningTransport) learnToken(resp *http.Response) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer))
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("reading GitHub's answer with an installation token: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var answer struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if json.Unmarshal(body, &answer) == nil && answer.Token != "" {
		expires := answer.ExpiresAt
		if expires.IsZero() {
			expires = time.Now().Add(credentialLifetime)
		}
		t.filter.AddUntil(expires, answer.Token)
	}
	return nil
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
