package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/classla/gantry/internal/redact"
)

// ErrJobEnded is what the client's Heartbeat, Log and Result return (wrapped in an *APIError) when the server
// answers 409: the job has ended, or its result was received, so the runner should stop working on it.
var ErrJobEnded = errors.New("runner: the server ended the job")

// maxAnswer caps what the client reads of an answer: a claim's job spec, or an error.
const maxAnswer = 16 << 20

// Client is the runner's side of the runner API: gantry run uses it inside a GitHub Actions job.
type Client struct {
	Server string       // the server's URL (GANTRY_URL), no trailing slash needed
	Ref    string       // the job id input of the dispatch
	HTTP   *http.Client // nil: a client with a 60 s timeout
	token  string       // the job token, after Claim
}

// APIError is an answer of the server other than success: Status is its HTTP status, Message the text of its
// {"error": …} body. Error says what the runner should do about it. It never holds a token.
type APIError struct {
	Status  int
	Message string
	call    string // claim, heartbeat, logs or result
}

func (e *APIError) Error() string {
	call := e.call
	if call == "" {
		call = "request"
	}
	what := fmt.Sprintf("the server answered %d to the %s", e.Status, call)
	switch {
	case e.call == "claim" && e.Status == http.StatusUnauthorized:
		what = "the server refused this runner's identity: " + e.Message + "; check that the workflow runs on the " +
			"default branch in the job's environment and that GANTRY_URL equals the server's GANTRY_PUBLIC_URL"
	case e.call == "claim" && e.Status == http.StatusForbidden:
		what = "the server says this run is not the one dispatched for the job: " + e.Message + "; run the job " +
			"only from the workflow the server dispatched, on the default branch, in the job's environment"
	case e.call == "claim" && e.Status == http.StatusConflict:
		what = "the job cannot be claimed: " + e.Message + "; another run has it or it has ended, so this run has nothing to do"
	case e.Status == http.StatusNotFound:
		what = "the server knows no job dispatched with this id: " + e.Message + "; check that --job is this run's " +
			"job_id input and that GANTRY_URL is the server that dispatched it"
	case e.Status == http.StatusUnauthorized:
		what = "the server refused the job token: " + e.Message + "; only the runner that claimed the job may report on it"
	case e.Status == http.StatusConflict:
		what = "the server ended the job: " + e.Message + "; stop working on it"
	case e.Status == http.StatusRequestEntityTooLarge:
		what = fmt.Sprintf("the server refused the %s as too large: %s; the server's limits are set where it serves the runner API", call, e.Message)
	case e.Status >= 500:
		what = fmt.Sprintf("the server failed the %s (%d): %s; try again later, and check the server's log if it persists", call, e.Status, e.Message)
	default:
		what += ": " + e.Message
	}
	return "runner API: " + what
}

// Is makes errors.Is(err, ErrJobEnded) true for a 409 answer to a call made with the job token.
func (e *APIError) Is(target error) bool {
	return target == ErrJobEnded && e.Status == http.StatusConflict && e.call != "claim"
}

// Claim claims the job with the run's OIDC token (audience: the server's URL) and keeps the job token for the
// calls that follow.
func (c *Client) Claim(ctx context.Context, oidcToken string) (ClaimedJob, error) {
	if oidcToken == "" {
		return ClaimedJob{}, errors.New("runner API: claim: the OIDC token is empty: ask the Actions token service for one (the job needs permissions: id-token: write)")
	}
	var resp ClaimResponse
	if err := c.do(ctx, "claim", oidcToken, "", nil, http.StatusOK, &resp); err != nil {
		return ClaimedJob{}, err
	}
	if resp.Token == "" {
		return ClaimedJob{}, errors.New("runner API: claim: the server's answer holds no job token: check that GANTRY_URL is a gantry server")
	}
	c.token = resp.Token
	return resp.Job, nil
}

// Heartbeat tells the server the runner is alive. errors.Is(err, ErrJobEnded) when the job has ended.
func (c *Client) Heartbeat(ctx context.Context) error {
	return c.jobCall(ctx, "heartbeat", "", nil)
}

// Log appends chunk (at most the server's MaxLogChunk, 1 MiB by default) to the job's log on the server. It
// sends chunk as it is: remove secrets first (LogWriter does). errors.Is(err, ErrJobEnded) when the job has
// ended.
func (c *Client) Log(ctx context.Context, chunk []byte) error {
	return c.jobCall(ctx, "logs", "application/octet-stream", chunk)
}

// Result reports how the job ended; the server takes one result per job. errors.Is(err, ErrJobEnded) when the
// job has ended or a result was received before.
func (c *Client) Result(ctx context.Context, r Result) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("runner API: result: the outcome is not valid JSON: %w", err)
	}
	return c.jobCall(ctx, "result", "application/json", body)
}

func (c *Client) jobCall(ctx context.Context, call, contentType string, body []byte) error {
	if c.token == "" {
		return fmt.Errorf("runner API: %s: the job is not claimed: call Claim first", call)
	}
	return c.do(ctx, call, c.token, contentType, body, http.StatusNoContent, nil)
}

// do posts body to the call's route with token as bearer, and decodes a want answer into out.
func (c *Client) do(ctx context.Context, call, token, contentType string, body []byte, want int, out any) error {
	u, err := c.url(call)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("runner API: %s: %w", call, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("runner API: %s: %w", call, c.hide(err, token))
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("runner API: %s: reading the answer: %w", call, c.hide(err, token))
	}
	if resp.StatusCode != want {
		return &APIError{Status: resp.StatusCode, Message: hideToken(message(resp, answer), token), call: call}
	}
	if out != nil {
		if err := json.Unmarshal(answer, out); err != nil {
			return fmt.Errorf("runner API: %s: the answer is not the runner API's JSON (%v): check that GANTRY_URL is a gantry server", call, err)
		}
	}
	return nil
}

