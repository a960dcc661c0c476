// Package github talks to the GitHub REST API as a GitHub App: it mints installation tokens (through
// GITHUB_API_URL, so GitHub Enterprise Server and local test servers work) and offers the few calls gantry
// makes on pull requests and commits: comments, check runs, files, reviews, comparisons, contents,
// permissions, deployments and workflow dispatches. Every request body it sends to the API passes through
// the redaction filter of AppConfig.Redact, which also learns each credential the App obtains.
package github

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/bradleyfalzon/ghinstallation/v2"
	jwt "github.com/golang-jwt/jwt/v4"
	gh "github.com/google/go-github/v62/github"

	redaction "github.com/classla/gantry/internal/redact"
)

// DefaultBaseURL is the REST API root of github.com.
const DefaultBaseURL = "https://api.github.com/"

const defaultUserAgent = "gantry"

// AppConfig says which GitHub App to act as and where its API lives.
type AppConfig struct {
	// AppID is the numeric App ID (GITHUB_APP_ID).
	AppID int64
	// PrivateKey is the App's PEM-encoded RSA private key.
	PrivateKey []byte
	// BaseURL is the REST API root (GITHUB_API_URL), e.g. https://api.github.com/,
	// https://HOST/api/v3/ or http://127.0.0.1:PORT/. Empty means DefaultBaseURL.
	BaseURL string
	// HTTPClient supplies the base transport and timeout; nil means http.DefaultTransport and no timeout.
	HTTPClient *http.Client
	// UserAgent is sent with every request; empty means "gantry".
	UserAgent string
	// Redact, when not nil, learns the lines of PrivateKey, every installation token minted, every App JWT
	// and every download token, and filters every request body sent to the API (comments, check runs,
	// deployment statuses, …), so that no secret it knows is written on GitHub.
	Redact *redaction.Filter
}

// App is a GitHub App identity. It hands out one Client per installation and caches them, so installation
// tokens are reused until they are about to expire.
type App struct {
	id        int64
	key       *rsa.PrivateKey
	api       *url.URL          // REST API root, always with a trailing slash
	base      http.RoundTripper // for downloads from other hosts
	minting   http.RoundTripper // for ghinstallation: base, learning the credentials it carries
	redact    *redaction.Filter
	httpBase  *http.Client
	userAgent string
	appClient *gh.Client // authenticated with the App's JWT

	mu            sync.Mutex
	installations map[int64]*Client
	slug          string
}

