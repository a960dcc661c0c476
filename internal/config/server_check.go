package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/classla/gantry/internal/identity"
)

// SettingError is one server setting that is missing or wrong. Its text names the
// environment variable and flag, what is wrong and what to set; it never holds a secret.
type SettingError struct {
	Variable string // environment variable
	Flag     string // flag of `gantry serve` without dashes; empty for secrets
	Problem  string // e.g. `"abc" is not a number`
	Fix      string // e.g. "set it to the App ID shown on the GitHub App's settings page"
	Err      error  // the cause, when there is one callers may test for
}

func (e *SettingError) Error() string {
	name := e.Variable
	if e.Flag != "" {
		name += " (--" + e.Flag + ")"
	}
	return name + " " + e.Problem + ": " + e.Fix
}

func (e *SettingError) Unwrap() error { return e.Err }

// ErrInvalidPrivateKey is wrapped by the SettingError of a private key that is not a usable
// PEM-encoded RSA key.
var ErrInvalidPrivateKey = errors.New("not a PEM-encoded RSA private key")

// LoadServer binds the flags of `gantry serve` to a new Server, parses args and calls Finish.
func LoadServer(args []string, getenv func(string) string) (*Server, error) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var s Server
	s.BindFlags(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("gantry serve: %w", err)
	}
	return &s, s.Finish(getenv)
}

// Finish completes the settings once the flags are parsed: it reads the webhook secret and
// private key from the environment or their files (once: they are not read again while the
// server runs), derives the database URL from the data directory, resolves the Terraform
// binary, and validates everything. It returns every problem at once, joined, each a
// *SettingError.
func (s *Server) Finish(getenv func(string) string) error {
	c := &checker{s: s, broken: map[string]bool{}}
	for _, b := range s.bound {
		if b.envErr != nil && !b.flagSet {
			c.add(b.env, b.flag, b.envErr.Error(), "set it to "+b.fix, nil)
			c.broken[b.env] = true
		}
	}
	c.checkServing()
	c.checkStorage()
	c.checkJobs(getenv)
	c.checkGitHub()
	c.checkWebhookSecret(getenv)
	c.checkPrivateKey(getenv)
	c.checkRoleAllowlist()
	return errors.Join(c.errs...)
}

type checker struct {
	s      *Server
	errs   []error
	broken map[string]bool // variables whose value did not parse: checking them again is noise
}

func (c *checker) add(env, flag, problem, fix string, err error) {
	c.errs = append(c.errs, &SettingError{Variable: env, Flag: flag, Problem: problem, Fix: fix, Err: err})
}

func (c *checker) checkServing() {
	s := c.s
	if _, _, err := net.SplitHostPort(s.Addr); err != nil {
		c.add("GANTRY_ADDR", "addr", fmt.Sprintf("%q is not a listen address", s.Addr), "set it like :8080 or 127.0.0.1:8080", nil)
	}
	switch {
	case s.PublicURL == "" && s.Executor == ExecutorActions:
		c.add("GANTRY_PUBLIC_URL", "public-url", "is empty", "the actions executor needs it: set it to the https URL GitHub Actions runners reach this server at", nil)
	case s.PublicURL != "":
		u, ok := httpURL(s.PublicURL)
		if !ok {
			c.add("GANTRY_PUBLIC_URL", "public-url", fmt.Sprintf("%q is not an absolute http(s) URL", s.PublicURL), "set it like https://gantry.example.com", nil)
			break
		}
		s.PublicURL = strings.TrimSuffix(u.String(), "/")
	}
	switch {
	case !s.WorkloadIdentity || c.broken["GANTRY_PUBLIC_URL"]:
	case s.PublicURL == "":
		c.add("GANTRY_PUBLIC_URL", "public-url", "is empty",
			"GANTRY_WORKLOAD_IDENTITY=on needs it: set it to the https URL AWS fetches gantry's signing keys from, or set GANTRY_WORKLOAD_IDENTITY=off", nil)
	default:
		if _, err := identity.IssuerURL(s.PublicURL); err != nil {
			c.add("GANTRY_PUBLIC_URL", "public-url", err.Error(),
				"set it to the https URL AWS reaches this server at (its /.well-known/ paths must be public), or set GANTRY_WORKLOAD_IDENTITY=off", nil)
		}
	}
}