// url is the route of call for the client's ref. The ref is one path segment, escaped: a ref holding "/" or
// ".." cannot name another route. "." and ".." alone are refused, since escaping leaves them as they are.
func (c *Client) url(call string) (string, error) {
	if c.Ref == "" || c.Ref == "." || c.Ref == ".." {
		return "", fmt.Errorf("runner API: %s: the job id %q is not one the server hands out: pass this run's job_id input as --job", call, c.Ref)
	}
	base, err := url.Parse(strings.TrimRight(c.Server, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return "", fmt.Errorf("runner API: %s: the server URL %q is not an http(s) URL: set GANTRY_URL (or --server) to the server's GANTRY_PUBLIC_URL", call, c.Server)
	}
	return base.String() + "/api/runner/v1/jobs/" + url.PathEscape(c.Ref) + "/" + call, nil
}

func (c *Client) httpClient() *http.Client {
	hc := http.Client{Timeout: 60 * time.Second}
	if c.HTTP != nil {
		hc = *c.HTTP
	}
	// The runner API never redirects: following one would send a token to wherever it points.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// message is the server's {"error": …} text, or the start of an answer that is not one (a proxy's page).
func message(resp *http.Response, answer []byte) string {
	var body struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(answer, &body) == nil && body.Error != "" {
		return body.Error
	}
	text := strings.ToValidUTF8(strings.TrimSpace(string(answer)), "?")
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	if text == "" {
		return http.StatusText(resp.StatusCode)
	}
	return fmt.Sprintf("%s (not an answer of the runner API: check that GANTRY_URL is the gantry server): %s", http.StatusText(resp.StatusCode), text)
}

// hide removes the tokens the client holds from err's text.
func (c *Client) hide(err error, token string) error {
	text := hideToken(hideToken(err.Error(), token), c.token)
	if text == err.Error() {
		return err
	}
	return errors.New(text)
}

func hideToken(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "[redacted]")
}

// maxLogChunk is the most LogWriter sends in one call: the server's default MaxLogChunk.
const maxLogChunk = DefaultMaxLogChunk

// maxLogPending is how much log LogWriter holds while sends fail; what is written beyond it is dropped (the
// server keeps only the first DefaultMaxLog bytes anyway).
const maxLogPending = 4 * DefaultMaxLog

// LogWriter sends what is written to it to the job's log on the server, through a redaction filter. It is an
// io.Writer safe for concurrent use; writes never wait for the network.
//
// Secrets: text is held back until a newline, and each line is filtered whole before it is sent, so a secret
// written in several pieces is still recognised. A line longer than 1 MiB is sent without waiting for its
// end, and a secret holding a newline is not recognised across it (tokens and keys hold none: AddPEM adds
// each line of a key alone).
type LogWriter struct {
	ctx    context.Context
	c      *Client
	filter *redact.Filter

	mu      sync.Mutex
	pending []byte
	closed  bool
	dropped int // bytes written while pending was full

	// Only the sending goroutine (then Close, after it stopped) touches these.
	ended bool  // the server ended the job: nothing more is sent
	err   error // the first failed send, other than ErrJobEnded

	stop chan struct{}
	done chan struct{}
}

// NewLogWriter starts a LogWriter that sends what was written every `every` (0 or less: 5 s) and on Close.
func NewLogWriter(ctx context.Context, c *Client, every time.Duration, filter *redact.Filter) *LogWriter {
	if every <= 0 {
		every = 5 * time.Second
	}
	w := &LogWriter{ctx: ctx, c: c, filter: filter, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run(every)
	return w
}

// Write buffers p for the next send. After Close it fails.
func (w *LogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, errors.New("runner: the job's log writer is closed: write before closing it")
	}
	if len(w.pending)+len(p) > maxLogPending {
		w.dropped += len(p)
		return len(p), nil
	}
	w.pending = append(w.pending, p...)
	return len(p), nil
}

// Close sends what is left, including a last line without a newline, and stops sending. It returns the first
// error of a send, except that the server ended the job (ErrJobEnded), when nothing more is sent.
func (w *LogWriter) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return w.err
	}
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	w.send(true)
	return w.err
}

func (w *LogWriter) run(every time.Duration) {
	defer close(w.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-w.ctx.Done():
			return
		case <-tick.C:
			w.send(false)
		}
	}
}

// send sends the pending text up to its last newline (all of it when final, or when it is one line longer than
// a chunk), filtered, in chunks the server accepts.
func (w *LogWriter) send(final bool) {
	w.mu.Lock()
	cut := len(w.pending)
	if !final {
		if nl := bytes.LastIndexByte(w.pending, '\n') + 1; nl > 0 || cut < maxLogChunk {
			cut = nl
		}
	}
	text := w.pending[:cut:cut]
	w.pending = append([]byte(nil), w.pending[cut:]...)
	dropped := w.dropped
	w.dropped = 0
	w.mu.Unlock()

	if dropped > 0 {
		text = fmt.Appendf(text, "\n[gantry: %d bytes of log were dropped: sending to the server fell behind]\n", dropped)
	}
	if len(text) == 0 || w.ended {
		return
	}
	text = w.filter.Bytes(text)
	for len(text) > 0 {
		n := min(len(text), maxLogChunk)
		err := w.c.Log(w.ctx, text[:n])
		switch {
		case errors.Is(err, ErrJobEnded):
			w.ended = true
			return
		case err != nil && w.err == nil:
			w.err = fmt.Errorf("sending the job's log: %w", err)
		}
		text = text[n:]
	}
}
