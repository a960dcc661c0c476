package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/classla/gantry/internal/store"
)

// DefaultMaxBody is the largest request body the runner API reads when API.MaxBody is 0.
const DefaultMaxBody = 1 << 20

// Store is what the runner API needs of the store.
type Store interface {
	RunnerJobByRef(ctx context.Context, ref string) (store.RunnerJob, store.Job, error)
	ClaimRunnerJob(ctx context.Context, ref, tokenHash string) error
	RunnerHeartbeat(ctx context.Context, ref, tokenHash string) error
}

// API serves the runner API (/api/runner/v1/jobs/{ref}/…): a runner claims the job it was dispatched for with
// its Actions OIDC token and gets a job token, which authenticates everything it sends afterwards.
type API struct {
	Store    Store
	Verifier *Verifier
	// Expect says what a claim token must hold for a job: the repository, its default branch, the workflow
	// file and the server's URL come from the server's settings and the installation, the environment from the
	// dispatch. An error answers 500.
	Expect func(job store.Job, rj store.RunnerJob) (Expect, error)
	// MaxBody caps every request body (0: DefaultMaxBody); a longer one is answered 413.
	MaxBody int64
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
}

// Handler returns the runner API's routes.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/runner/v1/jobs/{ref}/claim", a.claim)
	mux.HandleFunc("POST /api/runner/v1/jobs/{ref}/heartbeat", a.heartbeat)
	notYet := func(what string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, http.StatusNotImplemented, what+" are not accepted by this server yet")
		}
	}
	mux.HandleFunc("POST /api/runner/v1/jobs/{ref}/logs", notYet("job logs"))
	mux.HandleFunc("POST /api/runner/v1/jobs/{ref}/result", notYet("job results"))
	return mux
}

// request is what every runner call starts with: the body read within its cap, the bearer token,
// and the dispatched job the path names. ok is false when the answer was already written.
func (a *API) request(w http.ResponseWriter, r *http.Request, whichToken string) (ref, token string, rj store.RunnerJob, job store.Job, ok bool) {
	if !a.readBody(w, r) {
		return "", "", rj, job, false
	}
	token, ok = bearer(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "no bearer token: send "+whichToken+" as Authorization: Bearer TOKEN")
		return "", "", rj, job, false
	}
	ref = r.PathValue("ref")
	rj, job, err := a.Store.RunnerJobByRef(r.Context(), ref)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no job was dispatched with this id")
		return "", "", rj, job, false
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the job failed")
		return "", "", rj, job, false
	}
	return ref, token, rj, job, true
}

func (a *API) claim(w http.ResponseWriter, r *http.Request) {
	ref, token, rj, job, ok := a.request(w, r, "the runner's Actions OIDC token")
	if !ok {
		return
	}
	want, err := a.Expect(job, rj)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "the server cannot tell what identity this job needs")
		return
	}
	var verr *VerificationError
	var merr *MismatchError
	switch _, err := a.Verifier.Verify(r.Context(), token, want); {
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
	spec := json.RawMessage(job.Spec)
	if len(spec) == 0 {
		spec = json.RawMessage("null")
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, ClaimResponse{Job: ClaimedJob{ID: job.ID, Kind: job.Kind, Spec: spec}, Token: jobToken})
}

func (a *API) heartbeat(w http.ResponseWriter, r *http.Request) {
	ref, token, rj, _, ok := a.request(w, r, "the job token the claim returned")
	if !ok {
		return
	}
	if !CheckJobToken(token, rj.TokenHash) {
		writeError(w, http.StatusUnauthorized, "the job token is not this job's")
		return
	}
	switch err := a.Store.RunnerHeartbeat(r.Context(), ref, rj.TokenHash); {
	case errors.Is(err, store.ErrLeaseLost):
		writeError(w, http.StatusConflict, "the job has ended; stop working on it")
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, "recording the heartbeat failed")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// readBody reads and drops the request body up to the cap, so that an oversize one is refused before any work;
// it answers 413 or 400 and returns false when the body cannot be read.
func (a *API) readBody(w http.ResponseWriter, r *http.Request) bool {
	limit := a.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	_, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is over %d bytes", limit))
		return false
	case err != nil:
		writeError(w, http.StatusBadRequest, "reading the request body failed")
		return false
	}
	return true
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
