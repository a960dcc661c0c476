package e2e

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/sandbox"
	"github.com/classla/gantry/internal/terraform"
	"github.com/classla/gantry/internal/testing/sandboxtest"
	"github.com/classla/gantry/internal/workdir"
)

// sandboxed is a Runner whose steps run as the test sandbox's user, with its plugin caches under a
// data directory laid out as the server lays it out.
func sandboxed(t *testing.T, b binary) (*terraform.Runner, *sandbox.Sandbox, string) {
	t.Helper()
	sb := sandboxtest.New(t)
	data := sandboxtest.Reachable(t, t.TempDir())
	if err := os.Chmod(data, 0o711); err != nil {
		t.Fatal(err)
	}
	bin := sandboxtest.Binary(t, sb, binaryPath(t, b))
	r, err := terraform.New(bin, terraform.Options{Sandbox: sb, PluginCacheDir: filepath.Join(data, "plugin-cache")})
	if err != nil {
		t.Fatal(err)
	}
	return r, sb, data
}

// jailedCopy puts the files of a map into a job directory of the sandbox, as a checkout would.
func jailedCopy(t *testing.T, sb *sandbox.Sandbox, data string, files map[string]string) *workdir.Dir {
	t.Helper()
	src := t.TempDir()
	for name, body := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	m := &workdir.Manager{Root: filepath.Join(data, "work"), Sandbox: sb}
	d, err := m.Checkout(context.Background(), "job", tarballOf(src))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Remove() })
	return d
}

// A pull request can ship a "provider" in terraform.d/plugins, which init installs into the plugin
// cache it is given. The trusted run (a merge) must not find it there: it uses another cache.
func TestAPullRequestsProviderNeverReachesATrustedRunsPluginCache(t *testing.T) {
	r, sb, data := sandboxed(t, binaries[0])
	ctx := context.Background()
	const provider = "example.com/evil/x/1.0.0/linux_amd64/terraform-provider-x_v1.0.0"
	pr := jailedCopy(t, sb, data, map[string]string{
		"main.tf": `terraform {
  required_providers {
    x = { source = "example.com/evil/x", version = "1.0.0" }
  }
}
`,
		"terraform.d/plugins/" + provider: "#!/bin/sh\nexit 1\n",
	})
	// The plan itself fails (the "provider" is no plugin); what counts is what init cached.
	_, _ = r.Plan(ctx, terraform.PlanRequest{Dir: pr.Path, PlanFile: "pr.tfplan", Jail: pr.Jail, Trust: sandbox.PullRequest})
	prCache := filepath.Join(data, "plugin-cache", "pull-requests")
	if _, err := os.Lstat(filepath.Join(prCache, filepath.Dir(provider))); err != nil {
		t.Fatalf("init did not install the pull request's provider into the pull-request cache, so this test proves nothing: %v", err)
	}

	// The merge's run reports, from inside Terraform, which cache it was given and what is in it.
	merge := jailedCopy(t, sb, data, map[string]string{"main.tf": `
locals {
  environ = split("\u0000", file("/proc/self/environ"))
  cache   = one([for kv in local.environ : trimprefix(kv, "TF_PLUGIN_CACHE_DIR=") if startswith(kv, "TF_PLUGIN_CACHE_DIR=")])
}
output "cache" { value = local.cache }
# An entry it may not follow is still an entry it finds.
output "sees_the_pull_requests_provider" { value = try(fileexists("${local.cache}/` + provider + `"), true) }
`})
	res, err := r.Plan(ctx, terraform.PlanRequest{Dir: merge.Path, PlanFile: "merge.tfplan", Jail: merge.Jail, Trust: sandbox.Trusted})
	if err != nil {
		t.Fatalf("the trusted plan failed: %v", err)
	}
	var plan struct {
		PlannedValues struct {
			Outputs map[string]struct {
				Value any `json:"value"`
			} `json:"outputs"`
		} `json:"planned_values"`
	}
	if err := json.Unmarshal(res.JSON, &plan); err != nil {
		t.Fatal(err)
	}
	cache, _ := plan.PlannedValues.Outputs["cache"].Value.(string)
	if cache == "" || cache == prCache || !strings.HasPrefix(cache, filepath.Join(data, "plugin-cache")) {
		t.Errorf("the trusted run's plugin cache is %q; want one under the data directory other than the pull requests' %s", cache, prCache)
	}
	if sees := plan.PlannedValues.Outputs["sees_the_pull_requests_provider"].Value; sees != false {
		t.Errorf("the trusted run finds the pull request's provider in its plugin cache (fileexists = %v)", sees)
	}
}

// tarballOf serves dir as GitHub serves a repository archive: gzip tar under one top directory.
func tarballOf(dir string) func(ctx context.Context, w io.Writer) error {
	return func(ctx context.Context, w io.Writer) error {
		gz := gzip.NewWriter(w)
		tw := tar.NewWriter(gz)
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			info, err := d.Info()
			if err != nil {
				return err
			}
			hdr, err := tar.FileInfoHeader(info, "")
			if err != nil {
				return err
			}
			hdr.Name = "owner-repo-0123456/" + filepath.ToSlash(rel)
			if d.IsDir() {
				hdr.Name += "/"
			}
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			if d.Type().IsRegular() {
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				_, err = tw.Write(data)
				return err
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := tw.Close(); err != nil {
			return err
		}
		return gz.Close()
	}
}
