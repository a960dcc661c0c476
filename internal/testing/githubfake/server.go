// Package githubfake is the in-memory GitHub every test shares: a stateful REST server on httptest that
// serves exactly the endpoints gantry calls, with GitHub's JSON shapes, its App authentication (JWTs and
// installation tokens) and its pagination. A request for anything else fails the test, so code that
// starts calling a new endpoint cannot pass by accident.
//
// Tests set up state (AddRepo, AddPullRequest, SetFile, …), point the code under test at URL() as
// GITHUB_API_URL with AppID() and PrivateKeyPEM(), and inspect what it did (Comments, CheckRuns,
// Deployments, Dispatches, Requests). A test that plays the runner of a dispatched workflow reacts to
// dispatches with OnDispatch, reads the repository with an ActionsToken (the run's GITHUB_TOKEN) and ends
// the run with the workflow_run and workflow_job payloads of WorkflowRunCompleted and WorkflowJobCompleted.
package githubfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Option configures a Server.
type Option func(*Server)

// WithAppID sets the App ID the fake expects as the JWT issuer (default 4242).
func WithAppID(id int64) Option { return func(s *Server) { s.appID = id } }

// WithSlug sets the App's slug (default "gantry-test"); its bot login is SLUG[bot].
func WithSlug(slug string) Option { return func(s *Server) { s.slug = slug } }

// WithTokenLifetime sets how long minted installation tokens and Actions tokens live (default one hour,
// as on GitHub).
func WithTokenLifetime(d time.Duration) Option { return func(s *Server) { s.tokenLifetime = d } }

// WithArchiveURL makes tarball requests redirect to base (an absolute URL ending in "/") instead of the
// fake itself, to stand for a separate download host such as codeload.github.com. The path and query
// under base are the ones the fake serves, so a proxy at base can forward to URL().
func WithArchiveURL(base string) Option { return func(s *Server) { s.archiveBase = base } }

// Server is a fake GitHub REST API. It is safe for concurrent use.
type Server struct {
	t             testing.TB
	srv           *httptest.Server
	appID         int64
	slug          string
	tokenLifetime time.Duration
	archiveBase   string

	mu         sync.Mutex
	lastID     int64
	ids        map[string]int64 // stable ids for users and repositories not otherwise stored
	repos      map[string]*repoState
	missing    map[string]bool // lower-case logins of accounts that do not exist (RemoveUser)
	comments   map[int64]*commentState
	statuses   map[int64][]*DeploymentStatus
	tokens     map[string]token
	failures   []failure
	requests   []Request
	archiveTok string
	onDispatch []func(Dispatch)
	runs       map[int64]int64 // dispatched run id → the installation whose token dispatched it

	// hooks counts the OnDispatch calls running; hooksIdle is signalled when it drops to zero.
	hooksMu   sync.Mutex
	hooks     int
	hooksIdle *sync.Cond
}

// New starts a fake GitHub; it is shut down when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		t:             t,
		appID:         4242,
		slug:          "gantry-test",
		tokenLifetime: time.Hour,
		lastID:        1000,
		ids:           map[string]int64{},
		repos:         map[string]*repoState{},
		missing:       map[string]bool{},
		comments:      map[int64]*commentState{},
		statuses:      map[int64][]*DeploymentStatus{},
		tokens:        map[string]token{},
		runs:          map[int64]int64{},
		archiveTok:    randomString(20),
	}
	s.hooksIdle = sync.NewCond(&s.hooksMu)
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	// Registered after Close, so it runs before it: OnDispatch calls still talking to the fake finish first.
	t.Cleanup(s.WaitDispatched)
	return s
}

// URL is the API root with a trailing slash, to be used as GITHUB_API_URL.
func (s *Server) URL() string { return s.srv.URL + "/" }

// Request is one request the fake received, with its answer.
type Request struct {
	Method string
	Path   string // unescaped path, e.g. /repos/o/r/pulls/7/files
	Query  string // raw query
	Route  string // the route template that served it, e.g. /repos/{owner}/{repo}/pulls/{pull_number}; "" if none
	Header http.Header
	Body   []byte
	// TokenKind is the credential the request carried, whether or not the route accepted it: a test
	// asserts with it that a runner, holding only a GITHUB_TOKEN, never wrote to GitHub.
	TokenKind TokenKind

	Status         int
	ResponseHeader http.Header
	Response       []byte
}

// Requests lists the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

type failure struct {
	method  string
	pattern string // path.Match pattern; route-template parameters act as "*"
	status  int
	message string
}

var templateParam = regexp.MustCompile(`\{[^}/]+\}`)

// FailNext makes the next request matching method and pathPattern fail with status and message in
// GitHub's error shape. pathPattern is a route template ("/repos/{owner}/{repo}/pulls/{pull_number}/files"),
// a concrete path, or a path.Match pattern. A 403 or 429 whose message mentions "rate limit" carries
// GitHub's rate-limit headers (X-RateLimit-Remaining: 0), or, for a "secondary rate limit", its
// secondary-rate-limit documentation URL, so clients see the error type they would see from GitHub.
func (s *Server) FailNext(method, pathPattern string, status int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{
		method:  strings.ToUpper(method),
		pattern: templateParam.ReplaceAllString(pathPattern, "*"),
		status:  status,
		message: message,
	})
}

