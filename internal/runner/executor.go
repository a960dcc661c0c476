package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/classla/gantry/internal/flow"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/store"
)

// Default waits of the Executor (SPEC §7).
const (
	DefaultClaimTimeout     = 15 * time.Minute
	DefaultHeartbeatTimeout = 2 * time.Minute
	DefaultPoll             = time.Second
	// repositoryTTL is how long a repository's id and default branch are reused before GitHub is asked again.
	repositoryTTL = 5 * time.Minute
)

// ExecutorStore is what the Executor needs of the store.
type ExecutorStore interface {
	DispatchJob(ctx context.Context, jobID int64, environment string) (ref string, err error)
	SetRunID(ctx context.Context, ref string, runID int64) error
	RunnerJob(ctx context.Context, jobID int64) (store.RunnerJob, error)
}

// GitHub is what the Executor needs of an installation's GitHub client.
type GitHub interface {
	Repository(ctx context.Context, repo gh.Repo) (gh.Repository, error)
	DispatchWorkflow(ctx context.Context, repo gh.Repo, file, ref string, inputs map[string]string) (runID int64, err error)
}

// Executor sends the code of jobs to the repository's own GitHub Actions runners (GANTRY_EXECUTOR=actions):
// it dispatches the workflow on the default branch with the inputs job_id and environment, and waits for the
// outcome the runner posts to the runner API. It implements flow.Remote: the queue, the locks and every
// GitHub write stay with the server, whose worker keeps the job's lease while it waits.
//
// The wait is also the reaper: a dispatch nobody claims within ClaimTimeout, a runner silent for
// HeartbeatTimeout and a run that ended before its runner reported each end the wait with a
// *flow.RemoteError that says so, with the run's link.
type Executor struct {
	Store  ExecutorStore
	GitHub func(installationID int64) GitHub
	// Workflow is the workflow file dispatched (GANTRY_ACTIONS_WORKFLOW).
	Workflow string
	// WebURL is GitHub's web address for run links: https://github.com/ (default) or a GHES host's.
	WebURL           string
	ClaimTimeout     time.Duration
	HeartbeatTimeout time.Duration
	// Poll is how often a wait reads the store when Wake is not called (another replica got the result).
	Poll time.Duration
	Log  *slog.Logger

	mu      sync.Mutex
	waiters map[int64]chan struct{}
	repos   map[string]cachedRepository
}

type cachedRepository struct {
	gh.Repository
	at time.Time
}

var _ flow.Remote = (*Executor)(nil)

