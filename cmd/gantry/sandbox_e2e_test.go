package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	gantryconfig "github.com/classla/gantry/internal/config"
	"github.com/classla/gantry/internal/testing/awsfake"
	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/testing/s3fake"
	"github.com/classla/gantry/internal/testing/sandboxtest"
)

// stealer is the Terraform of a pull request written to steal: with no provider and no network it
// reads what it can through file() and shows it as outputs, which the plan comment prints.
func stealer(serverPID int, files, dirs map[string]string) string {
	var b strings.Builder
	b.WriteString(tfFiles(1))
	b.WriteString(`
locals {
  ppid = split(" ", file("/proc/self/stat"))[3]
}
output "self" { value = try(file("/proc/self/environ"), "denied") }
output "parent" { value = try(file("/proc/${local.ppid}/environ"), "denied") }
output "every" { value = [for f in fileset("/proc", "*/environ") : try(file("/proc/${f}"), "denied")] }
`)
	fmt.Fprintf(&b, "output \"server\" { value = try(file(\"/proc/%d/environ\"), \"denied\") }\n", serverPID)
	for name, path := range files {
		fmt.Fprintf(&b, "output %q { value = try(filebase64(%q), \"denied\") }\n", name, path)
	}
	for name, path := range dirs {
		fmt.Fprintf(&b, "output %q { value = try(fileset(%q, \"*\"), \"denied\") }\n", name, path)
	}
	return b.String()
}

func TestAPlanCannotReadTheServersSecrets(t *testing.T) {
	sandboxtest.New(t) // the sandbox must really be on: CI runs as root
	sts := awsfake.NewSTS(t)
	sts.AllowRole(productionPlanRole, webToken)
	sts.AllowRole(productionRole, webToken)
	secrets := sandboxtest.Reachable(t, t.TempDir())
	tokenFile, keyFile := filepath.Join(secrets, "token"), filepath.Join(secrets, "app.pem")
	writeFile(t, tokenFile, webToken)
	dataDir := sandboxtest.Reachable(t, t.TempDir())

	var fake *githubfake.Server
	e := startServerWith(t, "GANTRY_TERRAFORM_BIN", func(s3 *s3fake.Server, flavor string) string {
		return s3Project(s3, flavor, "production", productionAWS)
	}, map[string]string{
		"AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ENDPOINT_URL_STS": sts.URL(),
		"GANTRY_SANDBOX_USER": sandboxtest.User, "GANTRY_DATA_DIR": dataDir,
		// The key from a file, so there is a key file to steal.
		"GITHUB_APP_PRIVATE_KEY": "", "GITHUB_APP_PRIVATE_KEY_FILE": keyFile,
	}, func(f *githubfake.Server) { fake = f; writeFile(t, keyFile, string(f.PrivateKeyPEM())) })

	files := map[string]string{"token": tokenFile, "key": keyFile, "db": filepath.Join(dataDir, "gantry.db")}
	dirs := map[string]string{"data_dir": dataDir, "work_dir": filepath.Join(dataDir, "work")}
	head, merged := strings.Repeat("a", 40), strings.Repeat("d", 40)
	main := stealer(os.Getpid(), files, dirs)
	e.commit(head, map[string]string{"terraform/production/main.tf": main})
	e.commit(merged, map[string]string{"terraform/production/main.tf": main})

	pr := githubfake.PR{Number: 7, User: "mallory", HeadSHA: head, Files: []string{"terraform/production/main.tf"}}
	e.pullRequest("opened", pr)
	body := e.projectComment(7, "production", contains("Plan: 1 to add"))
	for _, name := range []string{"parent", "server", "token", "key", "db", "data_dir", "work_dir"} {
		// Terraform lines the outputs' "=" up; fileset of a directory it may not list finds nothing.
		if want := regexp.MustCompile(`\+ +` + name + ` += ("denied"|\[\])\n`); !want.MatchString(body) {
			t.Errorf("the plan could read %s: the comment lacks %q", name, want)
		}
	}
	if t.Failed() {
		t.Logf("the plan comment:\n%s", body)
	}
	// Terraform's own environment holds the plan role's credentials, which it may read: the comment
	// shows them redacted.
	if !strings.Contains(body, "[redacted]") {
		t.Errorf("the plan printed its own environment, yet nothing in the comment was redacted:\n%s", body)
	}

	// The merge plans and applies with the apply role, and prints the same outputs.
	e.merge(pr, merged)
	e.applyComment(7, contains("applied `ddddddd`"))

	var roles []string
	var stolen []string
	for _, c := range sts.Issued() {
		roles = append(roles, c.RoleARN)
		stolen = append(stolen, c.SecretAccessKey, c.SessionToken)
	}
	if want := []string{productionPlanRole, productionRole}; strings.Join(roles, " ") != strings.Join(want, " ") {
		t.Errorf("STS issued credentials for %v, want the plan role for the pull request, then the apply role for the merge's plan and apply: %v", roles, want)
	}
	stolen = append(stolen, webToken, webhookSecret)
	for _, line := range strings.Split(string(fake.PrivateKeyPEM()), "\n") {
		if len(line) > 20 && !strings.HasPrefix(line, "-----") {
			stolen = append(stolen, line)
		}
	}
	for _, r := range fake.Requests() {
		if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "token ") || strings.HasPrefix(a, "Bearer ghs_") {
			_, tok, _ := strings.Cut(a, " ")
			stolen = append(stolen, tok)
		}
	}
	for _, r := range fake.Requests() {
		for _, s := range stolen {
			if s != "" && strings.Contains(string(r.Body), s) {
				t.Errorf("GitHub received a secret (%.6s…) in %s %s", s, r.Method, r.Path)
			}
		}
	}
	logs := e.logs.String()
	for _, s := range stolen {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("the log holds a secret (%.6s…)", s)
		}
	}
}

