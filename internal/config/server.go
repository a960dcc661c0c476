// Package config holds gantry's configuration: the server's settings (from the environment
// and the flags of `gantry serve`) and a repository's .gantry.yaml (types, defaults,
// validation with line numbers). schema/gantry.schema.json describes the same file for
// editors; a test here keeps the two in step.
package config

import (
	"log/slog"
	"net/url"
	"path"
	"strings"
	"time"
)

// Server is the configuration of `gantry serve` (SPEC §2). Fill it with BindFlags, parse
// the flags, then call Finish; or call LoadServer, which does all three.
type Server struct {
	Addr            string
	PublicURL       string // no trailing slash; required with the actions executor
	DataDir         string
	DatabaseURL     string // sqlite://PATH or postgres://…; may hold a password
	Executor        string // ExecutorLocal or ExecutorActions
	Workers         int
	TerraformBin    string // resolved by Finish: terraform on PATH, then tofu
	Builder         string // BuilderDocker, BuilderOCI, or BuilderAuto to probe for a Docker daemon
	ECSPollInterval time.Duration
	RepoAllowlist   []string // owner/repo globs; empty allows every repository
	AllowForkPRs    bool
	AppID           int64
	PrivateKeyFile  string
	PrivateKey      []byte // PEM of the GitHub App's RSA key, read once by Finish; secret
	// WebhookSecretFile names the file Finish reads WebhookSecret from, when the secret is not
	// in GITHUB_WEBHOOK_SECRET itself.
	WebhookSecretFile string
	WebhookSecret     []byte // secret
	// RoleAllowlist is the AWS roles each repository may name (GANTRY_ROLE_ALLOWLIST); empty
	// allows any role. See RoleAllowed.
	RoleAllowlist []RoleRule
	// SandboxUser is the user name or numeric uid that Terraform, build and hook processes run
	// as; empty leaves the choice to the sandbox (SPEC §2). It is resolved where processes start.
	SandboxUser  string
	GitHubAPIURL string // with a trailing slash, as go-github wants
	// ActionsWorkflow is the workflow file the actions executor dispatches (a name in .github/workflows).
	ActionsWorkflow string
	// ActionsOIDCIssuer issues the runners' tokens (no trailing slash).
	ActionsOIDCIssuer string
	// ActionsClaimTimeout fails a dispatched job that no runner claimed in time.
	ActionsClaimTimeout time.Duration
	// WorkloadIdentity makes the server an OIDC issuer at PublicURL that signs a token per job
	// for AWS (GANTRY_WORKLOAD_IDENTITY=on, SPEC §10).
	WorkloadIdentity bool

	bound []*boundSetting // flags registered by BindFlags, for Finish to report bad env values
}

// Values of Server.Executor and Server.Builder.
const (
	ExecutorLocal   = "local"
	ExecutorActions = "actions"

	BuilderAuto   = ""
	BuilderDocker = "docker"
	BuilderOCI    = "oci"
)

// Environment variables read by Finish only: secrets have no flag, because a command line
// is visible to every user of the machine in `ps`.
const (
	EnvPrivateKey    = "GITHUB_APP_PRIVATE_KEY"
	EnvWebhookSecret = "GITHUB_WEBHOOK_SECRET"
)

// Defaults of SPEC §2.
const (
	DefaultAddr            = ":8080"
	DefaultDataDir         = "./.gantry"
	DefaultWorkers         = 4
	DefaultECSPollInterval = 15 * time.Second
	DefaultGitHubAPIURL    = "https://api.github.com/"
	DefaultActionsWorkflow = "gantry.yml"
	// DefaultActionsOIDCIssuer issues the OIDC tokens of github.com's Actions runners.
	DefaultActionsOIDCIssuer   = "https://token.actions.githubusercontent.com"
	DefaultActionsClaimTimeout = 15 * time.Minute
)

// RepoAllowed reports whether the allowlist admits the repository fullName ("owner/repo").
// GitHub names are case-insensitive, so matching is too.
func (s *Server) RepoAllowed(fullName string) bool {
	if len(s.RepoAllowlist) == 0 {
		return true
	}
	name := strings.ToLower(fullName)
	for _, glob := range s.RepoAllowlist {
		// Finish has validated the globs, so Match cannot fail here.
		if ok, _ := path.Match(strings.ToLower(glob), name); ok {
			return true
		}
	}
	return false
}

