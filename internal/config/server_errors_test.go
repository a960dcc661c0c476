package config

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// settingErrors splits Finish's joined error into its messages.
func settingErrors(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error %v is not a joined list", err)
	}
	var out []string
	for _, e := range joined.Unwrap() {
		var se *SettingError
		if !errors.As(e, &se) {
			t.Errorf("%v is not a *SettingError", e)
		}
		out = append(out, e.Error())
	}
	return out
}

func TestFinishReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	const appID = "set it to the App ID shown on the GitHub App's settings page"
	tests := []struct {
		name string
		env  env
		args []string
		want []string
	}{{
		name: "nothing but PATH is set",
		env:  env{"PATH": binDir(t, "terraform")},
		want: []string{
			"GITHUB_APP_ID (--github-app-id) is empty: " + appID,
			"GITHUB_WEBHOOK_SECRET and GITHUB_WEBHOOK_SECRET_FILE (--github-webhook-secret-file) are both empty: " +
				"set one of them to the webhook secret configured on the GitHub App, or to the path of a file holding it",
			"GITHUB_APP_PRIVATE_KEY and GITHUB_APP_PRIVATE_KEY_FILE (--github-app-private-key-file) are both empty: " +
				"set one of them to the GitHub App's private key (PEM), or to the path of its .pem file",
		},
	}, {
		name: "every other setting is wrong",
		env: validEnv(t).with(
			"GANTRY_ADDR", "8080",
			"GANTRY_DATABASE_URL", "mysql://gantry:hunter2@db/gantry",
			"GANTRY_EXECUTOR", "lambda",
			"GANTRY_WORKERS", "0",
			"GANTRY_BUILDER", "kaniko",
			"GANTRY_ECS_POLL_INTERVAL", "fast",
			"GANTRY_REPO_ALLOWLIST", "classla,[bad/x,classla/*",
			"GITHUB_APP_ID", "abc",
			"GITHUB_API_URL", "api.github.com",
		),
		// Unparsable variables come first, then the checks in the order of SPEC §2.
		want: []string{
			`GANTRY_ECS_POLL_INTERVAL (--ecs-poll-interval) "fast" is not a duration: set it to a duration such as 15s or 1m`,
			`GITHUB_APP_ID (--github-app-id) "abc" is not a number: ` + appID,
			`GANTRY_ADDR (--addr) "8080" is not a listen address: set it like :8080 or 127.0.0.1:8080`,
			`GANTRY_DATABASE_URL (--database-url) has the scheme "mysql", which gantry cannot use: set it to sqlite://PATH (one replica) or postgres://USER@HOST/DATABASE (several replicas)`,
			`GANTRY_EXECUTOR (--executor) "lambda" is not local or actions: set it to "local" (jobs run in this process) or "actions" (jobs run in GitHub Actions)`,
			`GANTRY_WORKERS (--workers) 0 is less than 1: set it to how many jobs run at once, 1 or more`,
			`GANTRY_BUILDER (--builder) "kaniko" is not docker or oci: set it to "docker" or "oci", or leave it unset to choose by whether a Docker daemon answers`,
			`GANTRY_REPO_ALLOWLIST (--repo-allowlist) entry "classla" is not an owner/repo glob: write entries like classla/* or classla/lms, separated by commas`,
			`GANTRY_REPO_ALLOWLIST (--repo-allowlist) entry "[bad/x" is not an owner/repo glob: write entries like classla/* or classla/lms, separated by commas`,
			`GITHUB_API_URL (--github-api-url) "api.github.com" is not an absolute http(s) URL: set it to https://api.github.com/, or https://HOST/api/v3/ for GitHub Enterprise Server`,
		},
	}, {
		name: "the actions executor without a public URL",
		env:  validEnv(t).with("GANTRY_EXECUTOR", "actions"),
		want: []string{"GANTRY_PUBLIC_URL (--public-url) is empty: the actions executor needs it: set it to the https URL GitHub Actions runners reach this server at"},
	}, {
		name: "the actions executor's settings are wrong",
		env: validEnv(t).with("GANTRY_ACTIONS_WORKFLOW", ".github/workflows/gantry.yml", "GANTRY_ACTIONS_OIDC_ISSUER", "token.actions.githubusercontent.com",
			"GANTRY_ACTIONS_CLAIM_TIMEOUT", "0s"),
		want: []string{
			`GANTRY_ACTIONS_WORKFLOW (--actions-workflow) ".github/workflows/gantry.yml" is not a workflow file name: set it to the name of the file in .github/workflows, such as gantry.yml`,
			`GANTRY_ACTIONS_OIDC_ISSUER (--actions-oidc-issuer) "token.actions.githubusercontent.com" is not an absolute http(s) URL: set it to https://token.actions.githubusercontent.com (github.com) or https://HOST/_services/token (GitHub Enterprise Server)`,
			`GANTRY_ACTIONS_CLAIM_TIMEOUT (--actions-claim-timeout) 0s is not a positive duration: set it like 15m`,
		},
	}, {
		name: "workload identity without a public URL",
		env:  validEnv(t).with("GANTRY_WORKLOAD_IDENTITY", "on"),
		want: []string{"GANTRY_PUBLIC_URL (--public-url) is empty: GANTRY_WORKLOAD_IDENTITY=on needs it: " +
			"set it to the https URL AWS fetches gantry's signing keys from, or set GANTRY_WORKLOAD_IDENTITY=off"},
	}, {
		name: "workload identity on a plain http URL that AWS cannot use",
		env:  validEnv(t).with("GANTRY_WORKLOAD_IDENTITY", "on", "GANTRY_PUBLIC_URL", "http://gantry.example.com"),
		want: []string{`GANTRY_PUBLIC_URL (--public-url) GANTRY_PUBLIC_URL "http://gantry.example.com" is http: with GANTRY_WORKLOAD_IDENTITY=on it must be https, because AWS fetches the issuer's keys over HTTPS only: ` +
			"set it to the https URL AWS reaches this server at (its /.well-known/ paths must be public), or set GANTRY_WORKLOAD_IDENTITY=off"},
	}, {
		name: "workload identity neither on nor off",
		env:  validEnv(t).with("GANTRY_WORKLOAD_IDENTITY", "true"),
		want: []string{`GANTRY_WORKLOAD_IDENTITY (--workload-identity) "true" is neither on nor off: set it to on or off`},
	}, {
		name: "a public URL without a scheme",
		env:  validEnv(t).with("GANTRY_PUBLIC_URL", "gantry.example.com"),
		want: []string{`GANTRY_PUBLIC_URL (--public-url) "gantry.example.com" is not an absolute http(s) URL: set it like https://gantry.example.com`},
	}, {
		name: "a postgres URL without a host",
		env:  validEnv(t).with("GANTRY_DATABASE_URL", "postgres:///gantry"),
		want: []string{"GANTRY_DATABASE_URL (--database-url) is not a valid postgres:// URL: set it to sqlite://PATH (one replica) or postgres://USER@HOST/DATABASE (several replicas)"},
	}, {
		name: "neither terraform nor tofu on PATH with the local executor",
		env:  validEnv(t).with("PATH", binDir(t, "docker")),
		want: []string{"GANTRY_TERRAFORM_BIN (--terraform-bin) is unset and neither terraform nor tofu is on PATH: install Terraform or OpenTofu, or set it to the path of its binary"},
	}, {
		name: "a Terraform binary that does not exist",
		env:  validEnv(t),
		args: []string{"--terraform-bin", "/opt/terraform/bin/terraform"},
		want: []string{`GANTRY_TERRAFORM_BIN (--terraform-bin) "/opt/terraform/bin/terraform" is not an executable file or on PATH: set it to the name or path of the terraform or tofu binary`},
	}, {
		name: "no Terraform on PATH is fine when runners run the jobs",
		env:  validEnv(t).with("PATH", "", "GANTRY_EXECUTOR", "actions", "GANTRY_PUBLIC_URL", "https://gantry.example.com"),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadServer(tt.args, tt.env.get)
			if diff := cmp.Diff(tt.want, settingErrors(t, err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("an error shows the database password: %v", err)
			}
		})
	}
}

