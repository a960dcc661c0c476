package terraform_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/terraform"
	"github.com/google/go-cmp/cmp"
)

// The server's environment as a test sets it: secrets and settings that must stay out of Terraform,
// and the few variables a run may inherit.
func setServerEnv(t *testing.T) {
	t.Setenv("GANTRY_TEST_SECRET", "sentinel-do-not-leak")
	t.Setenv("GITHUB_WEBHOOK_SECRET", "webhook-secret")
	t.Setenv("GITHUB_APP_PRIVATE_KEY", "-----BEGIN RSA PRIVATE KEY-----")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIASERVERSOWNKEY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "server-secret")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_CLI_CONFIG_FILE", "/root/.terraformrc")
	t.Setenv("TF_VAR_db_password", "hunter2")
	t.Setenv("PATH", "/opt/tools/bin:/usr/bin:/bin")
	t.Setenv("SSL_CERT_FILE", "/etc/ssl/certs/corp.pem")
	t.Setenv("HTTPS_PROXY", "http://proxy.internal:3128")
	t.Setenv("no_proxy", "169.254.169.254")
	// Set but empty counts as unset; the rest of the pass-through list is unset here.
	t.Setenv("SSL_CERT_DIR", "")
	for _, k := range []string{"HTTP_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "TMPDIR"} {
		t.Setenv(k, "")
	}
}

func TestChildGetsOnlyTheAllowListAndTheRunsVariables(t *testing.T) {
	setServerEnv(t)
	f := newFake(t, nil)
	cache := filepath.Join(t.TempDir(), "plugins")
	r, err := terraform.New(f.bin, terraform.Options{PluginCacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Plan(context.Background(), terraform.PlanRequest{
		Dir:      t.TempDir(),
		PlanFile: "plan.tfplan",
		Env: map[string]string{
			"AWS_ACCESS_KEY_ID":     "ASIARUNKEY",
			"AWS_SECRET_ACCESS_KEY": "run-secret",
			"AWS_SESSION_TOKEN":     "run-token",
			"AWS_REGION":            "us-east-1",
		},
	})
	if err != nil {
		t.Fatal(err)
	}

	for _, step := range []string{"init", "plan", "show"} {
		env := f.env(step)
		home := env["HOME"]
		if home == "" || home == os.Getenv("HOME") {
			t.Errorf("%s: HOME = %q, want a directory of the run's own", step, home)
		}
		if _, err := os.Stat(home); !os.IsNotExist(err) {
			t.Errorf("%s: the run's HOME %s is still there after the run (stat: %v)", step, home, err)
		}
		if got, want := env["TF_CLI_CONFIG_FILE"], filepath.Join(home, "terraformrc"); got != want {
			t.Errorf("%s: TF_CLI_CONFIG_FILE = %q, want %q", step, got, want)
		}
		if cfg, ok := f.file("cli-config." + step); !ok || cfg != "" {
			t.Errorf("%s: the CLI configuration Terraform read is %q (present: %v), want an empty file", step, cfg, ok)
		}
		delete(env, "HOME")
		delete(env, "TF_CLI_CONFIG_FILE")
		want := map[string]string{
			"PATH":                  "/opt/tools/bin:/usr/bin:/bin",
			"TF_IN_AUTOMATION":      "1",
			"TF_INPUT":              "0",
			"CHECKPOINT_DISABLE":    "1",
			"TF_PLUGIN_CACHE_DIR":   filepath.Join(cache, "pull-requests"),
			"SSL_CERT_FILE":         "/etc/ssl/certs/corp.pem",
			"HTTPS_PROXY":           "http://proxy.internal:3128",
			"no_proxy":              "169.254.169.254",
			"AWS_ACCESS_KEY_ID":     "ASIARUNKEY",
			"AWS_SECRET_ACCESS_KEY": "run-secret",
			"AWS_SESSION_TOKEN":     "run-token",
			"AWS_REGION":            "us-east-1",
		}
		if diff := cmp.Diff(want, env); diff != "" {
			t.Errorf("%s: environment (-want +got):\n%s", step, diff)
		}
	}

	// `version` runs for the binary, not for a run: it gets none of the run's credentials.
	if env := f.env("version"); env["AWS_ACCESS_KEY_ID"] != "" || env["GANTRY_TEST_SECRET"] != "" {
		t.Errorf("version got AWS_ACCESS_KEY_ID=%q GANTRY_TEST_SECRET=%q, want neither", env["AWS_ACCESS_KEY_ID"], env["GANTRY_TEST_SECRET"])
	}
	info, err := os.Stat(cache)
	if err != nil {
		t.Fatalf("the plugin cache was not created: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("plugin cache mode = %v, want 0700: it holds binaries every run executes", perm)
	}
}

func TestWithoutPATHTheChildGetsAStandardOne(t *testing.T) {
	f := newFake(t, nil)
	r, err := terraform.New(f.bin, terraform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", "")
	if _, err := r.Plan(context.Background(), terraform.PlanRequest{Dir: t.TempDir(), PlanFile: "p"}); err != nil {
		t.Fatal(err)
	}
	if got, want := f.env("plan")["PATH"], "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"; got != want {
		t.Errorf("PATH = %q, want %q", got, want)
	}
	if _, ok := f.env("plan")["TF_PLUGIN_CACHE_DIR"]; ok {
		t.Error("TF_PLUGIN_CACHE_DIR is set although no cache was configured")
	}
}

func TestARequestMayNotSetWhatTheRunnerControls(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"HOME", "TF_CLI_CONFIG_FILE", "TF_WORKSPACE", "TF_CLI_ARGS", "TF_CLI_ARGS_plan", "TF_DATA_DIR"} {
		t.Run(name+" is refused before anything runs", func(t *testing.T) {
			t.Parallel()
			f := newFake(t, nil)
			r, err := terraform.New(f.bin, terraform.Options{})
			if err != nil {
				t.Fatal(err)
			}
			const value = "value-that-may-be-a-secret"
			_, err = r.Plan(context.Background(), terraform.PlanRequest{
				Dir: t.TempDir(), PlanFile: "p", Env: map[string]string{name: value},
			})
			if err == nil {
				t.Fatal("Plan accepted the request")
			}
			if !strings.Contains(err.Error(), "PlanRequest.Env sets "+name+",") || strings.Contains(err.Error(), value) {
				t.Errorf("error = %q, want it to name %s and not its value", err, name)
			}
			var runErr *terraform.RunError
			if errors.As(err, &runErr) {
				t.Errorf("error is a RunError (%v), want a request error", err)
			}
			if calls := f.calls(); len(calls) != 0 {
				t.Errorf("the binary ran %v", calls)
			}
		})
	}
}
