package main

import (
	"github.com/spf13/cobra"
)

// notYet is the body of a subcommand whose behaviour is not in this version: it says so
// and exits 2, after its flags were parsed (so scripts can be written against the final syntax).
func notYet(what string) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		return usagef("%s is not available in this version of gantry yet: %s", cmd.CommandPath(), what)
	}
}

func newRun(_ *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run --job ID",
		Short: "Execute one job inside a GitHub Actions runner",
		Args:  args(cobra.NoArgs),
		RunE:  notYet("the GitHub Actions executor arrives in a later version; jobs run in the server (GANTRY_EXECUTOR=local)"),
	}
	cmd.Flags().Int64("job", 0, "the job id given by the workflow_dispatch input job_id")
	_ = cmd.MarkFlagRequired("job")
	return cmd
}
