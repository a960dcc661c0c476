package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/classla/gantry/internal/sandbox"
)

// defaultPath is the child's PATH when the server has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// passThrough are the only server variables a run inherits, when set: what reaching a registry or
// a provider's API over TLS and through a proxy needs. Everything else of the server (its GitHub
// secrets, its own AWS credentials, TF_* settings) stays out.
var passThrough = []string{
	"SSL_CERT_FILE", "SSL_CERT_DIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
	"http_proxy", "https_proxy", "no_proxy",
	"TMPDIR",
}

// reserved are variables the runner sets itself, or that would change how it drives Terraform
// (TF_CLI_ARGS* adds arguments to every step, TF_WORKSPACE overrides the workspace step, TF_DATA_DIR
// moves .terraform); a request's Env may not set them.
var reserved = []string{
	"HOME", "TF_CLI_CONFIG_FILE", "TF_PLUGIN_CACHE_DIR", "TF_IN_AUTOMATION", "TF_INPUT",
	"CHECKPOINT_DISABLE", "TF_WORKSPACE", "TF_DATA_DIR", "TF_CLI_ARGS",
}

// checkEnv refuses a request Env that sets a reserved variable. The message names the variable,
// never its value: values are credentials.
func checkEnv(field string, env map[string]string) error {
	for k := range env {
		if slices.Contains(reserved, k) || strings.HasPrefix(k, "TF_CLI_ARGS_") {
			return fmt.Errorf("%s sets %s, which the Terraform runner controls: remove it", field, k)
		}
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("%s has a variable named %q, which is not a valid environment variable name", field, k)
		}
	}
	return nil
}

// buildEnv is the whole environment of a step: the allow-list, the run's home and CLI
// configuration, then the run's own variables.
func buildEnv(home, cliConfig, pluginCache string, extra map[string]string) []string {
	env := map[string]string{
		"PATH":               defaultPath,
		"HOME":               home,
		"TF_CLI_CONFIG_FILE": cliConfig,
		"TF_IN_AUTOMATION":   "1",
		"TF_INPUT":           "0",
		"CHECKPOINT_DISABLE": "1",
	}
	if p := os.Getenv("PATH"); p != "" {
		env["PATH"] = p
	}
	if pluginCache != "" {
		env["TF_PLUGIN_CACHE_DIR"] = pluginCache
	}
	for _, k := range passThrough {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	for k, v := range extra {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// runHome is a fresh HOME for one run, holding an empty CLI configuration: the server's
// ~/.terraformrc, credentials and local plugin directories are never read. In a job's jail it comes
// with a TMPDIR of the run's own, both open to the job alone.
type runHome struct {
	dir       string
	cliConfig string
	tmp       string // "" outside a jail: the server's TMPDIR passes through
}

func newRunHome(jail *sandbox.Jail) (*runHome, error) {
	h := &runHome{}
	var err error
	if jail != nil {
		if h.dir, err = jail.Private("home-"); err == nil {
			h.tmp, err = jail.Private("tmp-")
		}
	} else {
		h.dir, err = os.MkdirTemp("", "gantry-terraform-home-")
	}
	if err != nil {
		h.remove()
		return nil, fmt.Errorf("creating a home directory for Terraform: %w: check that the work directory (or TMPDIR) is writable", err)
	}
	h.cliConfig = filepath.Join(h.dir, "terraformrc")
	if err := os.WriteFile(h.cliConfig, nil, 0o600); err == nil && jail != nil {
		err = jail.Own(h.cliConfig)
	}
	if err != nil {
		h.remove()
		return nil, fmt.Errorf("writing Terraform's CLI configuration: %w", err)
	}
	return h, nil
}

func (h *runHome) remove() {
	for _, d := range []string{h.dir, h.tmp} {
		if d != "" {
			os.RemoveAll(d)
		}
	}
}

// setEnv replaces or adds one KEY=VALUE of a sorted environment.
func setEnv(env []string, key, value string) []string {
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, key+"=") })
	out = append(out, key+"="+value)
	slices.Sort(out)
	return out
}
