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
	// The id is opaque and random (SPEC §7), not the server's job number.
	cmd.Flags().String("job", "", "the job id given by the workflow_dispatch input job_id")
	cmd.Flags().String("server", "", "the gantry server's URL (default: GANTRY_URL)")
	_ = cmd.MarkFlagRequired("job")
	return cmd
}
