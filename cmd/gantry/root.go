package main

import (
	"github.com/spf13/cobra"
)

// newRoot wires every subcommand; each lives in its own file.
func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "gantry",
		Short: "Plans, applies and deploys Terraform and ECS changes from GitHub pull requests",
		Long: `gantry is a GitHub App: pull requests that touch Terraform get a plan comment with a monthly
cost diff, merging applies them with OIDC-assumed AWS roles, and changed services are built,
pushed to ECR and rolled out on ECS. The subcommands run the same pipeline from a terminal.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(
		newServe(e),
		newPlan(e),
		newCost(e),
		newRun(e),
		newDeploy(e),
		newRollback(e),
		newPrices(e),
		newConfig(e),
		newSetup(e),
		newVersion(e),
	)
	markStart(root, e)
	return root
}

// markStart wraps every command's RunE so run can tell errors of cobra's own checks (flags,
// arguments, unknown commands: usage errors) from errors of the command itself.
func markStart(cmd *cobra.Command, e *env) {
	if runE := cmd.RunE; runE != nil {
		cmd.RunE = func(c *cobra.Command, a []string) error {
			e.started = true
			return runE(c, a)
		}
	}
	for _, sub := range cmd.Commands() {
		markStart(sub, e)
	}
}

// args wraps a cobra positional-argument check so a wrong count is a usage error (exit 2).
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usagef("%s: %v (see %s --help)", cmd.CommandPath(), err, cmd.CommandPath())
		}
		return nil
	}
}
