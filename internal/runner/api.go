package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/classla/gantry/internal/store"
)

// Default caps of the runner API's request bodies, used where the API's field is 0.
const (
	// DefaultMaxBody caps a claim or heartbeat body: they carry nothing.
	DefaultMaxBody = 64 << 10
	// DefaultMaxLogChunk caps one POST of log text; the runner sends its log in pieces no larger.
	DefaultMaxLogChunk = 1 << 20
	// DefaultMaxLog is how much of a job's log the server keeps: its first bytes, the rest is dropped.
	DefaultMaxLog = 4 << 20
	// DefaultMaxResult caps a result, which carries a plan file and its `terraform show -json`.
	DefaultMaxResult = 64 << 20
)

// Store is what the runner API needs of the store.
type Store interface {
	RunnerJobByRef(ctx context.Context, ref string) (store.RunnerJob, store.Job, error)
	ClaimRunnerJob(ctx context.Context, ref, tokenHash string) error
	RunnerHeartbeat(ctx context.Context, ref, tokenHash string) error
	AppendRunnerLog(ctx context.Context, ref, tokenHash string, chunk []byte, max int) error
	ReportRunnerJob(ctx context.Context, ref, tokenHash string, result []byte, errText string) error
	SetRunID(ctx context.Context, ref string, runID int64) error
}

// API serves the runner API (/api/runner/v1/jobs/{ref}/…): a runner claims the job it was dispatched for with
// its Actions OIDC token and gets a job token, which authenticates everything it sends afterwards.
type API struct {
	Store    Store
	Verifier *Verifier
	// Expect says what a claim token must hold for a job: the repository, its default branch, the workflow
	// file and the server's URL come from the server's settings and the installation, the environment from the
	// dispatch. An error answers 500.
	Expect func(ctx context.Context, job store.Job, rj store.RunnerJob) (Expect, error)
	// Input, when set, gives what the runner of a job needs from the store besides its spec (the plan an apply
	// must match, the saved plan it applies); it is read at the claim, by whichever replica answers. An error
	// answers 500 and leaves the job unclaimed.
	Input func(ctx context.Context, job store.Job) (json.RawMessage, error)
	// MaxBody caps the body of a claim or a heartbeat (0: DefaultMaxBody); a longer one is answered 413.
	MaxBody int64
	// MaxLogChunk caps the body of one POST …/logs (0: DefaultMaxLogChunk); a longer one is answered 413.
	MaxLogChunk int64
	// MaxLog is how many bytes of a job's log are kept (0: DefaultMaxLog); what comes after is dropped and the
	// log marked truncated.
	MaxLog int
	// MaxResult caps the body of POST …/result (0: DefaultMaxResult); a longer one is answered 413 and nothing
	// is stored.
	MaxResult int64
	// Reported, when set, is called with the job's id after a result was stored and answered, so that whatever
	// waits for the job wakes up. It runs on the request's goroutine and should not block.
	Reported func(jobID int64)
}

// ClaimResponse is the body of a successful claim.
type ClaimResponse struct {
	Job   ClaimedJob `json:"job"`
	Token string     `json:"token"` // the job token: Authorization: Bearer TOKEN on every later call
}

// ClaimedJob is what the runner learns about the job it claimed.
type ClaimedJob struct {
	ID   int64           `json:"id"`
	Kind string          `json:"kind"`
	Spec json.RawMessage `json:"spec"`
	Repo string          `json:"repo"` // owner/name
	PR   int             `json:"pr,omitempty"`
	SHA  string          `json:"sha,omitempty"`
	// Input is what the runner needs from the server's store for this job (API.Input); absent when nothing.
	Input json.RawMessage `json:"input,omitempty"`
}

// Result is the body of POST …/result: how the job ended.
type Result struct {
	// Outcome is what the job produced (plan file and JSON, apply result, deployment record), stored as sent.
	Outcome json.RawMessage `json:"outcome,omitempty"`
	// Error is the job's failure text; "" means the job succeeded.
	Error string `json:"error,omitempty"`
}

