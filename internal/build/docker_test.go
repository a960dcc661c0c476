package build_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/build"
)

// fakeDocker stands in for the docker CLI. Each call appends its arguments (one per line) to
// $FAKE_DIR/calls, its stdin to $FAKE_DIR/stdin and its DOCKER_CONFIG to $FAKE_DIR/config; a buildx
// call writes $FAKE_METADATA into the --metadata-file; $FAKE_FAIL=login|build makes that step fail.
const fakeDocker = `#!/bin/sh
{ for a in "$@"; do echo "$a"; done; echo "--"; } >> "$FAKE_DIR/calls"
cat >> "$FAKE_DIR/stdin"
echo "$DOCKER_CONFIG" >> "$FAKE_DIR/config"
env > "$FAKE_DIR/env.$1"
case "$1" in
login)
	[ "$FAKE_FAIL" = login ] && { echo "Error response from daemon: login attempt failed with status: 401 Unauthorized" >&2; exit 1; }
	echo "Login Succeeded" ;;
buildx)
	[ "$FAKE_FAIL" = build ] && { echo "ERROR: failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory" >&2; exit 1; }
	while [ $# -gt 0 ]; do
		if [ "$1" = "--metadata-file" ]; then printf '%s' "$FAKE_METADATA" > "$2"; fi
		shift
	done ;;
esac
`

const pushedDigest = "sha256:9b2c7a3f1e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6f7e8d9c0b"

func runFakeDocker(t *testing.T, req build.Request, metadata, fail string) (build.Image, string, error) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "docker")
	if err := os.WriteFile(bin, []byte(fakeDocker), 0o755); err != nil {
		t.Fatal(err)
	}
	d := build.Docker{Binary: bin, Env: []string{
		"PATH=" + os.Getenv("PATH"), "FAKE_DIR=" + dir, "FAKE_METADATA=" + metadata, "FAKE_FAIL=" + fail,
		"DOCKER_CONFIG=/home/runner/.docker",
	}}
	img, err := d.Build(context.Background(), req)
	return img, dir, err
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func dockerRequest() build.Request {
	return build.Request{
		Context:    "/src/web",
		Dockerfile: "docker/Dockerfile",
		Repository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/web",
		Tags:       []string{"0123456789abcdef0123456789abcdef01234567", "main"},
		Labels: map[string]string{
			build.LabelSource:   "https://github.com/classla/lms",
			build.LabelRevision: "0123456789abcdef0123456789abcdef01234567",
		},
		Auth: build.Auth{Username: "AWS", Password: "ecr-password-sentinel"},
	}
}

func TestDockerBuildRunsLoginThenBuildxAndReadsTheDigest(t *testing.T) {
	t.Parallel()
	req := dockerRequest()
	img, dir, err := runFakeDocker(t, req, `{"buildx.build.ref":"default/default/x","containerimage.digest":"`+pushedDigest+`","image.name":"web:main"}`, "")
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	want := build.Image{Repository: req.Repository, Tags: req.Tags, Digest: pushedDigest}
	if diff := cmp.Diff(want, img); diff != "" {
		t.Errorf("image (-want +got):\n%s", diff)
	}

	calls := strings.Split(strings.TrimSuffix(readFile(t, filepath.Join(dir, "calls")), "--\n"), "--\n")
	if len(calls) != 2 {
		t.Fatalf("docker was called %d times, want login then build:\n%s", len(calls), calls)
	}
	login := strings.Fields(calls[0])
	if diff := cmp.Diff([]string{"login", "--username", "AWS", "--password-stdin", "123456789012.dkr.ecr.us-east-1.amazonaws.com"}, login); diff != "" {
		t.Errorf("login arguments (-want +got):\n%s", diff)
	}
	buildArgs := strings.Split(strings.TrimSuffix(calls[1], "\n"), "\n")
	if len(buildArgs) < 5 || buildArgs[3] != "--metadata-file" {
		t.Fatalf("build arguments %q: want --metadata-file FILE after buildx build --push", buildArgs)
	}
	metadataFile := buildArgs[4]
	wantBuild := []string{
		"buildx", "build", "--push", "--metadata-file", metadataFile,
		"-t", "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:0123456789abcdef0123456789abcdef01234567",
		"-t", "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:main",
		"--label", "org.opencontainers.image.revision=0123456789abcdef0123456789abcdef01234567",
		"--label", "org.opencontainers.image.source=https://github.com/classla/lms",
		"-f", "/src/web/docker/Dockerfile", "/src/web",
	}
	if diff := cmp.Diff(wantBuild, buildArgs); diff != "" {
		t.Errorf("build arguments (-want +got):\n%s", diff)
	}

	t.Run("the password goes on stdin and nowhere in the arguments", func(t *testing.T) {
		if got := readFile(t, filepath.Join(dir, "stdin")); got != "ecr-password-sentinel" {
			t.Errorf("stdin = %q, want the password", got)
		}
		if strings.Contains(readFile(t, filepath.Join(dir, "calls")), "ecr-password-sentinel") {
			t.Error("the password is in docker's arguments")
		}
	})
	t.Run("login and build share a docker config of their own, removed afterwards", func(t *testing.T) {
		configs := strings.Fields(readFile(t, filepath.Join(dir, "config")))
		if len(configs) != 2 || configs[0] != configs[1] || configs[0] == "/home/runner/.docker" {
			t.Fatalf("DOCKER_CONFIG per call = %q, want the same private directory twice", configs)
		}
		if _, err := os.Stat(configs[0]); !os.IsNotExist(err) {
			t.Errorf("docker config %s still exists after the build", configs[0])
		}
	})
}

func TestDockerBuildFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		metadata string
		fail     string
		want     []string
	}{
		{"a refused login says so with docker's reason", "", "login", []string{"docker login to 123456789012.dkr.ecr.us-east-1.amazonaws.com failed", "401 Unauthorized"}},
		{"a failed build shows docker's error", "", "build", []string{"docker buildx build", "failed to read dockerfile"}},
		{"metadata without a digest is an error", `{"image.name":"web:main"}`, "", []string{"no containerimage.digest"}},
		{"metadata that is not JSON is an error", `not json`, "", []string{"not JSON"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := runFakeDocker(t, dockerRequest(), tc.metadata, tc.fail)
			if err == nil {
				t.Fatal("Build succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "ecr-password-sentinel") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestDockerBuildForAnInsecureRegistryPushesOverHTTP(t *testing.T) {
	t.Parallel()
	req := dockerRequest()
	req.Insecure, req.Auth, req.Labels, req.Dockerfile = true, build.Auth{}, nil, ""
	req.Tags = []string{"main"}
	_, dir, err := runFakeDocker(t, req, `{"containerimage.digest":"`+pushedDigest+`"}`, "")
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	args := strings.Split(strings.TrimSuffix(readFile(t, filepath.Join(dir, "calls")), "\n--\n"), "\n")
	// No login without a password; the registry.insecure output replaces --push.
	want := []string{"buildx", "build", "--output", "type=image,push=true,registry.insecure=true",
		"--metadata-file", args[min(5, len(args)-1)], "-t", req.Repository + ":main", "-f", "/src/web/Dockerfile", "/src/web"}
	if diff := cmp.Diff(want, args); diff != "" {
		t.Errorf("arguments (-want +got):\n%s", diff)
	}
}

// DockerAvailable is what decides between the docker and oci builders, so it must follow `docker info`.
func TestDockerAvailableFollowsDockerInfo(t *testing.T) {
	cases := []struct {
		name   string
		script string // the docker on PATH; "" for none
		want   bool
	}{
		{"a daemon that answers docker info is available", "#!/bin/sh\n[ \"$1\" = info ] && exit 0\nexit 3\n", true},
		{"a CLI without a daemon is not available", "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n", false},
		{"no docker CLI at all is not available", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.script != "" {
				if err := os.WriteFile(filepath.Join(dir, "docker"), []byte(tc.script), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("PATH", dir+":/bin:/usr/bin")
			if got := build.DockerAvailable(context.Background()); got != tc.want {
				t.Errorf("DockerAvailable() = %v, want %v", got, tc.want)
			}
		})
	}
}

// The server holds the App's key and the webhook secret in its environment; the docker CLI is a
// child process and gets neither (SPEC §10).
func TestDockerNeverSeesTheServersSecrets(t *testing.T) {
	t.Setenv("GITHUB_APP_PRIVATE_KEY", "server-key-sentinel")
	t.Setenv("GITHUB_WEBHOOK_SECRET", "webhook-secret-sentinel")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "server-aws-sentinel")
	t.Setenv("DOCKER_HOST", "unix:///run/docker.sock")
	_, dir, err := runFakeDocker(t, dockerRequest(), `{"containerimage.digest":"`+pushedDigest+`"}`, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, call := range []string{"login", "buildx"} {
		env := readFile(t, filepath.Join(dir, "env."+call))
		for _, secret := range []string{"server-key-sentinel", "webhook-secret-sentinel", "server-aws-sentinel"} {
			if strings.Contains(env, secret) {
				t.Errorf("docker %s got the server's %s", call, secret)
			}
		}
		if !strings.Contains(env, "DOCKER_HOST=unix:///run/docker.sock") {
			t.Errorf("docker %s lost DOCKER_HOST, which says where the daemon is:\n%s", call, env)
		}
	}
}
