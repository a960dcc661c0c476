package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// boundSetting is one setting that is both an environment variable and a flag. Its flag
// default comes from the variable; a bad variable is reported by Finish unless the flag
// overrides it.
type boundSetting struct {
	env, flag string
	fix       string // what to set, for error messages
	parse     func(string) error
	add       func(string) error // for lists: a repeated flag adds instead of replacing
	show      func() string
	typ       string
	envErr    error
	flagSet   bool
}

func (b *boundSetting) Set(v string) error {
	if b.flagSet && b.add != nil {
		return b.add(v)
	}
	b.flagSet = true
	return b.parse(v)
}
func (b *boundSetting) String() string { return b.show() }
func (b *boundSetting) Type() string   { return b.typ }

// BindFlags registers one flag per setting of `gantry serve` on fs. Each flag's default is
// its environment variable (read with getenv), else the SPEC default; a flag given on the
// command line wins over the variable. The private key itself and the webhook secret have
// no flag: they are read from the environment by Finish, since command lines leak into `ps`.
func (s *Server) BindFlags(fs *pflag.FlagSet, getenv func(string) string) {
	s.bind(fs, getenv, "GANTRY_ADDR", "addr", DefaultAddr, "listen address",
		"a listen address such as :8080 or 127.0.0.1:8080", stringSetter(&s.Addr))
	s.bind(fs, getenv, "GANTRY_PUBLIC_URL", "public-url", "",
		"URL GitHub and runners reach this server at (links in comments, OIDC audience of runners)",
		"the server's public https URL", stringSetter(&s.PublicURL))
	s.bind(fs, getenv, "GANTRY_DATA_DIR", "data-dir", DefaultDataDir,
		"directory for work trees, saved plans and the embedded database",
		"a writable directory", stringSetter(&s.DataDir))
	s.bind(fs, getenv, "GANTRY_DATABASE_URL", "database-url", "",
		"sqlite://PATH (one replica) or postgres://… (several); default sqlite://DATA_DIR/gantry.db",
		"sqlite://PATH or postgres://USER@HOST/DB", stringSetter(&s.DatabaseURL))
	s.bind(fs, getenv, "GANTRY_EXECUTOR", "executor", ExecutorLocal,
		"where jobs run: local (worker pool in this process) or actions (GitHub Actions runners)",
		`"local" or "actions"`, stringSetter(&s.Executor))
	s.bind(fs, getenv, "GANTRY_WORKERS", "workers", strconv.Itoa(DefaultWorkers),
		"jobs the local executor runs at once",
		"how many jobs run at once, 1 or more", intSetter(&s.Workers))
	s.bind(fs, getenv, "GANTRY_TERRAFORM_BIN", "terraform-bin", "",
		"Terraform or OpenTofu binary; default terraform on PATH, then tofu",
		"the name or path of the terraform or tofu binary", stringSetter(&s.TerraformBin))
	s.bind(fs, getenv, "GANTRY_BUILDER", "builder", BuilderAuto,
		"image builder: docker or oci; default docker if a Docker daemon answers, else oci",
		`"docker" or "oci", or leave it unset to choose by whether a Docker daemon answers`, stringSetter(&s.Builder))
	s.bind(fs, getenv, "GANTRY_ECS_POLL_INTERVAL", "ecs-poll-interval", DefaultECSPollInterval.String(),
		"how often a deployment is polled while waiting for a steady state",
		"a duration such as 15s or 1m", durationSetter(&s.ECSPollInterval))
	s.bind(fs, getenv, "GANTRY_REPO_ALLOWLIST", "repo-allowlist", "",
		"comma-separated owner/repo globs of repositories to serve; default all of the installation's",
		"comma-separated owner/repo globs such as classla/* or classla/lms", listSetter(&s.RepoAllowlist))
	s.bind(fs, getenv, "GANTRY_ALLOW_FORK_PRS", "allow-fork-prs", "false",
		"plan pull requests from forks",
		"true or false", boolSetter(&s.AllowForkPRs))
	s.bind(fs, getenv, "GITHUB_APP_ID", "github-app-id", "",
		"ID of the GitHub App",
		"the App ID shown on the GitHub App's settings page", int64Setter(&s.AppID))
	s.bind(fs, getenv, "GITHUB_APP_PRIVATE_KEY_FILE", "github-app-private-key-file", "",
		"file holding the GitHub App's PEM private key (or set the key itself in GITHUB_APP_PRIVATE_KEY)",
		"the path of the .pem file downloaded from the GitHub App's settings page", stringSetter(&s.PrivateKeyFile))
	s.bind(fs, getenv, "GITHUB_WEBHOOK_SECRET_FILE", "github-webhook-secret-file", "",
		"file holding the GitHub App's webhook secret (or set the secret itself in GITHUB_WEBHOOK_SECRET)",
		"the path of a file holding the webhook secret configured on the GitHub App", stringSetter(&s.WebhookSecretFile))
	s.bind(fs, getenv, "GANTRY_ROLE_ALLOWLIST", "role-allowlist", "",
		"comma-separated OWNER/REPO-GLOB=ROLE-ARN-GLOB entries: the AWS roles each repository may name; default any role",
		"comma-separated entries such as classla/*=arn:aws:iam::111111111111:role/gantry-*", roleListSetter(&s.RoleAllowlist))
	s.bind(fs, getenv, "GANTRY_SANDBOX_USER", "sandbox-user", "",
		"user name or uid that Terraform, build and hook processes run as; default gantry-run or nobody when serving as root",
		"an unprivileged user name or uid", stringSetter(&s.SandboxUser))
	s.bind(fs, getenv, "GITHUB_API_URL", "github-api-url", DefaultGitHubAPIURL,
		"GitHub REST API base URL; https://HOST/api/v3/ for GitHub Enterprise Server",
		"an http(s) URL such as https://api.github.com/", stringSetter(&s.GitHubAPIURL))
	s.bind(fs, getenv, "GANTRY_ACTIONS_WORKFLOW", "actions-workflow", DefaultActionsWorkflow,
		"workflow file (in .github/workflows) the actions executor dispatches",
		"the file name of the workflow, such as gantry.yml", stringSetter(&s.ActionsWorkflow))
	s.bind(fs, getenv, "GANTRY_ACTIONS_OIDC_ISSUER", "actions-oidc-issuer", DefaultActionsOIDCIssuer,
		"issuer of GitHub Actions runners' OIDC tokens; https://HOST/_services/token for GitHub Enterprise Server",
		"an https URL such as "+DefaultActionsOIDCIssuer, stringSetter(&s.ActionsOIDCIssuer))
	s.bind(fs, getenv, "GANTRY_ACTIONS_CLAIM_TIMEOUT", "actions-claim-timeout", DefaultActionsClaimTimeout.String(),
		"how long a dispatched job may wait for a runner to claim it before it fails",
		"a duration such as 15m", durationSetter(&s.ActionsClaimTimeout))
	s.bind(fs, getenv, "GANTRY_WORKLOAD_IDENTITY", "workload-identity", "off",
		"on: the server is an OIDC issuer at GANTRY_PUBLIC_URL and signs a token per job for AWS",
		"on or off", onOffSetter(&s.WorkloadIdentity))
	fs.Lookup("allow-fork-prs").NoOptDefVal = "true"
	fs.Lookup("workload-identity").NoOptDefVal = "on"
	// The flag help shows the default; the database URL may carry a password.
	fs.Lookup("database-url").DefValue = redactURL(fs.Lookup("database-url").DefValue)
}