// Wake tells a wait for job jobID to read the store now: its runner reported, or its run ended.
func (e *Executor) Wake(jobID int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ch, ok := e.waiters[jobID]; ok {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Execute implements flow.Remote.
func (e *Executor) Execute(ctx context.Context, j store.Job, environment string, out any) error {
	repo, err := gh.ParseRepo(j.Repo)
	if err != nil {
		return &flow.RemoteError{Reason: fmt.Sprintf("job %d: %v", j.ID, err)}
	}
	wake := e.register(j.ID)
	defer e.unregister(j.ID)

	rj, err := e.dispatch(ctx, j, repo, environment)
	if err != nil {
		return err
	}
	return e.wait(ctx, j, repo, rj, wake, out)
}

// dispatch records the dispatch and starts the workflow run. A job dispatched before — retried after
// the process that dispatched it died — is not dispatched again: its runner may still be at work, and the
// wait takes it up.
func (e *Executor) dispatch(ctx context.Context, j store.Job, repo gh.Repo, environment string) (store.RunnerJob, error) {
	client := e.GitHub(j.InstallationID)
	info, err := e.Repository(ctx, j.InstallationID, repo)
	if err != nil {
		return store.RunnerJob{}, &flow.RemoteError{Reason: fmt.Sprintf("gantry could not dispatch the job to GitHub Actions: %v", err)}
	}
	ref, err := e.Store.DispatchJob(ctx, j.ID, environment)
	if errors.Is(err, store.ErrAlreadyDispatched) {
		rj, err := e.Store.RunnerJob(ctx, j.ID)
		if err != nil {
			return rj, fmt.Errorf("reading the earlier dispatch of job %d: %w", j.ID, err)
		}
		e.log().Info("job was dispatched before; waiting for its runner", "job", j.ID, "run_id", rj.RunID)
		return rj, nil
	}
	if err != nil {
		return store.RunnerJob{}, fmt.Errorf("recording the dispatch of job %d: %w", j.ID, err)
	}
	runID, err := client.DispatchWorkflow(ctx, repo, e.Workflow, info.DefaultBranch,
		map[string]string{"job_id": ref, "environment": environment})
	if err != nil {
		return store.RunnerJob{}, &flow.RemoteError{Reason: fmt.Sprintf("gantry could not start the workflow that runs this job: %v", err)}
	}
	if runID != 0 {
		if err := e.Store.SetRunID(ctx, ref, runID); err != nil {
			e.log().Warn("recording the run of a dispatch failed", "job", j.ID, "run_id", runID, "err", err)
		}
	}
	e.log().Info("job dispatched to GitHub Actions", "job", j.ID, "kind", j.Kind, "environment", environment,
		"workflow", e.Workflow, "ref", info.DefaultBranch, "run_id", runID)
	return e.Store.RunnerJob(ctx, j.ID)
}

// wait reads the dispatch until its runner reported or the reaper's rules end it.
func (e *Executor) wait(ctx context.Context, j store.Job, repo gh.Repo, rj store.RunnerJob, wake <-chan struct{}, out any) error {
	claimTimeout, heartbeatTimeout, poll := e.ClaimTimeout, e.HeartbeatTimeout, e.Poll
	if claimTimeout <= 0 {
		claimTimeout = DefaultClaimTimeout
	}
	if heartbeatTimeout <= 0 {
		heartbeatTimeout = DefaultHeartbeatTimeout
	}
	if poll <= 0 {
		poll = DefaultPoll
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		var err error
		if rj, err = e.Store.RunnerJob(ctx, j.ID); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("reading the dispatch of job %d: %w", j.ID, err)
		}
		now := time.Now()
		claimed := !rj.ClaimedAt.IsZero()
		switch {
		case !rj.ReportedAt.IsZero():
			return e.outcome(j, rj, out)
		case !rj.RunEndedAt.IsZero():
			return &flow.RemoteError{Started: claimed, Reason: fmt.Sprintf(
				"the GitHub Actions run of this job ended (conclusion: %s) before its runner reported a result: %s",
				orUnknown(rj.RunConclusion), e.runLink(repo, rj))}
		case !claimed && now.Sub(rj.DispatchedAt) > claimTimeout:
			return &flow.RemoteError{Reason: fmt.Sprintf(
				"no GitHub Actions runner claimed this job within %s of its dispatch (GANTRY_ACTIONS_CLAIM_TIMEOUT): "+
					"check that .github/workflows/%s exists on the default branch and runs `gantry run`, that the repository "+
					"variable GANTRY_URL is this server's GANTRY_PUBLIC_URL, and that the environment %s does not wait for an "+
					"approval nobody gave; %s", claimTimeout, e.Workflow, rj.Environment, e.runLink(repo, rj))}
		case claimed && now.Sub(rj.HeartbeatAt) > heartbeatTimeout:
			return &flow.RemoteError{Started: true, Reason: fmt.Sprintf(
				"the GitHub Actions runner of this job stopped sending heartbeats %s ago, so it is taken for dead "+
					"(the runner was cancelled, lost, or cannot reach the server): %s", now.Sub(rj.HeartbeatAt).Round(time.Second),
				e.runLink(repo, rj))}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-tick.C:
		}
	}
}

// outcome decodes what the runner posted. A failure the runner reported is the job's error.
func (e *Executor) outcome(j store.Job, rj store.RunnerJob, out any) error {
	if len(rj.Result) > 0 && out != nil {
		if err := json.Unmarshal(rj.Result, out); err != nil {
			return &flow.RemoteError{Started: true, Reason: fmt.Sprintf(
				"the runner's result for job %d cannot be read (%v): the runner and the server run different gantry versions?", j.ID, err)}
		}
	}
	if rj.ResultError != "" {
		return errors.New(rj.ResultError)
	}
	return nil
}

// Repository returns the id and default branch of repo, asked of GitHub at most every few minutes.
func (e *Executor) Repository(ctx context.Context, installationID int64, repo gh.Repo) (gh.Repository, error) {
	key := repo.String()
	e.mu.Lock()
	c, ok := e.repos[key]
	e.mu.Unlock()
	if ok && time.Since(c.at) < repositoryTTL {
		return c.Repository, nil
	}
	info, err := e.GitHub(installationID).Repository(ctx, repo)
	if err != nil {
		return info, err
	}
	e.mu.Lock()
	if e.repos == nil {
		e.repos = map[string]cachedRepository{}
	}
	e.repos[key] = cachedRepository{Repository: info, at: time.Now()}
	e.mu.Unlock()
	return info, nil
}

// Expect is what a claim token must hold for job j (API.Expect): audience is the server's public URL.
func (e *Executor) Expect(ctx context.Context, audience string, j store.Job, rj store.RunnerJob) (Expect, error) {
	repo, err := gh.ParseRepo(j.Repo)
	if err != nil {
		return Expect{}, err
	}
	info, err := e.Repository(ctx, j.InstallationID, repo)
	if err != nil {
		return Expect{}, err
	}
	return Expect{Audience: audience, Repository: j.Repo, RepositoryID: strconv.FormatInt(info.ID, 10),
		DefaultBranch: info.DefaultBranch, WorkflowFile: e.Workflow, Environment: rj.Environment}, nil
}

// runLink names the run of a dispatch for a person: its web address when known.
func (e *Executor) runLink(repo gh.Repo, rj store.RunnerJob) string {
	if rj.RunURL != "" {
		return "run " + rj.RunURL
	}
	if rj.RunID == 0 {
		return "GitHub did not say which run the dispatch started; look for a run of " + e.Workflow + " in the repository's Actions tab"
	}
	web := e.WebURL
	if web == "" {
		web = "https://github.com/"
	}
	return fmt.Sprintf("run %s%s/actions/runs/%d", web, repo, rj.RunID)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func (e *Executor) register(jobID int64) <-chan struct{} {
	ch := make(chan struct{}, 1)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.waiters == nil {
		e.waiters = map[int64]chan struct{}{}
	}
	e.waiters[jobID] = ch
	return ch
}

func (e *Executor) unregister(jobID int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.waiters, jobID)
}

func (e *Executor) log() *slog.Logger {
	if e.Log == nil {
		return slog.Default()
	}
	return e.Log
}
