package config

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func pkcs1PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey())})
}

func pkcs8PEM(t *testing.T, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// binDir returns a directory holding fake executables with the given names.
func binDir(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// env is a fake environment; lookups of unset variables return "".
type env map[string]string

func (e env) get(k string) string { return e[k] }

// validEnv holds exactly the required settings, with terraform on PATH.
func validEnv(t *testing.T) env {
	return env{
		"PATH":                   binDir(t, "terraform"),
		"GITHUB_APP_ID":          "12345",
		"GITHUB_APP_PRIVATE_KEY": string(pkcs1PEM()),
		"GITHUB_WEBHOOK_SECRET":  "s3cret-webhook-value",
	}
}

func (e env) with(kv ...string) env {
	out := env{}
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestLoadServerAppliesSpecDefaults(t *testing.T) {
	t.Parallel()
	e := validEnv(t)
	s, err := LoadServer(nil, e.get)
	if err != nil {
		t.Fatal(err)
	}
	want := Server{
		Addr:            ":8080",
		DataDir:         "./.gantry",
		DatabaseURL:     "sqlite://./.gantry/gantry.db",
		Executor:        "local",
		Workers:         4,
		TerraformBin:    filepath.Join(e["PATH"], "terraform"),
		Builder:         "",
		ECSPollInterval: 15 * time.Second,
		AppID:           12345,
		PrivateKey:      pkcs1PEM(),
		WebhookSecret:   []byte("s3cret-webhook-value"),
		GitHubAPIURL:    "https://api.github.com/",

		ActionsWorkflow:     "gantry.yml",
		ActionsOIDCIssuer:   "https://token.actions.githubusercontent.com",
		ActionsClaimTimeout: 15 * time.Minute,
	}
	if diff := cmp.Diff(want, *s, cmp.AllowUnexported(Server{}), ignoreBound); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	if p, ok := s.SQLitePath(); !ok || p != "./.gantry/gantry.db" {
		t.Errorf("SQLitePath() = %q, %v; want ./.gantry/gantry.db, true", p, ok)
	}
}

var ignoreBound = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".bound" }, cmp.Ignore())

func TestEnvironmentSetsAndFlagsOverride(t *testing.T) {
	t.Parallel()
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, pkcs8PEM(t, rsaKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := binDir(t, "tofu")
	e := env{
		"PATH":                         bin,
		"GANTRY_ADDR":                  "127.0.0.1:9000",
		"GANTRY_PUBLIC_URL":            "https://gantry.example.com/",
		"GANTRY_DATA_DIR":              "/var/lib/gantry/",
		"GANTRY_EXECUTOR":              "actions",
		"GANTRY_WORKERS":               "2",
		"GANTRY_BUILDER":               "oci",
		"GANTRY_ECS_POLL_INTERVAL":     "5s",
		"GANTRY_REPO_ALLOWLIST":        "classla/*, other/repo ,",
		"GANTRY_ALLOW_FORK_PRS":        "true",
		"GITHUB_APP_ID":                "99",
		"GITHUB_APP_PRIVATE_KEY_FILE":  keyFile,
		"GITHUB_WEBHOOK_SECRET":        "w",
		"GANTRY_ROLE_ALLOWLIST":        "classla/*=arn:aws:iam::111111111111:role/gantry-* , other/repo = arn:aws:iam::222222222222:role/deploy,",
		"GANTRY_SANDBOX_USER":          "gantry-run",
		"GITHUB_API_URL":               "https://ghe.example.com/api/v3",
		"GANTRY_ACTIONS_WORKFLOW":      "deploy-infra.yaml",
		"GANTRY_ACTIONS_OIDC_ISSUER":   "https://ghe.example.com/_services/token/",
		"GANTRY_ACTIONS_CLAIM_TIMEOUT": "5m",
		"GANTRY_WORKLOAD_IDENTITY":     "On",
	}
	t.Run("from the environment alone", func(t *testing.T) {
		t.Parallel()
		s, err := LoadServer(nil, e.get)
		if err != nil {
			t.Fatal(err)
		}
		want := Server{
			Addr:            "127.0.0.1:9000",
			PublicURL:       "https://gantry.example.com", // trailing slash dropped for joining paths
			DataDir:         "/var/lib/gantry/",
			DatabaseURL:     "sqlite:///var/lib/gantry/gantry.db",
			Executor:        "actions",
			Workers:         2,
			TerraformBin:    filepath.Join(bin, "tofu"), // no terraform on PATH, so tofu
			Builder:         "oci",
			ECSPollInterval: 5 * time.Second,
			RepoAllowlist:   []string{"classla/*", "other/repo"},
			AllowForkPRs:    true,
			AppID:           99,
			PrivateKeyFile:  keyFile,
			PrivateKey:      pkcs8PEM(t, rsaKey()),
			WebhookSecret:   []byte("w"),
			RoleAllowlist: []RoleRule{
				{Repo: "classla/*", Role: "arn:aws:iam::111111111111:role/gantry-*"},
				{Repo: "other/repo", Role: "arn:aws:iam::222222222222:role/deploy"},
			},
			SandboxUser:  "gantry-run",
			GitHubAPIURL: "https://ghe.example.com/api/v3/", // slash added, as go-github requires

			ActionsWorkflow:     "deploy-infra.yaml",
			ActionsOIDCIssuer:   "https://ghe.example.com/_services/token", // compared with tokens' iss, which has none
			ActionsClaimTimeout: 5 * time.Minute,
			WorkloadIdentity:    true,
		}
		if diff := cmp.Diff(want, *s, cmp.AllowUnexported(Server{}), ignoreBound); diff != "" {
			t.Errorf("settings (-want +got):\n%s", diff)
		}
	})
	t.Run("flags win over the environment", func(t *testing.T) {
		t.Parallel()
		s, err := LoadServer([]string{
			"--workers", "8", "--executor=local", "--allow-fork-prs=false",
			"--repo-allowlist", "a/*", "--repo-allowlist", "b/c,d/e",
			"--database-url", "postgres://gantry@db.internal/gantry", "--github-api-url", "http://127.0.0.1:8081",
			"--role-allowlist", "a/*=arn:aws:iam::1:role/a", "--role-allowlist", "b/c=arn:aws:iam::1:role/b,d/e=arn:aws:iam::1:role/d",
			"--sandbox-user", "1500",
		}, e.get)
		if err != nil {
			t.Fatal(err)
		}
		got := []any{s.Workers, s.Executor, s.AllowForkPRs, s.RepoAllowlist, s.DatabaseURL, s.GitHubAPIURL, s.RoleAllowlist, s.SandboxUser}
		want := []any{8, "local", false, []string{"a/*", "b/c", "d/e"}, "postgres://gantry@db.internal/gantry", "http://127.0.0.1:8081/",
			[]RoleRule{{"a/*", "arn:aws:iam::1:role/a"}, {"b/c", "arn:aws:iam::1:role/b"}, {"d/e", "arn:aws:iam::1:role/d"}}, "1500"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("a bare --allow-fork-prs turns it on", func(t *testing.T) {
		t.Parallel()
		s, err := LoadServer([]string{"--allow-fork-prs"}, e.with("GANTRY_ALLOW_FORK_PRS", "").get)
		if err != nil {
			t.Fatal(err)
		}
		if !s.AllowForkPRs {
			t.Error("AllowForkPRs = false")
		}
	})
	t.Run("a bad variable the flag overrides is not reported", func(t *testing.T) {
		t.Parallel()
		if _, err := LoadServer([]string{"--workers", "3"}, e.with("GANTRY_WORKERS", "many").get); err != nil {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("a bad flag value is a usage error naming the flag", func(t *testing.T) {
		t.Parallel()
		_, err := LoadServer([]string{"--workers", "many"}, e.get)
		if err == nil || !strings.Contains(err.Error(), `invalid argument "many" for "--workers" flag: "many" is not a number`) {
			t.Errorf("error = %v", err)
		}
	})
}

func TestBindFlagsKeepsSecretsOffTheCommandLine(t *testing.T) {
	t.Parallel()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	var s Server
	s.BindFlags(fs, env{"GANTRY_DATABASE_URL": "postgres://gantry:hunter2@db/gantry"}.get)
	for _, name := range []string{"github-app-private-key", "github-webhook-secret", "webhook-secret", "private-key"} {
		if fs.Lookup(name) != nil {
			t.Errorf("--%s exists: secrets on a command line show in ps", name)
		}
	}
	if usage := fs.FlagUsages(); strings.Contains(usage, "hunter2") {
		t.Errorf("flag help shows the database password:\n%s", usage)
	}
	for _, name := range []string{"github-app-private-key-file", "github-webhook-secret-file"} {
		if fs.Lookup(name) == nil {
			t.Errorf("no --%s", name)
		}
	}
}
