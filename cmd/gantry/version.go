package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/classla/gantry/internal/version"
)

func newVersion(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print gantry's version, commit and Go version",
		Args:  args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			in := version.Get()
			if asJSON {
				return json.NewEncoder(e.stdout).Encode(in)
			}
			_, err := fmt.Fprintln(e.stdout, in)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
