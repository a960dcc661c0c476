package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	gantryaws "github.com/classla/gantry/internal/aws"
	"github.com/classla/gantry/internal/build"
	"github.com/classla/gantry/internal/config"
	"github.com/classla/gantry/internal/flow"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/identity"
	"github.com/classla/gantry/internal/job"
	"github.com/classla/gantry/internal/metrics"
	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/runner"
	"github.com/classla/gantry/internal/sandbox"
	"github.com/classla/gantry/internal/server"
	"github.com/classla/gantry/internal/ship"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/terraform"
	"github.com/classla/gantry/internal/version"
	"github.com/classla/gantry/internal/webhook"
	"github.com/classla/gantry/internal/workdir"
)

func newServe(e *env) *cobra.Command {
	var s config.Server
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the GitHub App webhook server",
		Long: `Run the GitHub App webhook server. Every setting is an environment variable and a flag
(flags win); secrets (GITHUB_APP_PRIVATE_KEY, GITHUB_WEBHOOK_SECRET) are read from the
environment only, so they never show in the process list.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := s.Finish(e.getenv); err != nil {
				return &usageError{fmt.Errorf("the server settings are incomplete:\n%w", err)}
			}
			return serve(cmd.Context(), e, &s, nil)
		},
	}
	s.BindFlags(cmd.Flags(), e.getenv)
	return cmd
}

// serve runs the server until ctx is canceled (SIGTERM): it then stops taking deliveries,
// lets running jobs finish up to the drain deadline and closes the database. ready, when not
// nil, receives the listening address once the server accepts connections.
func serve(ctx context.Context, e *env, s *config.Server, ready chan<- string) error {
	// red learns every secret the server reads or obtains and filters logs, GitHub bodies and job errors.
	red := redact.New()
	red.Add(string(s.WebhookSecret))
	log := slog.New(redact.Handler(slog.NewJSONHandler(e.stderr, nil), red)).With("service", "gantry")
	log.Info("starting", "version", version.Get().String(), "settings", s)
	if len(s.WebhookSecret) < redact.MinLength {
		log.Warn("GITHUB_WEBHOOK_SECRET is too short to be redacted from output: use at least 32 random characters",
			"min_length", redact.MinLength)
	}

	// The sandbox first: it sets the data directory's mode before anything is written there.
	sb, warnings, err := prepareSandbox(sandboxSetup{User: s.SandboxUser, DataDir: s.DataDir, TerraformBin: s.TerraformBin})
	if err != nil {
		return &usageError{err}
	}
	if sb.On() {
		log.Info("sandbox", "user", sb.User())
	}
	if !s.RoleAllowlistSet() {
		warnings = append(warnings, "GANTRY_ROLE_ALLOWLIST is unset, so a repository's .gantry.yaml may name any AWS role this "+
			"server's web identity can assume: set it to OWNER/REPO-GLOB=ROLE-ARN-GLOB entries (SPEC §10)")
	}

	st, singleReplica, err := openDatabase(ctx, s.DatabaseURL, red)
	if err != nil {
		return err
	}
	defer st.Close()
	// Only now do the database's files exist, and each must be the server's alone.
	dbPath, _ := s.SQLitePath()
	if err := checkSecretFiles(sb, map[string]string{
		"the database (GANTRY_DATABASE_URL)":                         dbPath,
		"the database's write-ahead log":                             dbPath + "-wal",
		"the database's shared memory":                               dbPath + "-shm",
		"the GitHub App's private key (GITHUB_APP_PRIVATE_KEY_FILE)": s.PrivateKeyFile,
		"the webhook secret (GITHUB_WEBHOOK_SECRET_FILE)":            s.WebhookSecretFile,
		"the web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)":       e.getenv("AWS_WEB_IDENTITY_TOKEN_FILE"),
	}); err != nil {
		return &usageError{err}
	}
	for _, w := range warnings {
		log.Warn(w)
	}

	// A bound on every GitHub call, so a hung connection cannot hold a worker forever; generous
	// enough for a repository archive.
	app, err := gh.NewApp(gh.AppConfig{AppID: s.AppID, PrivateKey: s.PrivateKey, BaseURL: s.GitHubAPIURL,
		HTTPClient: &http.Client{Timeout: 5 * time.Minute}, UserAgent: "gantry/" + version.Get().Version, Redact: red})
	if err != nil {
		return &usageError{fmt.Errorf("GitHub App settings: %w", err)}
	}

	var tf flow.Terraform // nil with the actions executor and no Terraform here: runners bring their own
	if s.TerraformBin != "" {
		r, err := terraform.New(s.TerraformBin, terraform.Options{Sandbox: sb, Redact: red,
			PluginCacheDir: filepath.Join(s.DataDir, "plugin-cache"), Timeout: time.Hour, Log: log})
		if err != nil {
			return &usageError{fmt.Errorf("GANTRY_TERRAFORM_BIN: %w", err)}
		}
		// The sandbox user runs `terraform version` now, so a binary it cannot run is found before any job.
		if _, err := r.Version(ctx); err != nil {
			return &usageError{fmt.Errorf("GANTRY_TERRAFORM_BIN: running %s as the sandbox user: %w", r.Binary(), err)}
		}
		tf = r
	}
	work := &workdir.Manager{Root: filepath.Join(s.DataDir, "work"), Sandbox: sb}
	if n, err := work.Sweep(0); err != nil {
		log.Warn("removing work directories of a previous run failed", "err", err)
	} else if n > 0 {
		log.Info("removed work directories of a previous run", "count", n)
	}
	policy := flow.Policy{RepoAllowed: s.RepoAllowed, AllowForkPRs: s.AllowForkPRs}
	if s.RoleAllowlistSet() {
		policy.RoleAllowed = s.RoleAllowed
	}
	catalog, err := loadCatalog("", s.DataDir)
	if err != nil {
		return err
	}
	log.Info("price catalog", "effective_date", catalog.EffectiveDate)

	var creds flow.Credentials
	var issuer *identity.Issuer
	switch token, err := gantryaws.TokenSourceFromEnv(e.getenv, red); {
	case s.WorkloadIdentity:
		if issuer, err = startIssuer(ctx, s, st, red, log); err != nil {
			return err
		}
		creds = &webIdentity{issuer: issuer, getenv: e.getenv, redact: red}
		if e.getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != "" {
			log.Warn("AWS_WEB_IDENTITY_TOKEN_FILE is not used: GANTRY_WORKLOAD_IDENTITY=on signs a token per job instead")
		}
	case err == nil:
		creds = &webIdentity{token: token, getenv: e.getenv, redact: red}
	default:
		log.Warn("no web identity token: projects and services with an aws.role_arn cannot run", "reason", err.Error())
	}

	shipper := &ship.Shipper{Builder: chooseBuilder(ctx, s.Builder, sb, log), Poll: s.ECSPollInterval, Getenv: e.getenv, Log: log}

	deps := flow.Deps{Store: st, GitHub: flow.AppClients(app), Terraform: tf, Workdirs: work,
		Catalog: catalog, Credentials: creds, Shipper: shipper, Policy: policy, PublicURL: s.PublicURL, Log: log}
	intake := &flow.Intake{Policy: policy}
	workers := s.Workers
	var runnerAPI http.Handler
	if s.Executor == config.ExecutorActions {
		ex, api := actionsExecutor(s, app, deps, log)
		deps.Remote, runnerAPI, intake.ActionsWorkflow = ex, api, s.ActionsWorkflow
		// A job whose code runs in a runner holds a worker while it waits, which costs a goroutine.
		workers = max(workers, minActionsWorkers)
	}

	m := metrics.New(st.CountJobs, log)
	pool := &job.Pool{
		Store:         st,
		Handlers:      flow.Handlers(deps),
		Workers:       workers,
		SingleReplica: singleReplica,
		Reporter:      &flow.AbandonedReporter{GitHub: flow.AppClients(app), Store: st, PublicURL: s.PublicURL},
		Observer:      m,
		Log:           log,
		Redact:        red,
	}
	hook := &webhook.Handler{
		Secret:   s.WebhookSecret,
		Store:    st,
		Router:   intake,
		Log:      log,
		Observer: m,
		Queued:   pool.Wake,
	}
	var identityAPI http.Handler
	var identityStatus func(context.Context) (string, []identity.KeyStatus, error)
	if issuer != nil {
		identityAPI, identityStatus = issuer.Handler(), issuer.Status
	}
	srv := &http.Server{
		Handler: (&server.Server{Store: st, Webhook: hook, Metrics: m.Handler(), Runner: runnerAPI, Identity: identityAPI,
			IdentityStatus: identityStatus, Redact: red, WebURL: webURL(s.GitHubAPIURL), Log: log,
			Version: version.Get().String(), Warnings: warnings}).Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s (GANTRY_ADDR): %w", s.Addr, err)
	}

	poolCtx, stopPool := context.WithCancel(context.WithoutCancel(ctx))
	poolDone := make(chan error, 1)
	go func() { poolDone <- pool.Run(poolCtx) }()
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String(), "executor", s.Executor, "workers", workers)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down: no new deliveries; waiting for running jobs")
	case err := <-httpDone:
		runErr = fmt.Errorf("HTTP server stopped: %w", err)
	case err := <-poolDone:
		runErr = fmt.Errorf("worker pool stopped: %w", err)
		poolDone <- err
	}
	// Stop intake first: in-flight deliveries finish being stored, new ones are refused.
	shCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("HTTP shutdown incomplete", "err", err)
	}
	stopPool()
	if err := <-poolDone; err != nil && runErr == nil {
		runErr = err
	}
	log.Info("stopped")
	return runErr
}

// minActionsWorkers is the fewest workers the Actions executor gets: most of its jobs wait for runners.
const minActionsWorkers = 32

// actionsExecutor is the Actions executor and the runner API its runners call.
func actionsExecutor(s *config.Server, app *gh.App, deps flow.Deps, log *slog.Logger) (*runner.Executor, http.Handler) {
	ex := &runner.Executor{
		Store:        deps.Store,
		GitHub:       func(id int64) runner.GitHub { return app.Installation(id) },
		Workflow:     s.ActionsWorkflow,
		WebURL:       webURL(s.GitHubAPIURL),
		ClaimTimeout: s.ActionsClaimTimeout,
		Log:          log,
	}
	api := &runner.API{
		Store:    deps.Store,
		Verifier: runner.NewVerifier(s.ActionsOIDCIssuer, &http.Client{Timeout: 30 * time.Second}),
		Expect: func(ctx context.Context, j store.Job, rj store.RunnerJob) (runner.Expect, error) {
			return ex.Expect(ctx, s.PublicURL, j, rj)
		},
		Input: func(ctx context.Context, j store.Job) (json.RawMessage, error) {
			return flow.RunnerInput(ctx, deps, j)
		},
		Reported: ex.Wake,
	}
	return ex, api.Handler()
}

// webURL is GitHub's web address for an API base URL: github.com for api.github.com, the host itself for
// GitHub Enterprise Server (https://HOST/api/v3/).
func webURL(apiURL string) string {
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "api.github.com" {
		return "https://github.com/"
	}
	return u.Scheme + "://" + u.Host + "/"
}

// webIdentity assumes the roles of projects and services by web identity: with a token gantry
// signs for the session (GANTRY_WORKLOAD_IDENTITY=on), or else the server's one token
// (AWS_WEB_IDENTITY_TOKEN_FILE, or GitHub Actions' OIDC token in a runner).
type webIdentity struct {
	issuer *identity.Issuer // nil: token
	token  gantryaws.TokenSource
	getenv func(string) string
	redact *redact.Filter
}

// Env implements flow.Credentials.
func (w *webIdentity) Env(ctx context.Context, s flow.Session) (map[string]string, error) {
	token := w.token
	if w.issuer != nil {
		token = identity.TokenSource{Issuer: w.issuer, Claims: identity.Claims{
			Subject: identity.Subject(s.Repo, s.Owner, s.Name, s.Phase), Repository: s.Repo,
			PullRequest: s.PR, SHA: s.SHA, JobID: s.JobID}}
	}
	_, repoName, _ := strings.Cut(s.Repo, "/")
	p, err := gantryaws.NewProvider(ctx, gantryaws.Options{RoleARN: s.Role.RoleARN, Region: s.Role.Region,
		SessionName: gantryaws.SessionName(repoName, s.Ref(), s.Name), Token: token, Getenv: w.getenv, Redact: w.redact})
	if err != nil {
		return nil, err
	}
	return p.Env(ctx)
}

// startIssuer makes this server the OIDC issuer of its jobs' tokens at GANTRY_PUBLIC_URL, with
// keys sealed under the GitHub App's private key, and makes sure a key can sign before serving.
func startIssuer(ctx context.Context, s *config.Server, st store.Store, red *redact.Filter, log *slog.Logger) (*identity.Issuer, error) {
	sealing, err := identity.SecretFromPEM(s.PrivateKey)
	if err != nil {
		return nil, &usageError{err}
	}
	issuer, err := identity.New(identity.Config{URL: s.PublicURL, Keys: st, Secret: sealing, Redact: red, Log: log})
	if err != nil {
		return nil, &usageError{err}
	}
	if err := issuer.Start(ctx); err != nil {
		return nil, err
	}
	log.Info("workload identity", "issuer", issuer.URL(), "discovery", issuer.URL()+identity.DiscoveryPath)
	return issuer, nil
}

// chooseBuilder picks the image builder of GANTRY_BUILDER: docker (BuildKit) when asked for or,
// unset, when a Docker daemon answers; otherwise oci (no daemon, base image + context layer).
func chooseBuilder(ctx context.Context, name string, sb *sandbox.Sandbox, log *slog.Logger) build.Builder {
	if name == config.BuilderDocker || (name == config.BuilderAuto && build.DockerAvailable(ctx)) {
		log.Info("image builder", "builder", "docker")
		return &build.Docker{Sandbox: sb}
	}
	log.Info("image builder", "builder", "oci")
	return &build.OCI{}
}
