package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	gantryaws "github.com/classla/gantry/internal/aws"
	"github.com/classla/gantry/internal/config"
	"github.com/classla/gantry/internal/flow"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/runner"
	"github.com/classla/gantry/internal/sandbox"
	"github.com/classla/gantry/internal/ship"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/terraform"
	"github.com/classla/gantry/internal/version"
	"github.com/classla/gantry/internal/workdir"
)

// Intervals of a runner's calls to the server (SPEC §7: heartbeats every 30 s).
const (
	runnerHeartbeat = 30 * time.Second
	runnerLogFlush  = 5 * time.Second
)

func newRun(e *env) *cobra.Command {
	var ref, server string
	cmd := &cobra.Command{
		Use:   "run --job ID",
		Short: "Execute one job inside a GitHub Actions runner",
		Long: `Execute one job inside a GitHub Actions runner (GANTRY_EXECUTOR=actions, SPEC §7): claim it from the
server with the run's OIDC token, run it (Terraform, or a service's build and rollout, with the AWS role
the job's environment may assume; the commit downloaded with GITHUB_TOKEN), stream the log and post the outcome. The server writes every
comment, check run and deployment status; this command never writes to GitHub.

It reads ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN (set by GitHub Actions for jobs
with permissions: id-token: write), GITHUB_TOKEN, GITHUB_API_URL, and GANTRY_URL unless --server is given.
Exit codes: 0 the job succeeded, 1 it failed or the server refused it, 2 bad usage or a runner without
what it needs.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runJob(cmd.Context(), e, ref, server)
		},
	}
	// The id is opaque and random (SPEC §7), not the server's job number.
	cmd.Flags().StringVar(&ref, "job", "", "the job id given by the workflow_dispatch input job_id")
	cmd.Flags().StringVar(&server, "server", "", "the gantry server's URL (default: GANTRY_URL)")
	_ = cmd.MarkFlagRequired("job")
	return cmd
}

// runnerEnv is what gantry run needs from the runner, checked before anything is sent.
type runnerEnv struct {
	server, requestURL, requestToken, githubToken, apiURL, runID string
}

func readRunnerEnv(e *env, server string) (runnerEnv, error) {
	r := runnerEnv{server: server, requestURL: e.getenv("ACTIONS_ID_TOKEN_REQUEST_URL"),
		requestToken: e.getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN"), githubToken: e.getenv("GITHUB_TOKEN"),
		apiURL: e.getenv("GITHUB_API_URL"), runID: e.getenv("GITHUB_RUN_ID")}
	if r.server == "" {
		r.server = e.getenv("GANTRY_URL")
	}
	var problems []string
	if u, err := url.Parse(r.server); r.server == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		problems = append(problems, fmt.Sprintf("the server URL %q is not an http(s) URL: pass --server or set GANTRY_URL "+
			"(in the workflow: the repository variable vars.GANTRY_URL) to the server's GANTRY_PUBLIC_URL", r.server))
	}
	if r.requestURL == "" || r.requestToken == "" {
		problems = append(problems, "ACTIONS_ID_TOKEN_REQUEST_URL or ACTIONS_ID_TOKEN_REQUEST_TOKEN is unset: run gantry run in a "+
			"GitHub Actions job with `permissions: id-token: write`")
	}
	if r.githubToken == "" {
		problems = append(problems, "GITHUB_TOKEN is unset: give the step `env: GITHUB_TOKEN: ${{ github.token }}` and the "+
			"workflow `permissions: contents: read`")
	}
	if r.apiURL == "" {
		r.apiURL = "https://api.github.com/"
	}
	if len(problems) > 0 {
		return r, usagef("gantry run cannot start:\n  %s", strings.Join(problems, "\n  "))
	}
	return r, nil
}

// runJob claims the job ref, runs it and posts its outcome.
func runJob(ctx context.Context, e *env, ref, server string) error {
	if strings.TrimSpace(ref) == "" {
		return usagef("--job is empty: pass the workflow_dispatch input job_id")
	}
	re, err := readRunnerEnv(e, server)
	if err != nil {
		return err
	}
	red := redact.New()
	red.Add(re.requestToken)
	red.Add(re.githubToken)
	if err := runClaimed(ctx, e, re, ref, red); err != nil {
		// Printed to the run's log, which anyone who can read the repository sees: without a secret in it.
		return errors.New(red.String(err.Error()))
	}
	return nil
}

// runClaimed is runJob once its environment is read: the claim, the run, the report.
func runClaimed(ctx context.Context, e *env, re runnerEnv, ref string, red *redact.Filter) error {
	console := slog.New(redact.Handler(slog.NewTextHandler(e.stderr, nil), red))

	// The claim: the run's OIDC token, with the server's URL as its audience, is the runner's identity.
	idToken, err := gantryaws.ActionsToken{RequestURL: re.requestURL, RequestToken: re.requestToken,
		Audience: re.server, Redact: red}.Token(ctx)
	if err != nil {
		return fmt.Errorf("getting this run's OIDC token to claim the job: %w", err)
	}
	client := &runner.Client{Server: re.server, Ref: ref}
	job, err := client.Claim(ctx, idToken)
	if err != nil {
		return fmt.Errorf("claiming job %s: %w", ref, err)
	}
	console.Info("claimed job", "job", job.ID, "kind", job.Kind, "repository", job.Repo, "run_id", re.runID,
		"gantry", version.Get().String())

	// From here on the log also goes to the server, through the same filter.
	logs := runner.NewLogWriter(ctx, client, runnerLogFlush, red)
	log := slog.New(redact.Handler(slog.NewTextHandler(io.MultiWriter(e.stderr, logs), nil), red))

	jobCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go heartbeat(jobCtx, client, cancel, log)

	outcome, runErr := executeClaimed(jobCtx, e, re, job, red, log)
	if cause := context.Cause(jobCtx); runErr != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		runErr = cause
	}
	if runErr != nil {
		log.Error("job failed", "job", job.ID, "err", runErr)
	} else {
		log.Info("job done", "job", job.ID)
	}
	if err := logs.Close(); err != nil {
		console.Warn("sending the log failed", "err", err)
	}
	result := runner.Result{Outcome: outcome}
	if runErr != nil {
		result.Error = red.String(runErr.Error())
	}
	// The result is sent even when the run was told to stop: the server says whether it still wants it.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer rcancel()
	if err := postResult(rctx, client, result); err != nil {
		return fmt.Errorf("reporting the outcome of job %d: %w", job.ID, err)
	}
	if runErr != nil {
		return fmt.Errorf("job %d failed: %s", job.ID, result.Error)
	}
	return nil
}

// executeClaimed runs the claimed job with the runner's own identity: Terraform from GANTRY_TERRAFORM_BIN
// or PATH, AWS roles by this run's OIDC token, the repository read with GITHUB_TOKEN.
func executeClaimed(ctx context.Context, e *env, re runnerEnv, job runner.ClaimedJob, red *redact.Filter, log *slog.Logger) ([]byte, error) {
	bin, err := findTerraform(e)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "gantry-run-")
	if err != nil {
		return nil, fmt.Errorf("creating the job's work directory: %w", err)
	}
	defer os.RemoveAll(work)
	tf, err := terraform.New(bin, terraform.Options{Redact: red, PluginCacheDir: filepath.Join(work, "plugin-cache"),
		Timeout: time.Hour, Log: log})
	if err != nil {
		return nil, fmt.Errorf("GANTRY_TERRAFORM_BIN: %w", err)
	}
	ghc, err := gh.NewTokenClient(gh.TokenConfig{BaseURL: re.apiURL, Token: re.githubToken,
		HTTPClient: &http.Client{Timeout: 5 * time.Minute}, UserAgent: "gantry/" + version.Get().Version, Redact: red})
	if err != nil {
		return nil, err
	}
	// AWS: this run's OIDC token for STS, whose subject names the job's environment.
	token := gantryaws.ActionsToken{RequestURL: re.requestURL, RequestToken: re.requestToken, Audience: gantryaws.STSAudience, Redact: red}
	builder, poll := config.BuilderAuto, config.DefaultECSPollInterval
	if b := e.getenv("GANTRY_BUILDER"); b != "" {
		builder = b
	}
	if v := e.getenv("GANTRY_ECS_POLL_INTERVAL"); v != "" {
		if poll, err = time.ParseDuration(v); err != nil || poll <= 0 {
			return nil, fmt.Errorf("GANTRY_ECS_POLL_INTERVAL %q is not a positive duration: set it like 15s", v)
		}
	}
	deps := flow.Deps{
		GitHub:      func(int64) flow.GitHub { return ghc },
		Terraform:   tf,
		Workdirs:    &workdir.Manager{Root: filepath.Join(work, "work")},
		Credentials: &webIdentity{token: token, getenv: e.getenv, redact: red},
		// Deploys and rollbacks: Docker BuildKit when the runner has a daemon (GitHub-hosted runners do), unless
		// GANTRY_BUILDER says otherwise.
		Shipper: &ship.Shipper{Builder: chooseBuilder(ctx, builder, sandbox.Off(""), log), Poll: poll, Getenv: e.getenv, Log: log},
	}
	j := store.Job{ID: job.ID, NewJob: store.NewJob{Kind: job.Kind, Spec: job.Spec, Repo: job.Repo, PR: job.PR, SHA: job.SHA}}
	return flow.Execute(ctx, deps, j, job.Input, log)
}

// findTerraform is GANTRY_TERRAFORM_BIN, else terraform, else tofu on the runner's PATH.
func findTerraform(e *env) (string, error) {
	if bin := e.getenv("GANTRY_TERRAFORM_BIN"); bin != "" {
		return bin, nil
	}
	for _, name := range []string{"terraform", "tofu"} {
		for _, dir := range filepath.SplitList(e.getenv("PATH")) {
			p := filepath.Join(dir, name)
			if st, err := os.Stat(p); dir != "" && err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	return "", errors.New("no terraform or tofu on the runner's PATH: add a setup-terraform step to the workflow or set GANTRY_TERRAFORM_BIN")
}

// heartbeat tells the server every runnerHeartbeat that the runner is alive. When the server says the job
// has ended (superseded, or failed by its reaper) the job is stopped.
func heartbeat(ctx context.Context, c *runner.Client, stop context.CancelCauseFunc, log *slog.Logger) {
	tick := time.NewTicker(runnerHeartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := c.Heartbeat(ctx)
		switch {
		case errors.Is(err, runner.ErrJobEnded):
			log.Warn("the server ended this job; stopping it")
			stop(errors.New("the server ended this job (it was superseded, cancelled, or given up on) while it ran"))
			return
		case err != nil && ctx.Err() == nil:
			// One missed heartbeat is not fatal; the server gives up after two minutes without one.
			log.Warn("heartbeat failed", "err", err)
		}
	}
}

// postResult sends the outcome, trying again while the server cannot be reached: a result lost to one
// network error would fail a job that succeeded.
func postResult(ctx context.Context, c *runner.Client, r runner.Result) error {
	var err error
	for wait := time.Second; ; wait *= 2 {
		err = c.Result(ctx, r)
		var apiErr *runner.APIError
		if err == nil || errors.As(err, &apiErr) || errors.Is(err, runner.ErrJobEnded) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}