func (c *checker) checkStorage() {
	s := c.s
	if s.DataDir == "" {
		c.add("GANTRY_DATA_DIR", "data-dir", "is empty", "set it to a writable directory", nil)
		return
	}
	if s.DatabaseURL == "" {
		s.DatabaseURL = "sqlite://" + strings.TrimSuffix(s.DataDir, "/") + "/gantry.db"
	}
	const fix = "set it to sqlite://PATH (one replica) or postgres://USER@HOST/DATABASE (several replicas)"
	scheme, rest, found := strings.Cut(s.DatabaseURL, "://")
	switch {
	case !found:
		// Only the shape is described: the value may be a misplaced password.
		c.add("GANTRY_DATABASE_URL", "database-url", "is not a URL", fix, nil)
	case scheme == "sqlite" && rest == "":
		c.add("GANTRY_DATABASE_URL", "database-url", "names no database file", fix, nil)
	case scheme == "postgres" || scheme == "postgresql":
		if u, err := url.Parse(s.DatabaseURL); err != nil || u.Host == "" {
			c.add("GANTRY_DATABASE_URL", "database-url", "is not a valid postgres:// URL", fix, nil)
		}
	case scheme != "sqlite":
		c.add("GANTRY_DATABASE_URL", "database-url", fmt.Sprintf("has the scheme %q, which gantry cannot use", scheme), fix, nil)
	}
}

func (c *checker) checkJobs(getenv func(string) string) {
	s := c.s
	if s.Executor != ExecutorLocal && s.Executor != ExecutorActions {
		c.add("GANTRY_EXECUTOR", "executor", fmt.Sprintf("%q is not local or actions", s.Executor),
			`set it to "local" (jobs run in this process) or "actions" (jobs run in GitHub Actions)`, nil)
	}
	if s.Workers < 1 && !c.broken["GANTRY_WORKERS"] {
		c.add("GANTRY_WORKERS", "workers", fmt.Sprintf("%d is less than 1", s.Workers), "set it to how many jobs run at once, 1 or more", nil)
	}
	if s.Builder != BuilderAuto && s.Builder != BuilderDocker && s.Builder != BuilderOCI {
		c.add("GANTRY_BUILDER", "builder", fmt.Sprintf("%q is not docker or oci", s.Builder),
			`set it to "docker" or "oci", or leave it unset to choose by whether a Docker daemon answers`, nil)
	}
	if s.ECSPollInterval <= 0 && !c.broken["GANTRY_ECS_POLL_INTERVAL"] {
		c.add("GANTRY_ECS_POLL_INTERVAL", "ecs-poll-interval", fmt.Sprintf("%s is not a positive duration", s.ECSPollInterval), "set it like 15s or 1m", nil)
	}
	c.checkTerraformBin(getenv("PATH"))
	c.checkActions()
}

