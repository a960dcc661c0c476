package build_test

import (
	"archive/tar"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/build"
	"github.com/classla/gantry/internal/testing/awsfake"
	"github.com/classla/gantry/internal/testing/registry"
)

var aLaterTime = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func ecrClient(e *awsfake.ECR) *ecr.Client {
	return ecr.New(ecr.Options{
		Region:       awsfake.ECRRegion,
		BaseEndpoint: aws.String(e.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(awsfake.AccessKeyID, awsfake.SecretAccessKey, ""),
		Retryer:      aws.NopRetryer{},
	})
}

// writeContext lays out a service's build context:
//
//	.dockerignore   excludes secret.env and the whole tmp/ directory
//	main.py         0644
//	run.sh          0755 (executable)
//	lib/util/helpers.py
//	secret.env      ignored
//	tmp/cache.bin   ignored with its directory
//	outside -> a file outside the context (must be stored as a link, never read)
func writeContext(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "host-secret")
	files := []struct {
		path, content string
		mode          os.FileMode
	}{
		{".dockerignore", "secret.env\ntmp\n", 0o644},
		{"main.py", "print('hello')\n", 0o644},
		{"run.sh", "#!/bin/sh\nexec python3 main.py\n", 0o755},
		{"lib/util/helpers.py", "X = 1\n", 0o644},
		{"secret.env", "TOKEN=do-not-ship\n", 0o600},
		{"tmp/cache.bin", "cache", 0o644},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.content), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil { // umask must not change the modes under test
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(outside, []byte("host file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "outside")); err != nil {
		t.Fatal(err)
	}
	return dir
}

type fixture struct {
	reg  *registry.Registry
	ecr  *awsfake.ECR
	base string
	req  build.Request
}

// newFixture has ECRAuth find the repository "web" and its login, as the deploy flow does, and
// prepares a request to build on a base image pushed to the same registry.
func newFixture(t *testing.T) fixture {
	t.Helper()
	reg := registry.New(t)
	fake := awsfake.NewECR(t, reg.Host())
	reg.SetPassword(fake.Password())
	fake.AddRepository("web")
	base := reg.PushRandomBase(t, "base/python", "3")

	uri, auth, err := build.ECRAuth(context.Background(), ecrClient(fake), "web")
	if err != nil {
		t.Fatalf("ECRAuth: %v", err)
	}
	if want := reg.Host() + "/web"; uri != want {
		t.Fatalf("ECRAuth repository URI = %q, want %q", uri, want)
	}
	if diff := cmp.Diff(build.Auth{Username: "AWS", Password: fake.Password()}, auth); diff != "" {
		t.Fatalf("ECRAuth login (-want +got):\n%s", diff)
	}
	return fixture{reg: reg, ecr: fake, base: base, req: build.Request{
		Context:    writeContext(t),
		BaseImage:  base,
		Entrypoint: []string{"/app/run.sh"},
		Env:        map[string]string{"PORT": "8080", "PATH": "/app/bin:/usr/bin:/bin"},
		Repository: uri,
		Tags:       []string{"0123456789abcdef0123456789abcdef01234567", "main"},
		Labels: map[string]string{
			build.LabelRevision: "0123456789abcdef0123456789abcdef01234567",
			build.LabelSource:   "https://github.com/classla/lms",
		},
		Auth:     auth,
		Insecure: true,
	}}
}

func TestOCIBuildPushesTheContextOntoTheBase(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	img, err := build.OCI{}.Build(context.Background(), f.req)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if !strings.HasPrefix(img.Digest, "sha256:") || len(img.Digest) != len("sha256:")+64 {
		t.Fatalf("digest %q is not sha256:<64 hex>", img.Digest)
	}
	if want := f.reg.Host() + "/web@" + img.Digest; img.Ref() != want {
		t.Errorf("Ref() = %q, want %q", img.Ref(), want)
	}

	t.Run("both tags resolve to the digest", func(t *testing.T) {
		for _, tag := range f.req.Tags {
			if got := f.reg.Digest(t, f.req.Repository+":"+tag); got != img.Digest {
				t.Errorf("tag %s → %s, want %s", tag, got, img.Digest)
			}
		}
	})

	t.Run("the config has the entrypoint, environment, working dir and labels", func(t *testing.T) {
		cfg := f.reg.Config(t, img.Ref()).Config
		// PATH from the request replaces the base's in place; PORT is new and goes after it.
		if diff := cmp.Diff([]string{"PATH=/app/bin:/usr/bin:/bin", "PORT=8080"}, cfg.Env); diff != "" {
			t.Errorf("Env (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"/app/run.sh"}, cfg.Entrypoint); diff != "" {
			t.Errorf("Entrypoint (-want +got):\n%s", diff)
		}
		if len(cfg.Cmd) != 0 {
			t.Errorf("Cmd = %q: the base's CMD must not become the entrypoint's arguments", cfg.Cmd)
		}
		if cfg.WorkingDir != "/app" {
			t.Errorf("WorkingDir = %q, want /app", cfg.WorkingDir)
		}
		want := map[string]string{
			"org.opencontainers.image.title":    "gantry test base", // kept from the base
			"org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567",
			"org.opencontainers.image.source":   "https://github.com/classla/lms",
		}
		if diff := cmp.Diff(want, cfg.Labels); diff != "" {
			t.Errorf("Labels (-want +got):\n%s", diff)
		}
	})

	t.Run("the base layer is kept and the context is one layer under /app", func(t *testing.T) {
		layers := f.reg.Layers(t, img.Ref())
		if len(layers) != 2 {
			t.Fatalf("image has %d layers, want the base's one and the context's", len(layers))
		}
		if got := layers[0][registry.BaseFile].Content; got != registry.BaseFileContent {
			t.Errorf("base layer %s = %q, want %q", registry.BaseFile, got, registry.BaseFileContent)
		}
		type entry struct {
			Type     byte
			Mode     int64
			Content  string
			Linkname string
		}
		got := map[string]entry{}
		for name, e := range layers[1] {
			got[name] = entry{e.Type, e.Mode, e.Content, e.Linkname}
			if e.ModTime != 0 || e.UID != 0 || e.GID != 0 {
				t.Errorf("%s: mtime %d uid %d gid %d, want 0 0 0", name, e.ModTime, e.UID, e.GID)
			}
		}
		want := map[string]entry{
			"app/":                    {tar.TypeDir, 0o755, "", ""},
			"app/.dockerignore":       {tar.TypeReg, 0o644, "secret.env\ntmp\n", ""},
			"app/main.py":             {tar.TypeReg, 0o644, "print('hello')\n", ""},
			"app/run.sh":              {tar.TypeReg, 0o755, "#!/bin/sh\nexec python3 main.py\n", ""},
			"app/lib/":                {tar.TypeDir, 0o755, "", ""},
			"app/lib/util/":           {tar.TypeDir, 0o755, "", ""},
			"app/lib/util/helpers.py": {tar.TypeReg, 0o644, "X = 1\n", ""},
		}
		// The link is stored as a link: the host file it points at is not read.
		outside := layers[1]["app/outside"]
		want["app/outside"] = entry{tar.TypeSymlink, 0o777, "", outside.Linkname}
		if !strings.HasSuffix(outside.Linkname, "/host-secret") {
			t.Errorf("app/outside links to %q, want the original target …/host-secret", outside.Linkname)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("context layer (-want +got):\n%s", diff)
		}
	})
}

func TestOCIBuildIsReproducible(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first, err := build.OCI{}.Build(context.Background(), f.req)
	if err != nil {
		t.Fatalf("first Build: %v", err)
	}
	// Touch every file: timestamps must not reach the image.
	later := f.req
	later.Tags = []string{"again"}
	for _, p := range []string{"main.py", "lib/util/helpers.py"} {
		if err := os.Chtimes(filepath.Join(f.req.Context, p), aLaterTime, aLaterTime); err != nil {
			t.Fatal(err)
		}
	}
	second, err := build.OCI{}.Build(context.Background(), later)
	if err != nil {
		t.Fatalf("second Build: %v", err)
	}
	if first.Digest != second.Digest {
		t.Errorf("building the same context twice gave %s then %s", first.Digest, second.Digest)
	}
}

func TestOCIBuildFailures(t *testing.T) {
	t.Parallel()
	t.Run("a wrong registry password is refused with a clear error", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		req := f.req
		req.Auth.Password = "expired-token"
		_, err := build.OCI{}.Build(context.Background(), req)
		if !errors.Is(err, build.ErrUnauthorized) {
			t.Fatalf("Build with a wrong password: %v, want ErrUnauthorized", err)
		}
		for _, want := range []string{"base image", "401", "ecr:GetAuthorizationToken"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
		if strings.Contains(err.Error(), "expired-token") {
			t.Errorf("error %q shows the password", err)
		}
	})
	t.Run("a missing base image names the image", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		req := f.req
		req.BaseImage = f.reg.Host() + "/base/python:9"
		_, err := build.OCI{}.Build(context.Background(), req)
		if err == nil || !strings.Contains(err.Error(), req.BaseImage) {
			t.Fatalf("Build on a missing base: %v, want an error naming %s", err, req.BaseImage)
		}
	})
}
