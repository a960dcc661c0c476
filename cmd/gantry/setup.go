package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/classla/gantry/internal/actions"
	"github.com/classla/gantry/internal/version"
)

func newSetup(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "setup", Short: "Print the files a repository needs to use gantry"}
	cmd.AddCommand(newSetupWorkflow(e))
	return cmd
}

type setupWorkflowOptions struct {
	out    string
	force  bool
	gantry string // the gantry version the workflow installs; empty: this binary's
}

func newSetupWorkflow(e *env) *cobra.Command {
	var o setupWorkflowOptions
	cmd := &cobra.Command{
		Use:   "workflow [--out FILE [--force]] [--version VERSION]",
		Short: "Print the .github/workflows/gantry.yml the GitHub Actions executor dispatches",
		Long: `Print the workflow that runs gantry's jobs in the repository's own GitHub Actions runners
(GANTRY_EXECUTOR=actions; this version's server does not accept that yet, see docs/actions.md).

First create the GitHub environments the jobs run in (gantry-plan, one per project, one per
service), each allowing deployments from the default branch only. Then commit the workflow as
.github/workflows/gantry.yml on the default branch (the server dispatches it there and nowhere
else) and set the repository variable GANTRY_URL (Settings → Secrets and variables → Actions →
Variables) to the server's GANTRY_PUBLIC_URL.

The workflow installs gantry with go install, pinned to this binary's version so the runner and
the server speak the same runner API; run this command with the server's binary, or give the
server's version with --version.`,
		Args: args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error { return setupWorkflow(e, o, version.Get()) },
	}
	cmd.Flags().StringVar(&o.out, "out", "", "write the workflow to `FILE` instead of printing it")
	cmd.Flags().BoolVar(&o.force, "force", false, "with --out, replace FILE if it exists")
	cmd.Flags().StringVar(&o.gantry, "version", "", "the gantry `VERSION` (module version or commit) the workflow installs (default: this binary's)")
	return cmd
}

func setupWorkflow(e *env, o setupWorkflowOptions, running version.Info) error {
	if o.force && o.out == "" {
		return usagef("--force only applies with --out FILE")
	}
	pin, modified, err := actions.PinOf(running)
	switch {
	case o.gantry != "":
		pin.Gantry = o.gantry // with this binary's Go, which PinOf gives even without a version
	case errors.Is(err, actions.ErrNoVersion):
		return usagef("%v: give the server's version with --version (like --version v1.4.0 or a commit)", err)
	case err != nil:
		return usagef("%v: give the server's version with --version", err)
	case modified:
		fmt.Fprintf(e.stderr, "gantry: warning: this binary was built from a modified tree; the workflow installs %s without those changes\n", pin.Gantry)
	}
	workflow, err := actions.Workflow(pin)
	if err != nil {
		return usagef("%v", err)
	}
	if o.out == "" {
		_, err = e.stdout.Write(workflow)
		return err
	}
	if err := writeNew(o.out, workflow, o.force); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s (gantry %s); commit it on the default branch and set the repository variable GANTRY_URL\n", o.out, pin.Gantry)
	return nil
}

// writeNew writes data to path, creating its directory; an existing file is replaced only with force.
func writeNew(path string, data []byte, force bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	// A workflow is read by everyone who can read the repository: nothing in it is secret.
	f, err := os.OpenFile(path, flags, 0o644) //nolint:gosec
	if errors.Is(err, fs.ErrExist) {
		return usagef("%s exists: give --force to replace it", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
