package main

import (
	"github.com/spf13/cobra"
)

func newPlan(_ *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plan DIR",
		Short: "Print the plan comment gantry would post for a Terraform directory",
		Args:  args(cobra.ExactArgs(1)),
		RunE:  notYet("planning a directory arrives with the Terraform runner"),
	}
	cmd.Flags().String("from-json", "", "render an existing `terraform show -json` plan instead of planning")
	cmd.Flags().String("usage", "", "an Infracost-format usage file")
	cmd.Flags().String("format", "markdown", "output format: markdown, text or json")
	return cmd
}