// Handler returns the runner API's routes.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/runner/v1/jobs/{ref}/claim", a.claim)
	mux.HandleFunc("POST /api/runner/v1/jobs/{ref}/heartbeat", a.heartbeat)
	mux.HandleFunc("POST /api/runner/v1/jobs/{ref}/logs", a.logs)
	mux.HandleFunc("POST /api/runner/v1/jobs/{ref}/result", a.result)
	return mux
}

// call is one request of a runner, after its preamble.
type call struct {
	ref   string
	token string
	body  []byte
	rj    store.RunnerJob
	job   store.Job
}

// bodyCap is the cap on a route's request body and what a runner sending more should do.
type bodyCap struct {
	limit int64
	hint  string
}

func capOf(limit, def int64, hint string) bodyCap {
	if limit <= 0 {
		limit = def
	}
	return bodyCap{limit: limit, hint: hint}
}

// request is what every runner call starts with: the body read within its cap, the bearer token,
// and the dispatched job the path names. ok is false when the answer was already written.
func (a *API) request(w http.ResponseWriter, r *http.Request, limit bodyCap, whichToken string) (c call, ok bool) {
	if c.body, ok = readBody(w, r, limit); !ok {
		return call{}, false
	}
	c.token, ok = bearer(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "no bearer token: send "+whichToken+" as Authorization: Bearer TOKEN")
		return call{}, false
	}
	c.ref = r.PathValue("ref")
	var err error
	c.rj, c.job, err = a.Store.RunnerJobByRef(r.Context(), c.ref)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no job was dispatched with this id")
		return call{}, false
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the job failed")
		return call{}, false
	}
	return c, true
}

// jobRequest is the preamble of the calls made with the job token: request, then the token checked against the
// claim's hash (a job not yet claimed has none, so nothing matches it).
func (a *API) jobRequest(w http.ResponseWriter, r *http.Request, limit bodyCap) (call, bool) {
	c, ok := a.request(w, r, limit, "the job token the claim returned")
	if !ok {
		return call{}, false
	}
	if !CheckJobToken(c.token, c.rj.TokenHash) {
		writeError(w, http.StatusUnauthorized, "the job token is not this job's")
		return call{}, false
	}
	return c, true
}

func (a *API) smallBody() bodyCap {
	return capOf(a.MaxBody, DefaultMaxBody, "this call carries no body")
}

func (a *API) claim(w http.ResponseWriter, r *http.Request) {
	c, ok := a.request(w, r, a.smallBody(), "the runner's Actions OIDC token")
	if !ok {
		return
	}
	ref, token, rj, job := c.ref, c.token, c.rj, c.job
	want, err := a.Expect(r.Context(), job, rj)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "the server cannot tell what identity this job needs")
		return
	}
	var verr *VerificationError
	var merr *MismatchError
	claims, err := a.Verifier.Verify(r.Context(), token, want)
	switch {
	case errors.As(err, &verr):
		// The reason names the claim and what was expected; the library's error is left out.
		writeError(w, http.StatusUnauthorized, fmt.Sprintf("token fails verification: %s: %s", verr.Claim, verr.Reason))
		return
	case errors.As(err, &merr):
		writeError(w, http.StatusForbidden, fmt.Sprintf("token is not for this job: %s is %q, want %q", merr.Claim, merr.Got, merr.Want))
		return
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, "the server cannot verify tokens now; retry later")
		return
	}
	var input json.RawMessage
	if a.Input != nil {
		if input, err = a.Input(r.Context(), job); err != nil {
			writeError(w, http.StatusInternalServerError, "the server cannot read what this job needs; retry later")
			return
		}
	}
	jobToken, hash := NewJobToken()
	switch err := a.Store.ClaimRunnerJob(r.Context(), ref, hash); {
	case errors.Is(err, store.ErrAlreadyClaimed):
		writeError(w, http.StatusConflict, "the job was claimed by another runner")
		return
	case errors.Is(err, store.ErrJobEnded):
		writeError(w, http.StatusConflict, "the job has ended; it can no longer be claimed")
		return
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no job was dispatched with this id")
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, "recording the claim failed")
		return
	}
	if rj.RunID == 0 {
		// A server that did not return the dispatch's run (older GitHub Enterprise): the verified token names it.
		if id, err := strconv.ParseInt(claims.RunID, 10, 64); err == nil && id > 0 {
			_ = a.Store.SetRunID(r.Context(), ref, id)
		}
	}
	spec := json.RawMessage(job.Spec)
	if len(spec) == 0 {
		spec = json.RawMessage("null")
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, ClaimResponse{
		Job:   ClaimedJob{ID: job.ID, Kind: job.Kind, Spec: spec, Repo: job.Repo, PR: job.PR, SHA: job.SHA, Input: input},
		Token: jobToken,
	})
}