// RoleRule is one entry of GANTRY_ROLE_ALLOWLIST: repositories matching the Repo glob may have
// gantry assume roles whose ARN matches the Role glob. IAM allows a comma in a role name, which
// the comma-separated list cannot hold literally: match it with ? or *.
type RoleRule struct {
	Repo string // owner/repo glob, matched case-insensitively like RepoAllowlist
	Role string // role ARN glob, such as arn:aws:iam::111111111111:role/gantry-*
}

func (r RoleRule) String() string { return r.Repo + "=" + r.Role }

// RoleAllowlistSet reports whether GANTRY_ROLE_ALLOWLIST restricts roles at all; when it does
// not, any role a repository names is assumed and the server should warn at start.
func (s *Server) RoleAllowlistSet() bool { return len(s.RoleAllowlist) > 0 }

// RoleAllowed reports whether gantry may assume the role roleARN for the repository repo
// ("owner/repo"). With no allowlist every role is allowed; otherwise one entry must match both
// the repository (case-insensitively, as GitHub names are) and the role.
//
// Role globs follow path.Match and are case-sensitive, as ARNs are written in IAM: a role
// written in another case is refused, never allowed by mistake. A * stays within one
// /-separated part of the ARN, so arn:aws:iam::111111111111:role/gantry-* allows
// role/gantry-plan-staging but not role/gantry-x/admin, a role named admin under the IAM path
// /gantry-x/; roles under a path need a glob that spells the path, such as role/ci/gantry-*.
// A * may cross ':', so arn:aws:iam::*:role/gantry-* allows gantry-* roles in every account.
// An empty role is never allowed by a set allowlist.
func (s *Server) RoleAllowed(repo, roleARN string) bool {
	if len(s.RoleAllowlist) == 0 {
		return true
	}
	if roleARN == "" {
		return false
	}
	name := strings.ToLower(repo)
	for _, rule := range s.RoleAllowlist {
		// Finish has validated the globs; a malformed one (a Server built by hand) matches
		// nothing, since Match reports false with its error.
		repoOK, _ := path.Match(strings.ToLower(rule.Repo), name)
		roleOK, _ := path.Match(rule.Role, roleARN)
		if repoOK && roleOK {
			return true
		}
	}
	return false
}

// SQLitePath returns the database file of a sqlite:// DatabaseURL.
func (s *Server) SQLitePath() (string, bool) {
	return strings.CutPrefix(s.DatabaseURL, "sqlite://")
}

// LogValue lists the settings with secrets replaced, so the settings can be logged.
func (s Server) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", s.Addr),
		slog.String("public_url", s.PublicURL),
		slog.String("data_dir", s.DataDir),
		slog.String("database_url", redactURL(s.DatabaseURL)),
		slog.String("executor", s.Executor),
		slog.Int("workers", s.Workers),
		slog.String("terraform_bin", s.TerraformBin),
		slog.String("builder", s.Builder),
		slog.Duration("ecs_poll_interval", s.ECSPollInterval),
		slog.Any("repo_allowlist", s.RepoAllowlist),
		slog.Bool("allow_fork_prs", s.AllowForkPRs),
		slog.Int64("github_app_id", s.AppID),
		slog.String("github_app_private_key_file", s.PrivateKeyFile),
		slog.String("github_app_private_key", redacted(s.PrivateKey)),
		slog.String("github_webhook_secret", redacted(s.WebhookSecret)),
		slog.String("github_webhook_secret_file", s.WebhookSecretFile),
		slog.Any("role_allowlist", roleStrings(s.RoleAllowlist)),
		slog.String("sandbox_user", s.SandboxUser),
		slog.String("github_api_url", s.GitHubAPIURL),
		slog.String("actions_workflow", s.ActionsWorkflow),
		slog.String("actions_oidc_issuer", s.ActionsOIDCIssuer),
		slog.Duration("actions_claim_timeout", s.ActionsClaimTimeout),
		slog.Bool("workload_identity", s.WorkloadIdentity),
	)
}

// String and GoString show what LogValue shows, so printing the settings with %v or %#v
// cannot leak a secret either.
func (s Server) String() string   { return s.LogValue().String() }
func (s Server) GoString() string { return "config.Server" + s.String() }

func roleStrings(rules []RoleRule) []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = r.String()
	}
	return out
}

func redacted(secret []byte) string {
	if len(secret) == 0 {
		return "(unset)"
	}
	return "(redacted)"
}

// redactURL hides the password of a database URL; anything unparsable is hidden whole,
// since it might be a password typed in the wrong place.
func redactURL(raw string) string {
	if raw == "" || strings.HasPrefix(raw, "sqlite://") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable, redacted)"
	}
	return u.Redacted()
}