func TestFinishChecksThePrivateKey(t *testing.T) {
	t.Parallel()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const fix = "set it to the private key generated on the GitHub App's settings page"
	keyFile := filepath.Join(t.TempDir(), "missing.pem")
	good := string(pkcs1PEM())
	tests := []struct {
		name    string
		key     string
		file    string
		wantKey string
		want    string
		wantErr error
	}{
		{name: "a PKCS#1 key is accepted", key: good, wantKey: good},
		{name: "a PKCS#8 RSA key is accepted", key: string(pkcs8PEM(t, rsaKey())), wantKey: string(pkcs8PEM(t, rsaKey()))},
		{name: "a key with escaped newlines is accepted", key: strings.ReplaceAll(good, "\n", `\n`), wantKey: good},
		{
			name: "both the key and a key file",
			key:  good, file: "/etc/gantry/app.pem",
			want: "GITHUB_APP_PRIVATE_KEY and GITHUB_APP_PRIVATE_KEY_FILE (--github-app-private-key-file) are both set: set only one of them",
		}, {
			name: "a key file that does not exist",
			file: keyFile,
			want: "GITHUB_APP_PRIVATE_KEY_FILE (--github-app-private-key-file) cannot be read: open " + keyFile +
				": no such file or directory: set it to the path of the .pem file downloaded from the GitHub App's settings page",
			wantErr: fs.ErrNotExist,
		}, {
			name: "text that is not PEM",
			key:  "hunter2-this-is-not-a-key",
			want: "GITHUB_APP_PRIVATE_KEY does not hold a PEM block (-----BEGIN RSA PRIVATE KEY-----): " + fix, wantErr: ErrInvalidPrivateKey,
		}, {
			name: "an ECDSA key",
			key:  string(pkcs8PEM(t, ecKey)),
			want: "GITHUB_APP_PRIVATE_KEY holds an ECDSA key, not an RSA key: " + fix, wantErr: ErrInvalidPrivateKey,
		}, {
			name: "a damaged RSA key",
			key:  string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("hunter2-damaged")})),
			want: "GITHUB_APP_PRIVATE_KEY holds an RSA PRIVATE KEY block that is damaged: " + fix, wantErr: ErrInvalidPrivateKey,
		}, {
			name: "an encrypted key",
			key:  string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte("hunter2")})),
			want: "GITHUB_APP_PRIVATE_KEY holds an encrypted key; gantry needs the key as GitHub generated it: " + fix, wantErr: ErrInvalidPrivateKey,
		}, {
			name: "a certificate instead of a key",
			key:  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("hunter2")})),
			want: `GITHUB_APP_PRIVATE_KEY holds a PEM "CERTIFICATE" block, not a private key: ` + fix, wantErr: ErrInvalidPrivateKey,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := validEnv(t).with("GITHUB_APP_PRIVATE_KEY", tt.key, "GITHUB_APP_PRIVATE_KEY_FILE", tt.file)
			s, err := LoadServer(nil, e.get)
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if diff := cmp.Diff(want, settingErrors(t, err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("errors.Is(err, %v) = false", tt.wantErr)
			}
			if err == nil && string(s.PrivateKey) != tt.wantKey {
				t.Errorf("PrivateKey is not the PEM given")
			}
			if err != nil && (strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "MII")) {
				t.Errorf("an error shows key material: %v", err)
			}
		})
	}
}

