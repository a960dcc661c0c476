package main

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/classla/gantry/internal/sandbox"
)

// sandboxSetup is what the server checks before it runs any job (SPEC §10).
type sandboxSetup struct {
	User         string // GANTRY_SANDBOX_USER
	DataDir      string
	TerraformBin string
}

// prepareSandbox resolves the sandbox user and lays the data directory out for it: passable but not
// listable, so each job reaches its own work directory and nothing else. It then checks, before any
// job runs, that the sandbox user can run Terraform and reach the work directories, and that it
// cannot read any secret file; each problem is named with its fix, rather than found mid-plan.
// The warnings go to the log and the status page.
func prepareSandbox(c sandboxSetup) (*sandbox.Sandbox, []string, error) {
	sb, err := sandbox.Resolve(c.User, os.Geteuid(), "")
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	if w := sb.Warning(); w != "" {
		warnings = append(warnings, w)
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("creating GANTRY_DATA_DIR %s: %w", c.DataDir, err)
	}
	mode := os.FileMode(0o700)
	if sb.On() {
		mode = 0o711
	}
	if err := os.Chmod(c.DataDir, mode); err != nil {
		return nil, nil, fmt.Errorf("setting the mode of GANTRY_DATA_DIR %s: %w", c.DataDir, err)
	}
	if !sb.On() {
		return sb, warnings, nil
	}
	problems := []error{
		sb.CheckReach(filepath.Join(c.DataDir, "work", "job"), "the work directories under GANTRY_DATA_DIR", false),
		sb.CheckHidden(c.DataDir, "the data directory (GANTRY_DATA_DIR)"),
	}
	if c.TerraformBin != "" { // none with the actions executor, whose runners bring their own
		problems = append([]error{sb.CheckReach(c.TerraformBin, "the Terraform binary (GANTRY_TERRAFORM_BIN)", true)}, problems...)
	}
	if err := errors.Join(problems...); err != nil {
		return nil, nil, fmt.Errorf("the sandbox user %s is not set up to run pull requests' Terraform safely:\n%w", sb.User(), err)
	}
	return sb, warnings, nil
}

// checkSecretFiles refuses to go on while the sandbox user could read one of the server's secret
// files, given by what they are for the reader (files not given or not there are skipped): a pull
// request's Terraform would read it.
func checkSecretFiles(sb *sandbox.Sandbox, files map[string]string) error {
	var problems []error
	for _, what := range slices.Sorted(maps.Keys(files)) {
		if path := files[what]; path != "" {
			problems = append(problems, sb.CheckHidden(path, what))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return fmt.Errorf("the sandbox user %s could read the server's secrets:\n%w", sb.User(), err)
	}
	return nil
}