// checkActions checks the settings of the actions executor.
func (c *checker) checkActions() {
	s := c.s
	if s.ActionsWorkflow == "" || strings.ContainsAny(s.ActionsWorkflow, `/\`) ||
		!(strings.HasSuffix(s.ActionsWorkflow, ".yml") || strings.HasSuffix(s.ActionsWorkflow, ".yaml")) {
		c.add("GANTRY_ACTIONS_WORKFLOW", "actions-workflow", fmt.Sprintf("%q is not a workflow file name", s.ActionsWorkflow),
			"set it to the name of the file in .github/workflows, such as gantry.yml", nil)
	}
	if u, ok := httpURL(s.ActionsOIDCIssuer); !ok {
		c.add("GANTRY_ACTIONS_OIDC_ISSUER", "actions-oidc-issuer", fmt.Sprintf("%q is not an absolute http(s) URL", s.ActionsOIDCIssuer),
			"set it to "+DefaultActionsOIDCIssuer+" (github.com) or https://HOST/_services/token (GitHub Enterprise Server)", nil)
	} else {
		s.ActionsOIDCIssuer = strings.TrimSuffix(u.String(), "/")
	}
	if s.ActionsClaimTimeout <= 0 && !c.broken["GANTRY_ACTIONS_CLAIM_TIMEOUT"] {
		c.add("GANTRY_ACTIONS_CLAIM_TIMEOUT", "actions-claim-timeout", fmt.Sprintf("%s is not a positive duration", s.ActionsClaimTimeout),
			"set it like 15m", nil)
	}
}

// checkTerraformBin resolves the Terraform binary. Only the local executor runs Terraform
// in this process, so only it must find one.
func (c *checker) checkTerraformBin(pathEnv string) {
	s := c.s
	if s.TerraformBin != "" {
		found, ok := lookPath(s.TerraformBin, pathEnv)
		switch {
		case ok:
			s.TerraformBin = found
		case s.Executor == ExecutorLocal:
			c.add("GANTRY_TERRAFORM_BIN", "terraform-bin", fmt.Sprintf("%q is not an executable file or on PATH", s.TerraformBin),
				"set it to the name or path of the terraform or tofu binary", nil)
		}
		return
	}
	for _, name := range []string{"terraform", "tofu"} {
		if found, ok := lookPath(name, pathEnv); ok {
			s.TerraformBin = found
			return
		}
	}
	if s.Executor == ExecutorLocal {
		c.add("GANTRY_TERRAFORM_BIN", "terraform-bin", "is unset and neither terraform nor tofu is on PATH",
			"install Terraform or OpenTofu, or set it to the path of its binary", nil)
	}
}

// lookPath finds an executable like exec.LookPath, but in the PATH given, so the
// environment stays the caller's to supply. Empty PATH entries (the current directory) are
// skipped for the reason exec.LookPath refuses them.
func lookPath(name, pathEnv string) (string, bool) {
	if strings.Contains(name, "/") {
		return name, isExecutable(name)
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			continue
		}
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p, true
		}
	}
	return "", false
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

func (c *checker) checkGitHub() {
	s := c.s
	for _, glob := range s.RepoAllowlist {
		if !isRepoGlob(glob) {
			c.add("GANTRY_REPO_ALLOWLIST", "repo-allowlist", fmt.Sprintf("entry %q is not an owner/repo glob", glob),
				"write entries like classla/* or classla/lms, separated by commas", nil)
		}
	}
	switch {
	case c.broken["GITHUB_APP_ID"]:
	case s.AppID == 0:
		c.add("GITHUB_APP_ID", "github-app-id", "is empty", "set it to the App ID shown on the GitHub App's settings page", nil)
	case s.AppID < 0:
		c.add("GITHUB_APP_ID", "github-app-id", fmt.Sprintf("%d is not an App ID", s.AppID), "set it to the App ID shown on the GitHub App's settings page", nil)
	}
	u, ok := httpURL(s.GitHubAPIURL)
	if !ok {
		c.add("GITHUB_API_URL", "github-api-url", fmt.Sprintf("%q is not an absolute http(s) URL", s.GitHubAPIURL),
			"set it to https://api.github.com/, or https://HOST/api/v3/ for GitHub Enterprise Server", nil)
		return
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	s.GitHubAPIURL = u.String()
}

func httpURL(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}

// maxSecretFile bounds the webhook secret and private key files, so a path set to a large file by mistake
// (or to /dev/zero) fails at once instead of filling memory.
const maxSecretFile = 64 << 10

func (c *checker) checkWebhookSecret(getenv func(string) string) {
	s := c.s
	const fileFlag = "GITHUB_WEBHOOK_SECRET_FILE (--github-webhook-secret-file)"
	const fileFix = "set it to the path of a file holding the webhook secret configured on the GitHub App"
	secret := getenv(EnvWebhookSecret)
	switch {
	case secret != "" && s.WebhookSecretFile != "":
		c.add(EnvWebhookSecret, "", "and "+fileFlag+" are both set", "set only one of them", nil)
	case secret == "" && s.WebhookSecretFile == "":
		c.add(EnvWebhookSecret, "", "and "+fileFlag+" are both empty",
			"set one of them to the webhook secret configured on the GitHub App, or to the path of a file holding it", nil)
	case secret != "":
		s.WebhookSecret = []byte(secret)
	default:
		data, err := readSmallFile(s.WebhookSecretFile, maxSecretFile)
		switch {
		case errors.Is(err, errFileTooLarge):
			c.add("GITHUB_WEBHOOK_SECRET_FILE", "github-webhook-secret-file",
				fmt.Sprintf("%s is longer than %d KiB, too long to be a webhook secret", s.WebhookSecretFile, maxSecretFile>>10), fileFix, err)
			return
		case err != nil:
			c.add("GITHUB_WEBHOOK_SECRET_FILE", "github-webhook-secret-file", "cannot be read: "+err.Error(), fileFix, err)
			return
		}
		// A secret written with echo ends in a newline that is not part of it.
		data = bytes.TrimRight(data, "\r\n")
		if len(data) == 0 {
			c.add("GITHUB_WEBHOOK_SECRET_FILE", "github-webhook-secret-file", s.WebhookSecretFile+" is empty", fileFix, nil)
			return
		}
		s.WebhookSecret = data
	}
}

// errFileTooLarge is readSmallFile's error for a file over its limit.
var errFileTooLarge = errors.New("file too large")

// readSmallFile reads the file at name, refusing one longer than limit bytes. Its errors never
// quote what the file holds.
func readSmallFile(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errFileTooLarge
	}
	return data, nil
}

func (c *checker) checkPrivateKey(getenv func(string) string) {
	s := c.s
	const fix = "set it to the private key generated on the GitHub App's settings page"
	const fileFlag = "GITHUB_APP_PRIVATE_KEY_FILE (--github-app-private-key-file)"
	key := getenv(EnvPrivateKey)
	switch {
	case key != "" && s.PrivateKeyFile != "":
		c.add(EnvPrivateKey, "", "and "+fileFlag+" are both set", "set only one of them", nil)
	case key == "" && s.PrivateKeyFile == "":
		c.add(EnvPrivateKey, "", "and "+fileFlag+" are both empty",
			"set one of them to the GitHub App's private key (PEM), or to the path of its .pem file", nil)
	case key != "":
		pem, problem := checkPEM([]byte(key))
		if problem != "" {
			c.add(EnvPrivateKey, "", problem, fix, ErrInvalidPrivateKey)
			return
		}
		s.PrivateKey = pem
	default:
		// Bounded like the webhook secret file: a key path set to a large file fails at once.
		data, err := readSmallFile(s.PrivateKeyFile, maxSecretFile)
		if err != nil {
			c.add("GITHUB_APP_PRIVATE_KEY_FILE", "github-app-private-key-file", "cannot be read: "+err.Error(),
				"set it to the path of the .pem file downloaded from the GitHub App's settings page", err)
			return
		}
		pem, problem := checkPEM(data)
		if problem != "" {
			c.add("GITHUB_APP_PRIVATE_KEY_FILE", "github-app-private-key-file", s.PrivateKeyFile+" "+problem, fix, ErrInvalidPrivateKey)
			return
		}
		s.PrivateKey = pem
	}
}

// roleExample is a correct GANTRY_ROLE_ALLOWLIST entry, shown with every problem.
const roleExample = "write entries like classla/*=arn:aws:iam::111111111111:role/gantry-*, separated by commas"

func (c *checker) checkRoleAllowlist() {
	for _, rule := range c.s.RoleAllowlist {
		var problem string
		switch {
		case rule.Role == "":
			problem = fmt.Sprintf("entry %q names no role after =", rule.Repo)
		case !isRepoGlob(rule.Repo):
			problem = fmt.Sprintf("entry %q does not start with an owner/repo glob", rule.String())
		case !isGlob(rule.Role):
			problem = fmt.Sprintf("entry %q has a role glob that is not a valid pattern", rule.String())
		case !strings.HasPrefix(rule.Role, "arn:") || !strings.Contains(rule.Role, ":role/"):
			problem = fmt.Sprintf("entry %q has a role glob that is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", rule.String())
		}
		if problem != "" {
			c.add("GANTRY_ROLE_ALLOWLIST", "role-allowlist", problem, roleExample, nil)
		}
	}
}

// isRepoGlob reports whether glob is an owner/repo glob, such as classla/* or classla/lms.
func isRepoGlob(glob string) bool {
	owner, repo, ok := strings.Cut(glob, "/")
	return ok && owner != "" && repo != "" && !strings.Contains(repo, "/") && isGlob(glob)
}

func isGlob(glob string) bool {
	_, err := path.Match(glob, "")
	return err == nil
}
