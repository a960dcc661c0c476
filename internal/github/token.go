package github

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	redaction "github.com/classla/gantry/internal/redact"
)

// TokenConfig says where the API lives and which fixed token to call it with: inside a GitHub Actions
// runner, the workflow's GITHUB_TOKEN.
type TokenConfig struct {
	// BaseURL is the REST API root, as in AppConfig (inside a runner, GITHUB_API_URL). Empty means
	// DefaultBaseURL.
	BaseURL string
	// Token is sent with every API request.
	Token string
	// HTTPClient supplies the base transport and timeout; nil means http.DefaultTransport and no timeout.
	HTTPClient *http.Client
	// UserAgent is sent with every request; empty means "gantry".
	UserAgent string
	// Redact, when not nil, learns Token and every download token, and filters every request body sent to
	// the API, as AppConfig.Redact does.
	Redact *redaction.Filter
}

// NewTokenClient builds a Client that acts with cfg.Token instead of an installation token: gantry run
// uses it to read the repository with the GITHUB_TOKEN of its workflow run, which has contents: read and
// nothing more. Its read methods (Tarball, DefaultBranchFile, …) work as on an installation's Client; its
// writes fail with GitHub's refusal, which the error explains, and UpsertComment fails without a request
// since the token is not the App's. It makes no network calls.
func NewTokenClient(cfg TokenConfig) (*Client, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("GITHUB_TOKEN is empty: the workflow must pass `GITHUB_TOKEN: ${{ github.token }}` in the env of the step that runs gantry run, and grant `permissions: {contents: read}` so the job may read the repository")
	}
	if strings.ContainsAny(cfg.Token, " \t\r\n") {
		// The value itself is not repeated: it is a credential, or part of one.
		return nil, errors.New("GITHUB_TOKEN holds whitespace: pass `GITHUB_TOKEN: ${{ github.token }}` unchanged")
	}
	a, err := newEndpoint(cfg.BaseURL, cfg.HTTPClient, cfg.UserAgent, cfg.Redact)
	if err != nil {
		return nil, err
	}
	if cfg.Redact != nil {
		cfg.Redact.Add(cfg.Token)
	}
	// BotLogin asks GitHub as the App, which this client cannot do: refuse before anything is sent.
	a.appClient = a.newGitHubClient(notTheApp{})
	rt := a.scoped(&bearerTransport{token: cfg.Token, next: &permissionHint{next: a.minting}})
	return &Client{
		app:  a,
		gh:   a.newGitHubClient(rt),
		http: &http.Client{Transport: rt, Timeout: a.httpBase.Timeout},
	}, nil
}

// bearerTransport adds the fixed token to requests for the API (the scoped transport sends it nothing else).
type bearerTransport struct {
	token string
	next  http.RoundTripper
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Header.Set("Authorization", "Bearer "+t.token)
	return t.next.RoundTrip(out)
}

// errNotTheApp is why a token client cannot learn the App's identity.
var errNotTheApp = errors.New("this client holds only the workflow's GITHUB_TOKEN, not the GitHub App's credentials: " +
	"writing on GitHub is the gantry server's job")

type notTheApp struct{}

func (notTheApp) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return nil, errNotTheApp
}

// notAccessible is GitHub's message when a token lacks the permission a call needs.
const notAccessible = "Resource not accessible by integration"

// permissionHint adds to GitHub's terse refusal of a call the token may not make what it means here, so
// the error (which go-github builds from the answer's message) tells the reader which token lacks what.
type permissionHint struct {
	next http.RoundTripper
}

const lacksPermission = " (the workflow's GITHUB_TOKEN lacks the permission for this call: it may only read " +
	"the repository, with contents: read; comments, check runs and deployments are written by the gantry server)"

// maxRefusal bounds what is read of a 403 answer; GitHub's are well under 1 KB.
const maxRefusal = 64 << 10

func (t *permissionHint) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusForbidden {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRefusal))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var answer map[string]any
	if json.Unmarshal(body, &answer) == nil {
		if msg, _ := answer["message"].(string); strings.Contains(msg, notAccessible) {
			answer["message"] = msg + lacksPermission
			if b, err := json.Marshal(answer); err == nil {
				body = b
				resp.Header.Del("Content-Length")
			}
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}
