package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/classla/gantry/internal/config"
)

func newConfig(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with a repository's .gantry.yaml"}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a .gantry.yaml and print every problem with its line number",
		Long: `Check a .gantry.yaml (default: ./.gantry.yaml) the way the server reads it: unknown keys,
wrong types, invalid globs, ARNs and references are all reported at once, one per line, as
FILE:LINE:COLUMN: PATH: PROBLEM. Exits 0 when the file is valid and 2 when it is not.`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			file := config.DefaultFileName
			if len(a) == 1 {
				file = a[0]
			}
			return validateConfig(e, file)
		},
	})
	return cmd
}

func validateConfig(e *env, file string) error {
	cfg, err := config.ParseFile(file)
	var cerr *config.Error
	switch {
	case errors.As(err, &cerr):
		fmt.Fprintln(e.stdout, cerr.Error())
		return usagef("%s has %d problem(s)", file, len(cerr.Problems))
	case errors.Is(err, fs.ErrNotExist):
		return usagef("%s does not exist: give the path of a .gantry.yaml", file)
	case err != nil:
		return usagef("%v", err)
	}
	_, err = fmt.Fprintf(e.stdout, "%s is valid: %d project(s), %d service(s)\n", file, len(cfg.Projects), len(cfg.Services))
	return err
}