// NewApp checks cfg and builds an App. It makes no network calls.
func NewApp(cfg AppConfig) (*App, error) {
	if cfg.AppID <= 0 {
		return nil, errors.New("GitHub App ID is not set: set GITHUB_APP_ID to the App ID shown on the GitHub App's settings page")
	}
	if len(cfg.PrivateKey) == 0 {
		return nil, errors.New("GitHub App private key is empty: set GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_FILE to the App's PEM private key")
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM(cfg.PrivateKey)
	if err != nil {
		// The parser's message never contains key material.
		return nil, fmt.Errorf("GitHub App private key is not a PEM-encoded RSA key (use the .pem file generated on the GitHub App's settings page): %w", err)
	}
	a, err := newEndpoint(cfg.BaseURL, cfg.HTTPClient, cfg.UserAgent, cfg.Redact)
	if err != nil {
		return nil, err
	}
	a.id, a.key = cfg.AppID, key
	if cfg.Redact != nil {
		cfg.Redact.AddPEM(cfg.PrivateKey)
	}
	atr := ghinstallation.NewAppsTransportFromPrivateKey(a.minting, a.id, a.key)
	atr.BaseURL = a.tokenBaseURL()
	a.appClient = a.newGitHubClient(a.scoped(atr))
	return a, nil
}

// newEndpoint is what every client of one API shares, whatever its credential: the API root, the base
// transport and timeout, the user agent and the redaction filter, which minting (the transport that
// carries credentials to the API) teaches what it sees.
func newEndpoint(baseURL string, hc *http.Client, userAgent string, filter *redaction.Filter) (*App, error) {
	api, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	a := &App{
		api:           api,
		base:          http.DefaultTransport,
		httpBase:      &http.Client{},
		userAgent:     userAgent,
		redact:        filter,
		installations: map[int64]*Client{},
	}
	if hc != nil {
		a.httpBase = hc
		if hc.Transport != nil {
			a.base = hc.Transport
		}
	}
	a.minting = a.base
	if filter != nil {
		a.minting = &learningTransport{next: a.base, filter: filter}
	}
	if a.userAgent == "" {
		a.userAgent = defaultUserAgent
	}
	return a, nil
}

func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("GITHUB_API_URL %q is not an http(s) URL: set it to https://api.github.com/ or, for GitHub Enterprise Server, https://HOST/api/v3/", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("GITHUB_API_URL %q must not carry credentials, a query or a fragment: give only the API root such as https://HOST/api/v3/", u.Redacted())
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

// tokenBaseURL is the API root as ghinstallation wants it: without the trailing slash, since it appends
// "/app/installations/{id}/access_tokens" itself.
func (a *App) tokenBaseURL() string {
	return strings.TrimSuffix(a.api.String(), "/")
}

// newGitHubClient points go-github at the API root directly: WithEnterpriseURLs would append api/v3/ to
// roots such as http://127.0.0.1:PORT/.
func (a *App) newGitHubClient(rt http.RoundTripper) *gh.Client {
	c := gh.NewClient(&http.Client{Transport: rt, Timeout: a.httpBase.Timeout, Jar: a.httpBase.Jar})
	c.BaseURL = a.api
	c.UploadURL = a.api
	c.UserAgent = a.userAgent
	return c
}

// scoped lets authed add credentials only to requests for the API's own origin, after filtering their
// bodies; anything else (a codeload or raw download redirect, say) goes out through the base transport
// without them.
func (a *App) scoped(authed http.RoundTripper) http.RoundTripper {
	return &originScopedTransport{scheme: a.api.Scheme, host: a.api.Host, authed: authed, plain: a.base, filter: a.redact}
}

// Installation returns the client for one installation of the App. Clients are cached: each keeps its
// installation token until shortly before it expires.
func (a *App) Installation(id int64) *Client {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.installations[id]; ok {
		return c
	}
	// One apps transport per installation: ghinstallation writes to the apps transport while refreshing,
	// so sharing one between installations would race.
	itr := ghinstallation.NewFromAppsTransport(ghinstallation.NewAppsTransportFromPrivateKey(a.minting, a.id, a.key), id)
	itr.BaseURL = a.tokenBaseURL()
	rt := a.scoped(itr)
	c := &Client{
		app:  a,
		gh:   a.newGitHubClient(rt),
		http: &http.Client{Transport: rt, Timeout: a.httpBase.Timeout},
	}
	a.installations[id] = c
	return c
}

// BotLogin is the login GitHub shows as the author of what the App writes: "SLUG[bot]". The slug comes from
// GET /app once and is cached.
func (a *App) BotLogin(ctx context.Context) (string, error) {
	a.mu.Lock()
	slug := a.slug
	a.mu.Unlock()
	if slug == "" {
		app, _, err := a.appClient.Apps.Get(ctx, "")
		if err != nil {
			return "", fmt.Errorf("getting the GitHub App's own identity (GET /app): %w", redact(err))
		}
		if app.GetSlug() == "" {
			return "", errors.New("getting the GitHub App's own identity (GET /app): the answer has no slug")
		}
		slug = app.GetSlug()
		a.mu.Lock()
		a.slug = slug
		a.mu.Unlock()
	}
	return slug + "[bot]", nil
}

// Client acts for one installation of the App. It is safe for concurrent use.
type Client struct {
	app  *App
	gh   *gh.Client
	http *http.Client // the same authenticated transport, for downloads that follow redirects
}