func (a *API) heartbeat(w http.ResponseWriter, r *http.Request) {
	c, ok := a.jobRequest(w, r, a.smallBody())
	if !ok {
		return
	}
	err := a.Store.RunnerHeartbeat(r.Context(), c.ref, c.rj.TokenHash)
	a.answer(w, err, "recording the heartbeat failed")
}

// logs appends the body, raw log text of any encoding, to the job's log.
func (a *API) logs(w http.ResponseWriter, r *http.Request) {
	c, ok := a.jobRequest(w, r, capOf(a.MaxLogChunk, DefaultMaxLogChunk, "send the log in smaller pieces"))
	if !ok {
		return
	}
	maxLog := a.MaxLog
	if maxLog <= 0 {
		maxLog = DefaultMaxLog
	}
	err := a.Store.AppendRunnerLog(r.Context(), c.ref, c.rj.TokenHash, c.body, maxLog)
	a.answer(w, err, "storing the log failed")
}

// result stores the job's outcome, once.
func (a *API) result(w http.ResponseWriter, r *http.Request) {
	c, ok := a.jobRequest(w, r, capOf(a.MaxResult, DefaultMaxResult, "the server's limit on results is its runner API's MaxResult"))
	if !ok {
		return
	}
	var res Result
	if err := json.Unmarshal(c.body, &res); err != nil {
		where := ""
		if se := (*json.SyntaxError)(nil); errors.As(err, &se) {
			where = fmt.Sprintf(" at byte %d", se.Offset)
		}
		writeError(w, http.StatusBadRequest, fmt.Sprintf(`the body is not a JSON result {"outcome": …, "error": "…"}: %v%s`, err, where))
		return
	}
	outcome := []byte(res.Outcome)
	if string(outcome) == "null" {
		outcome = nil
	}
	err := a.Store.ReportRunnerJob(r.Context(), c.ref, c.rj.TokenHash, outcome, res.Error)
	if !a.answer(w, err, "storing the result failed") {
		return
	}
	if a.Reported != nil {
		a.Reported(c.job.ID)
	}
}

// answer writes the answer to a call made with the job token, from what the store said, and reports whether it
// was a success.
func (a *API) answer(w http.ResponseWriter, err error, failed string) bool {
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
		return true
	case errors.Is(err, store.ErrAlreadyReported):
		writeError(w, http.StatusConflict, "a result for this job was already received")
	case errors.Is(err, store.ErrLeaseLost):
		writeError(w, http.StatusConflict, "the job has ended; stop working on it")
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no job was dispatched with this id")
	default:
		writeError(w, http.StatusInternalServerError, failed)
	}
	return false
}

// readBody reads the request body up to its cap, so that an oversize one is refused before any work; it
// answers 413 or 400 and returns false when the body cannot be read.
func readBody(w http.ResponseWriter, r *http.Request, c bodyCap) ([]byte, bool) {
	size := 512
	if r.ContentLength > 0 && r.ContentLength <= c.limit {
		size = int(r.ContentLength)
	}
	body, err := readAll(http.MaxBytesReader(w, r.Body, c.limit), size)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is over %d bytes: %s", c.limit, c.hint))
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "reading the request body failed")
		return nil, false
	}
	return body, true
}

// readAll is io.ReadAll starting with room for size bytes and one more, so that a body of the length it
// announced (a result is megabytes) is read into one allocation.
func readAll(r io.Reader, size int) ([]byte, error) {
	b := make([]byte, 0, size+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// bearer returns the token of an Authorization: Bearer header.
func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// writeError answers status with {"error": msg}. msg never holds a token.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