func TestFinishReadsTheWebhookSecretFromItsVariableOrFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const fix = "set it to the path of a file holding the webhook secret configured on the GitHub App"
	missing := filepath.Join(dir, "missing")
	empty := file("empty", "")
	blank := file("blank", "\n")
	huge := file("huge", strings.Repeat("hunter2 ", 10<<10))
	tests := []struct {
		name       string
		secret     string
		file       string
		wantSecret string
		want       string
		wantErr    error
	}{
		{name: "the secret in the variable", secret: "hunter2", wantSecret: "hunter2"},
		{name: "the secret in a file", file: file("plain", "hunter2"), wantSecret: "hunter2"},
		{name: "a file written with echo loses its newline", file: file("echo", "hunter2\n"), wantSecret: "hunter2"},
		{name: "a file written on Windows loses its CRLF", file: file("crlf", "hunter2\r\n"), wantSecret: "hunter2"},
		{name: "spaces in a file are part of the secret", file: file("spaces", " hunter2 \n"), wantSecret: " hunter2 "},
		{
			name:   "both the variable and a file",
			secret: "hunter2", file: file("both", "hunter2"),
			want: "GITHUB_WEBHOOK_SECRET and GITHUB_WEBHOOK_SECRET_FILE (--github-webhook-secret-file) are both set: set only one of them",
		}, {
			name: "a file that does not exist",
			file: missing,
			want: "GITHUB_WEBHOOK_SECRET_FILE (--github-webhook-secret-file) cannot be read: open " + missing +
				": no such file or directory: " + fix,
			wantErr: fs.ErrNotExist,
		}, {
			name: "a directory instead of a file",
			file: dir,
			want: "GITHUB_WEBHOOK_SECRET_FILE (--github-webhook-secret-file) cannot be read: read " + dir + ": is a directory: " + fix,
		}, {
			name: "an empty file",
			file: empty,
			want: "GITHUB_WEBHOOK_SECRET_FILE (--github-webhook-secret-file) " + empty + " is empty: " + fix,
		}, {
			name: "a file holding only a newline",
			file: blank,
			want: "GITHUB_WEBHOOK_SECRET_FILE (--github-webhook-secret-file) " + blank + " is empty: " + fix,
		}, {
			name: "a file far too long to be a secret",
			file: huge,
			want: "GITHUB_WEBHOOK_SECRET_FILE (--github-webhook-secret-file) " + huge + " is longer than 64 KiB, too long to be a webhook secret: " + fix,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := validEnv(t).with("GITHUB_WEBHOOK_SECRET", tt.secret, "GITHUB_WEBHOOK_SECRET_FILE", tt.file)
			s, err := LoadServer(nil, e.get)
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if diff := cmp.Diff(want, settingErrors(t, err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("errors.Is(err, %v) = false", tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("an error shows the secret: %v", err)
			}
			if err == nil && string(s.WebhookSecret) != tt.wantSecret {
				t.Errorf("WebhookSecret = %q, want %q", s.WebhookSecret, tt.wantSecret)
			}
		})
	}
}

