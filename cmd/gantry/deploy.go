package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/classla/gantry/internal/config"
	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/sandbox"
	"github.com/classla/gantry/internal/ship"
	"github.com/classla/gantry/internal/store"
)

type deployOptions struct {
	service, ref, config, dir, branch, repo string
	dryRun                                  bool
}

func newDeploy(e *env) *cobra.Command {
	var o deployOptions
	cmd := &cobra.Command{
		Use:   "deploy --service NAME --ref SHA",
		Short: "Build, push to ECR and roll out one service on ECS",
		Long: `Run the deployment of a .gantry.yaml service by hand: build the image from the checkout in --dir
(which must be at --ref), push it to the service's ECR repository with the commit and branch tags,
register a task definition revision pinned to the image digest and roll it out, waiting until the
service is steady. AWS credentials are your own (the SDK's usual sources); AWS_ENDPOINT_URL_ECR,
AWS_ENDPOINT_URL_ECS and AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 are honoured. --dry-run builds and pushes nothing and prints the rollout it would do.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return runDeploy(cmd.Context(), e, o) },
	}
	cmd.Flags().StringVar(&o.service, "service", "", "the service name from .gantry.yaml")
	cmd.Flags().StringVar(&o.ref, "ref", "", "the commit to build (the checkout must be at it)")
	cmd.Flags().StringVar(&o.config, "config", config.DefaultFileName, "the repository configuration")
	cmd.Flags().StringVar(&o.dir, "dir", ".", "the repository checkout")
	cmd.Flags().StringVar(&o.branch, "branch", "", "the branch tag to push besides the commit (default: the checkout's branch)")
	cmd.Flags().StringVar(&o.repo, "repo", "", "the repository (OWNER/NAME) to record the deployment under (default: from the origin remote)")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print what would be registered and updated, change nothing")
	_ = cmd.MarkFlagRequired("service")
	_ = cmd.MarkFlagRequired("ref")
	return cmd
}

func runDeploy(ctx context.Context, e *env, o deployOptions) error {
	cfg, err := config.ParseFile(o.config)
	if err != nil {
		return usagef("%v", err)
	}
	svc, ok := cfg.Service(o.service)
	if !ok {
		var names []string
		for _, s := range cfg.Services {
			names = append(names, s.Name)
		}
		return usagef("%s has no service %q (services: %s)", o.config, o.service, strings.Join(names, ", "))
	}
	if head, err := gitOutput(ctx, o.dir, "rev-parse", "HEAD"); err == nil && !strings.HasPrefix(head, o.ref) {
		return usagef("the checkout in %s is at %.12s, not %s: check out the commit to deploy first", o.dir, head, o.ref)
	}
	branch := o.branch
	if branch == "" {
		branch, _ = gitOutput(ctx, o.dir, "rev-parse", "--abbrev-ref", "HEAD")
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	s := &ship.Shipper{Builder: chooseBuilder(ctx, e.getenv("GANTRY_BUILDER"), sandbox.Off(""), discardLog()), Poll: pollInterval(e),
		Getenv: e.getenv, DryRun: o.dryRun, Out: e.stdout}
	repo := o.repo
	if repo == "" {
		repo = originRepo(ctx, o.dir)
	}
	start := time.Now().UTC()
	res, err := s.Ship(ctx, flow.ShipRequest{Service: *svc, Dir: dir, SHA: o.ref, Branch: branch, Repo: repo})
	if o.dryRun {
		return err
	}
	if lerr := recordDeployment(ctx, e, store.Deployment{Repo: repo, Service: svc.Name, SHA: o.ref, Actor: "gantry deploy",
		Image: res.Image, ImageDigest: res.Digest, TaskDefBefore: res.TaskDefBefore, TaskDefAfter: res.TaskDefAfter,
		StartedAt: start, FinishedAt: time.Now().UTC()}, err); lerr != nil {
		fmt.Fprintln(e.stderr, "gantry: warning: the deployment was not recorded:", lerr)
	}
	if err != nil {
		for _, ev := range res.Events {
			fmt.Fprintln(e.stderr, "  event:", ev)
		}
		return fmt.Errorf("deploying %s: %w", svc.Name, err)
	}
	if a := res.Amplify; a != nil {
		_, err = fmt.Fprintf(e.stdout, "%s released %.7s: Amplify job %s %s after %s\n", svc.Name, o.ref, a.ID, a.Status,
			res.Duration.Round(time.Second))
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s is running %s (%s → %s) after %s\n", svc.Name, res.Image,
		filepath.Base(res.TaskDefBefore), filepath.Base(res.TaskDefAfter), res.Duration.Round(time.Second))
	return err
}

func gitOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.Output()
	if err != nil {
		return "", errors.New("not a git checkout")
	}
	return strings.TrimSpace(string(out)), nil
}

func pollInterval(e *env) time.Duration {
	if d, err := time.ParseDuration(e.getenv("GANTRY_ECS_POLL_INTERVAL")); err == nil && d > 0 {
		return d
	}
	return config.DefaultECSPollInterval
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// recordDeployment adds a deployment made from a terminal to gantry's ledger, so /rollback and
// gantry rollback know it.
func recordDeployment(ctx context.Context, e *env, d store.Deployment, err error) error {
	st, oerr := openLedger(ctx, e)
	if oerr != nil {
		return oerr
	}
	defer st.Close()
	d.State = store.DeploymentSuccess
	if err != nil {
		d.State, d.Error = store.DeploymentFailure, err.Error()
	}
	_, cerr := st.CreateDeployment(ctx, d)
	return cerr
}

// originRepo is OWNER/NAME of the checkout's origin remote on GitHub, or "".
func originRepo(ctx context.Context, dir string) string {
	url, err := gitOutput(ctx, dir, "remote", "get-url", "origin")
	if err != nil {
		return ""
	}
	url = strings.TrimSuffix(url, ".git")
	for _, sep := range []string{"github.com/", "github.com:"} {
		if i := strings.Index(url, sep); i >= 0 {
			return url[i+len(sep):]
		}
	}
	return ""
}
