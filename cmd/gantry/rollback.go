package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/classla/gantry/internal/config"
	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/ship"
	"github.com/classla/gantry/internal/store"
)

type rollbackOptions struct {
	service, to, config, repo string
	dryRun                    bool
}

func newRollback(e *env) *cobra.Command {
	var o rollbackOptions
	cmd := &cobra.Command{
		Use:   "rollback --service NAME",
		Short: "Put a service back on the task definition of an earlier deployment",
		Long: `Do what /rollback does, from a terminal (for when GitHub is down): find the deployment to return to
in gantry's database (GANTRY_DATABASE_URL, or $GANTRY_DATA_DIR/gantry.db), point the ECS service at its
task definition revision without rebuilding anything, wait until the service is steady, and record the
rollback. AWS credentials are your own. Infrastructure is not rolled back: revert its pull request.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return runRollbackCLI(cmd.Context(), e, o) },
	}
	cmd.Flags().StringVar(&o.service, "service", "", "the service name from .gantry.yaml")
	cmd.Flags().StringVar(&o.to, "to", "", "a deployment id or commit SHA (default: the previous successful deployment)")
	cmd.Flags().StringVar(&o.config, "config", config.DefaultFileName, "the repository configuration")
	cmd.Flags().StringVar(&o.repo, "repo", "", "the repository (OWNER/NAME) whose ledger to read, when several deploy this service")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print what would be updated, change nothing")
	_ = cmd.MarkFlagRequired("service")
	return cmd
}

func runRollbackCLI(ctx context.Context, e *env, o rollbackOptions) error {
	cfg, err := config.ParseFile(o.config)
	if err != nil {
		return usagef("%v", err)
	}
	svc, ok := cfg.Service(o.service)
	if !ok {
		return usagef("%s has no service %q", o.config, o.service)
	}
	st, err := openLedger(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	ledger, err := st.ListDeployments(ctx, o.repo, svc.Name, 0)
	if err != nil {
		return err
	}
	repos := map[string]bool{}
	for _, d := range ledger {
		repos[d.Repo] = true
	}
	if len(repos) > 1 {
		return usagef("several repositories deploy %s: pass --repo OWNER/NAME", svc.Name)
	}
	current, target, refusal := flow.RollbackTarget(ledger, o.to)
	if refusal != "" {
		return usagef("%s", strings.ReplaceAll(refusal, "SERVICE", svc.Name))
	}
	s := &ship.Shipper{Poll: pollInterval(e), Getenv: e.getenv, DryRun: o.dryRun, Out: e.stdout}
	res, err := s.Rollback(ctx, flow.RollbackRequest{Service: *svc, TaskDefinition: target.TaskDefAfter, SHA: target.SHA})
	if o.dryRun {
		return err
	}
	d := store.Deployment{Repo: target.Repo, Service: svc.Name, SHA: target.SHA, PR: target.PR, Actor: "gantry rollback",
		Image: target.Image, ImageDigest: target.ImageDigest, TaskDefBefore: current.TaskDefAfter, TaskDefAfter: target.TaskDefAfter,
		State: store.DeploymentSuccess, RollbackOf: current.ID, StartedAt: time.Now().UTC().Add(-res.Duration), FinishedAt: time.Now().UTC()}
	if err != nil {
		d.State, d.Error = store.DeploymentFailure, err.Error()
	}
	if res.Amplify != nil {
		d.TaskDefAfter = res.TaskDefAfter // a new release job of the earlier commit
	}
	if _, rerr := st.CreateDeployment(ctx, d); rerr != nil {
		return rerr
	}
	if err != nil {
		return fmt.Errorf("rolling %s back: %w", svc.Name, err)
	}
	_, err = fmt.Fprintf(e.stdout, "%s rolled back from %.7s (%s) to %.7s (%s)\n", svc.Name, current.SHA,
		revisionOf(current.TaskDefAfter), target.SHA, revisionOf(target.TaskDefAfter))
	return err
}

// openLedger opens gantry's database as the server does.
func openLedger(ctx context.Context, e *env) (store.Store, error) {
	url := e.getenv("GANTRY_DATABASE_URL")
	if url == "" {
		url = "sqlite://" + strings.TrimSuffix(dataDir(e), "/") + "/gantry.db"
	}
	st, _, err := openDatabase(ctx, url, nil)
	return st, err
}

func revisionOf(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