// The allow-list is the server's, not the repository's: a .gantry.yaml naming a role it does not allow
// for the repository gets a comment saying so, and STS never hears of the role.
func TestARoleOutsideTheAllowlistIsRefusedEndToEnd(t *testing.T) {
	t.Parallel()
	sts := awsfake.NewSTS(t)
	sts.AllowRole(productionPlanRole, webToken)
	tokenFile := filepath.Join(t.TempDir(), "token")
	writeFile(t, tokenFile, webToken)
	e := startServerEnv(t, "GANTRY_TERRAFORM_BIN", func(s3 *s3fake.Server, flavor string) string {
		return "version: 1\nprojects:\n  - name: production\n    dir: terraform/production\n" + productionAWS
	}, map[string]string{
		"AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ENDPOINT_URL_STS": sts.URL(),
		// Another repository's roles only.
		"GANTRY_ROLE_ALLOWLIST": "classla/billing=arn:aws:iam::111111111111:role/gantry-*",
	})
	sha := strings.Repeat("a", 40)
	e.commit(sha, map[string]string{"terraform/production/main.tf": tfFiles(1)})
	e.pullRequest("opened", githubfake.PR{Number: 4, User: "alice", HeadSHA: sha, Files: []string{"terraform/production/main.tf"}})
	body := e.projectComment(4, "production", contains("GANTRY_ROLE_ALLOWLIST"))
	for _, want := range []string{productionPlanRole, "classla/lms=" + productionPlanRole} {
		if !strings.Contains(body, want) {
			t.Errorf("the refusal does not name %q:\n%s", want, body)
		}
	}
	if got := sts.Issued(); len(got) != 0 || len(sts.Requests()) != 0 {
		t.Errorf("STS was asked for a role the allow-list refuses: %d requests", len(sts.Requests()))
	}
}

// serveOnce starts the server with vars and returns the error it stopped with at start ("" when it
// came up, and was then stopped).
func serveOnce(t *testing.T, vars map[string]string) string {
	t.Helper()
	s, err := gantryconfig.LoadServer(nil, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- serve(ctx, &env{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return vars[k] }}, s, ready)
	}()
	select {
	case <-ready:
		cancel()
		<-done
		return ""
	case err := <-done:
		return fmt.Sprint(err)
	}
}

// Checked before any job: a setup in which the sandbox user could read a secret, or could not run
// Terraform, stops the server at start with the fix, instead of failing, or leaking, mid-plan.
func TestTheServerRefusesASandboxThatWouldNotHold(t *testing.T) {
	sandboxtest.New(t)
	fake := githubfake.New(t)
	t.Run("a key file others may read", func(t *testing.T) {
		vars := serverEnv(t, fake)
		key := filepath.Join(sandboxtest.Reachable(t, t.TempDir()), "app.pem")
		if err := os.WriteFile(key, fake.PrivateKeyPEM(), 0o644); err != nil {
			t.Fatal(err)
		}
		vars["GITHUB_APP_PRIVATE_KEY"], vars["GITHUB_APP_PRIVATE_KEY_FILE"] = "", key
		got := serveOnce(t, vars)
		for _, want := range []string{"could read the server's secrets", key, "chmod 600 " + key} {
			if !strings.Contains(got, want) {
				t.Errorf("the refusal lacks %q: %s", want, got)
			}
		}
	})
	t.Run("a Terraform binary under a closed home directory", func(t *testing.T) {
		vars := serverEnv(t, fake)
		home := filepath.Join(sandboxtest.Reachable(t, t.TempDir()), "home")
		bin := filepath.Join(home, "bin", "terraform")
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, bin, "#!/bin/sh\necho 'Terraform v1.5.7'\n")
		if err := os.Chmod(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(home, 0o700); err != nil {
			t.Fatal(err)
		}
		vars["GANTRY_TERRAFORM_BIN"] = bin
		got := serveOnce(t, vars)
		for _, want := range []string{"cannot reach the Terraform binary (GANTRY_TERRAFORM_BIN)", home + " is mode 0700", "chmod o+x " + home} {
			if !strings.Contains(got, want) {
				t.Errorf("the refusal lacks %q: %s", want, got)
			}
		}
	})
	t.Run("a sound setup starts", func(t *testing.T) {
		if got := serveOnce(t, serverEnv(t, fake)); got != "" {
			t.Errorf("the server refused a sound setup: %s", got)
		}
	})
}
