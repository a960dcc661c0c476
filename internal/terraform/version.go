package terraform

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"

	goversion "github.com/hashicorp/go-version"

	"github.com/classla/gantry/internal/sandbox"
)

// Flavors of binary.
const (
	FlavorTerraform = "terraform"
	FlavorTofu      = "tofu"
)

// Version is what the binary reports of itself.
type Version struct {
	Flavor  string // FlavorTerraform or FlavorTofu
	Version string // "1.5.7"; a binary built from source may add "-dev"
}

func (v Version) String() string {
	if v.Flavor == FlavorTofu {
		return "OpenTofu " + v.Version
	}
	return "Terraform " + v.Version
}

// Version runs `version` once and remembers the answer; a failure is not remembered.
func (r *Runner) Version(ctx context.Context) (Version, error) {
	r.versionMu.Lock()
	defer r.versionMu.Unlock()
	if r.version != nil {
		return *r.version, nil
	}
	home, err := newRunHome(nil)
	if err != nil {
		return Version{}, err
	}
	defer home.remove()
	if r.opts.Sandbox.On() {
		// The sandbox user runs `version` too, and must enter its working directory.
		if err := os.Chmod(home.dir, 0o755); err != nil {
			return Version{}, err
		}
		if err := os.Chmod(home.cliConfig, 0o644); err != nil {
			return Version{}, err
		}
	}
	// The home as working directory: `version` reads .terraform of its directory, and the server's
	// own directory is none of Terraform's business.
	env := buildEnv(home.dir, home.cliConfig, "", nil)
	s := &session{r: r, dir: home.dir, env: env, home: home, proc: sandbox.Run{Dir: home.dir, Env: env}}
	out, err := s.run(ctx, "version", []string{"version"})
	if err != nil {
		return Version{}, err
	}
	v, err := parseVersion(out.stdout)
	if err != nil {
		return Version{}, fmt.Errorf("%s: %w: set GANTRY_TERRAFORM_BIN to a Terraform or OpenTofu binary", r.bin, err)
	}
	r.version = &v
	return v, nil
}

// versionLine is the first line of `terraform version` / `tofu version`.
var versionLine = regexp.MustCompile(`^(Terraform|OpenTofu) v(\S+)$`)

func parseVersion(stdout string) (Version, error) {
	first, _, _ := strings.Cut(stdout, "\n")
	first = strings.TrimSpace(first)
	m := versionLine.FindStringSubmatch(first)
	if m == nil {
		return Version{}, fmt.Errorf("`version` printed %q, not \"Terraform vX.Y.Z\" or \"OpenTofu vX.Y.Z\"", first)
	}
	if _, err := goversion.NewVersion(m[2]); err != nil {
		return Version{}, fmt.Errorf("`version` printed %q, whose version does not parse: %w", first, err)
	}
	flavor := FlavorTerraform
	if m[1] == "OpenTofu" {
		flavor = FlavorTofu
	}
	return Version{Flavor: flavor, Version: m[2]}, nil
}

// checkPin compares the binary's version with the project's terraform_version ("1.5.7",
// "~> 1.5", ">= 1.5, < 2"). The pin is checked against the release the binary is built from: a
// binary built from source says "1.10.6-dev", and a pin names releases.
func checkPin(bin string, v Version, pin string) error {
	if pin == "" {
		return nil
	}
	constraints, err := goversion.NewConstraint(pin)
	if err != nil {
		return fmt.Errorf("terraform_version %q is not a version constraint (%v): use a version like 1.5.7 or a constraint like ~> 1.5", pin, err)
	}
	found, err := goversion.NewVersion(v.Version)
	if err != nil {
		return fmt.Errorf("%s reported version %q, which does not parse: %w", bin, v.Version, err)
	}
	if !constraints.Check(found.Core()) {
		return &VersionError{Binary: bin, Found: v, Required: pin}
	}
	return nil
}

// hasOrCreate reports whether `workspace select -or-create` exists (Terraform 1.4; every OpenTofu).
func hasOrCreate(v Version) bool {
	found, err := goversion.NewVersion(v.Version)
	return err == nil && found.Core().GreaterThanOrEqual(goversion.Must(goversion.NewVersion("1.4.0")))
}