// setter parses a flag or variable value into a field and says how to show it.
type setter struct {
	typ   string
	parse func(string) error
	add   func(string) error
	show  func() string
}

func (s *Server) bind(fs *pflag.FlagSet, getenv func(string) string, env, flag, def, usage, fix string, st setter) {
	b := &boundSetting{env: env, flag: flag, fix: fix, parse: st.parse, add: st.add, show: st.show, typ: st.typ}
	if err := st.parse(def); err != nil {
		panic(fmt.Sprintf("config: default of --%s: %v", flag, err))
	}
	if v := getenv(env); v != "" {
		b.envErr = st.parse(v)
	}
	s.bound = append(s.bound, b)
	fs.Var(b, flag, usage+" (env "+env+")")
}

func stringSetter(p *string) setter {
	return setter{typ: "string", parse: func(v string) error { *p = v; return nil }, show: func() string { return *p }}
}

func intSetter(p *int) setter {
	return setter{typ: "int", show: func() string { return strconv.Itoa(*p) }, parse: func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a number", v)
		}
		*p = n
		return nil
	}}
}

func int64Setter(p *int64) setter {
	return setter{typ: "int", show: func() string {
		if *p == 0 {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}, parse: func(v string) error {
		if v == "" {
			*p = 0
			return nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", v)
		}
		*p = n
		return nil
	}}
}

func boolSetter(p *bool) setter {
	return setter{typ: "bool", show: func() string { return strconv.FormatBool(*p) }, parse: func(v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*p = b
		return nil
	}}
}

// onOffSetter parses on or off, the words SPEC §2 uses for switches.
func onOffSetter(p *bool) setter {
	return setter{typ: "on|off", show: func() string {
		if *p {
			return "on"
		}
		return "off"
	}, parse: func(v string) error {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "on":
			*p = true
		case "off":
			*p = false
		default:
			return fmt.Errorf("%q is neither on nor off", v)
		}
		return nil
	}}
}

func durationSetter(p *time.Duration) setter {
	return setter{typ: "duration", show: func() string { return p.String() }, parse: func(v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a duration", v)
		}
		*p = d
		return nil
	}}
}

// splitList splits a comma-separated value, dropping blanks around and between items.
func splitList(v string) []string {
	var items []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// listSetter splits on commas. The first flag replaces what the environment gave; a
// repeated flag adds to the list.
func listSetter(p *[]string) setter {
	return setter{
		typ:   "strings",
		show:  func() string { return strings.Join(*p, ",") },
		parse: func(v string) error { *p = splitList(v); return nil },
		add:   func(v string) error { *p = append(*p, splitList(v)...); return nil },
	}
}

// roleListSetter reads OWNER/REPO-GLOB=ROLE-ARN-GLOB entries like listSetter reads a list. An
// entry is cut at its first "=", since repository names cannot hold one; an entry without
// one gets no role, which Finish reports.
func roleListSetter(p *[]RoleRule) setter {
	split := func(v string) []RoleRule {
		var rules []RoleRule
		for _, item := range splitList(v) {
			repo, role, _ := strings.Cut(item, "=")
			rules = append(rules, RoleRule{Repo: strings.TrimSpace(repo), Role: strings.TrimSpace(role)})
		}
		return rules
	}
	return setter{
		typ:   "strings",
		show:  func() string { return strings.Join(roleStrings(*p), ",") },
		parse: func(v string) error { *p = split(v); return nil },
		add:   func(v string) error { *p = append(*p, split(v)...); return nil },
	}
}