func (s *Server) takeFailure(method, p string) (failure, bool) {
	for i, f := range s.failures {
		if ok, _ := path.Match(f.pattern, p); ok && f.method == method {
			s.failures = append(s.failures[:i:i], s.failures[i+1:]...)
			return f, true
		}
	}
	return failure{}, false
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	c := &call{s: s, w: rec, r: r, body: body}
	s.serve(c)
	// The answer is written and the mutex released: what the request started (a dispatched run) may now
	// talk to the fake.
	if len(c.after) > 0 {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	for _, fn := range c.after {
		s.goHook(fn)
	}
}

// serve answers c with the server's mutex held and records it.
func (s *Server) serve(c *call) {
	r, rec := c.r, c.w.(*recorder)
	rt, params := matchRoute(r.Method, r.URL.EscapedPath())

	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		entry := Request{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: c.body,
			TokenKind: s.tokenKind(r.Header.Get("Authorization")),
			Status:    rec.status, ResponseHeader: rec.Header().Clone(), Response: rec.body.Bytes(),
		}
		if rt != nil {
			entry.Route = rt.path
		}
		s.requests = append(s.requests, entry)
	}()

	if rt == nil {
		s.t.Errorf("githubfake: unexpected request %s %s", r.Method, r.URL.RequestURI())
		c.fail(http.StatusNotFound, "Not Found")
		return
	}
	c.params = params
	if f, ok := s.takeFailure(r.Method, r.URL.Path); ok {
		c.injected(f)
		return
	}
	switch rt.auth {
	case authApp:
		if err := s.verifyJWT(r.Header.Get("Authorization")); err != nil {
			c.fail(http.StatusUnauthorized, "A JSON web token could not be decoded: "+err.Error())
			return
		}
	case authInstallation:
		tok, ok := s.tokenFor(r.Header.Get("Authorization"))
		if !ok {
			c.fail(http.StatusUnauthorized, "Bad credentials")
			return
		}
		if tok.kind == TokenActions && !tok.mayCall(rt, params) {
			c.fail(http.StatusForbidden, notAccessible)
			return
		}
		c.installation = tok.installation
	}
	rt.handle(s, c)
}

// recorder keeps a copy of the answer for the request log.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// call is one request being served; handlers run with the server's mutex held.
type call struct {
	s            *Server
	w            http.ResponseWriter
	r            *http.Request
	body         []byte
	params       map[string]string
	installation int64    // the installation whose token made the call; 0 for other credentials
	after        []func() // run once the answer is written, outside the mutex, each in its own goroutine
}

func (c *call) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.s.t.Errorf("githubfake: encoding the answer to %s %s: %v", c.r.Method, c.r.URL.Path, err)
	}
	c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(b)
}

const docsURL = "https://docs.github.com/rest"

// fail answers in GitHub's basic-error shape.
func (c *call) fail(status int, message string) {
	c.json(status, map[string]any{"message": message, "documentation_url": docsURL, "status": strconv.Itoa(status)})
}

// invalid answers 422 in GitHub's validation-error shape.
func (c *call) invalid(resource, field, message string) {
	c.json(http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"errors":            []any{map[string]any{"resource": resource, "field": field, "code": "custom", "message": message}},
		"documentation_url": docsURL,
		"status":            "422",
	})
}

func (c *call) injected(f failure) {
	msg := strings.ToLower(f.message)
	doc := docsURL
	if (f.status == http.StatusForbidden || f.status == http.StatusTooManyRequests) && strings.Contains(msg, "rate limit") {
		if strings.Contains(msg, "secondary") {
			doc = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
			c.w.Header().Set("Retry-After", "0")
		} else {
			// Reset "now", so clients that remember the limit do not refuse later calls locally.
			h := c.w.Header()
			h.Set("X-RateLimit-Limit", "5000")
			h.Set("X-RateLimit-Remaining", "0")
			h.Set("X-RateLimit-Used", "5000")
			h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Unix(), 10))
			h.Set("X-RateLimit-Resource", "core")
		}
	}
	c.json(f.status, map[string]any{"message": f.message, "documentation_url": doc, "status": strconv.Itoa(f.status)})
}

func (c *call) intParam(name string) (int64, bool) {
	n, err := strconv.ParseInt(c.params[name], 10, 64)
	if err != nil || n <= 0 {
		c.fail(http.StatusNotFound, "Not Found")
		return 0, false
	}
	return n, true
}

// decode reads the JSON request body into v, answering 400 as GitHub does when it is not JSON.
func (c *call) decode(v any) bool {
	if err := json.Unmarshal(c.body, v); err != nil {
		c.fail(http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}