func TestFinishChecksTheRoleAllowlist(t *testing.T) {
	t.Parallel()
	const fix = ": write entries like classla/*=arn:aws:iam::111111111111:role/gantry-*, separated by commas"
	const name = "GANTRY_ROLE_ALLOWLIST (--role-allowlist) "
	tests := []struct {
		name      string
		allowlist string
		want      []string
	}{
		{"a repository glob with an account-pinned role glob", "classla/*=arn:aws:iam::111111111111:role/gantry-*", nil},
		{"roles under an IAM path and in any account", "classla/ci=arn:aws:iam::111111111111:role/ci/gantry-*, org/*=arn:aws:iam::*:role/gantry-*", nil},
		{"an entry without a role", "classla/*", []string{name + `entry "classla/*" names no role after =` + fix}},
		{"an entry with nothing after =", "classla/*=", []string{name + `entry "classla/*" names no role after =` + fix}},
		{"an owner without a repository", "classla=arn:aws:iam::111111111111:role/gantry-*",
			[]string{name + `entry "classla=arn:aws:iam::111111111111:role/gantry-*" does not start with an owner/repo glob` + fix}},
		{"a role without a repository", "=arn:aws:iam::111111111111:role/gantry-*",
			[]string{name + `entry "=arn:aws:iam::111111111111:role/gantry-*" does not start with an owner/repo glob` + fix}},
		{"a malformed repository glob", "[classla/*=arn:aws:iam::111111111111:role/gantry-*",
			[]string{name + `entry "[classla/*=arn:aws:iam::111111111111:role/gantry-*" does not start with an owner/repo glob` + fix}},
		{"a malformed role glob", "classla/*=arn:aws:iam::111111111111:role/[gantry",
			[]string{name + `entry "classla/*=arn:aws:iam::111111111111:role/[gantry" has a role glob that is not a valid pattern` + fix}},
		{"a role name instead of an ARN", "classla/*=gantry-*",
			[]string{name + `entry "classla/*=gantry-*" has a role glob that is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)` + fix}},
		// * stays within one /-separated part, so these would match no role at all.
		{"a bare * as the role", "classla/*=*",
			[]string{name + `entry "classla/*=*" has a role glob that is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)` + fix}},
		{"a whole account as the role", "classla/*=arn:aws:iam::111111111111:*",
			[]string{name + `entry "classla/*=arn:aws:iam::111111111111:*" has a role glob that is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)` + fix}},
		{"every bad entry is reported, good ones are not", "classla/*, classla/lms=arn:aws:iam::111111111111:role/lms, x=y",
			[]string{
				name + `entry "classla/*" names no role after =` + fix,
				name + `entry "x=y" does not start with an owner/repo glob` + fix,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadServer(nil, validEnv(t).with("GANTRY_ROLE_ALLOWLIST", tt.allowlist).get)
			if diff := cmp.Diff(tt.want, settingErrors(t, err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRepoAllowed(t *testing.T) {
	t.Parallel()
	s := Server{RepoAllowlist: []string{"classla/*", "Partner/infra"}}
	tests := []struct {
		repo string
		want bool
	}{
		{"classla/lms", true},
		{"Classla/LMS", true}, // GitHub names are case-insensitive
		{"partner/infra", true},
		{"partner/other", false},
		{"classla-fork/lms", false},
		{"someone/classla", false},
	}
	for _, tt := range tests {
		t.Run(tt.repo, func(t *testing.T) {
			t.Parallel()
			if got := s.RepoAllowed(tt.repo); got != tt.want {
				t.Errorf("RepoAllowed(%q) = %v, want %v", tt.repo, got, tt.want)
			}
		})
	}
	t.Run("an empty allowlist allows every repository", func(t *testing.T) {
		t.Parallel()
		if !(&Server{}).RepoAllowed("anyone/anything") {
			t.Error("RepoAllowed = false")
		}
	})
}

func TestLoggingTheSettingsHidesSecrets(t *testing.T) {
	t.Parallel()
	secretFile := filepath.Join(t.TempDir(), "webhook-secret")
	if err := os.WriteFile(secretFile, []byte("s3cret-from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := validEnv(t).with("GANTRY_DATABASE_URL", "postgres://gantry:hunter2@db.internal/gantry")
	s, err := LoadServer(nil, e.get)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := LoadServer([]string{"--role-allowlist", "classla/*=arn:aws:iam::111111111111:role/gantry-*",
		"--sandbox-user", "gantry-run"}, e.with("GITHUB_WEBHOOK_SECRET", "", "GITHUB_WEBHOOK_SECRET_FILE", secretFile).get)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "settings", *s)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "settings", *fromFile)
	logged := buf.String()
	printed := fmt.Sprintf("%v %+v %#v %s %v", *s, *s, s, s, *fromFile)
	for _, secret := range []string{"hunter2", "s3cret-webhook-value", "s3cret-from-a-file", "PRIVATE KEY", "MII"} {
		if strings.Contains(logged, secret) {
			t.Errorf("log shows %q:\n%s", secret, logged)
		}
		if strings.Contains(printed, secret) {
			t.Errorf("printing the settings shows %q:\n%s", secret, printed)
		}
	}
	for _, shown := range []string{`"github_app_id":12345`, `"github_webhook_secret":"(redacted)"`,
		`"database_url":"postgres://gantry:xxxxx@db.internal/gantry"`, `"github_webhook_secret_file":"` + secretFile + `"`,
		`"role_allowlist":["classla/*=arn:aws:iam::111111111111:role/gantry-*"]`, `"sandbox_user":"gantry-run"`} {
		if !strings.Contains(logged, shown) {
			t.Errorf("log lacks %s:\n%s", shown, logged)
		}
	}
}
