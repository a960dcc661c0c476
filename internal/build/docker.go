package build

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/classla/gantry/internal/sandbox"
)

// Docker builds with BuildKit through the docker CLI (`docker buildx build --push`), the usual choice
// on GitHub Actions runners. Request.Entrypoint, Env and BaseImage are the Dockerfile's business and
// are not used.
type Docker struct {
	// Binary is the docker CLI ("docker" from PATH when empty).
	Binary string
	// Env is added to the CLI's environment, which is otherwise built from an allow-list of the
	// server's (dockerEnv): the server's secrets never reach the CLI. DOCKER_CONFIG and HOME are always
	// a directory of the build's own, so a login never outlives the build or mixes with another's.
	Env []string
	// Sandbox runs the CLI as the sandbox user, with the user's own groups so that a member of the
	// docker group reaches the daemon (nil: sandbox.Off, the server's user).
	Sandbox *sandbox.Sandbox
}

// dockerEnv are the only server variables the docker CLI inherits, when set: where the daemon is,
// how to reach it and registries over TLS and proxies.
var dockerEnv = []string{
	"PATH", "DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONTEXT", "BUILDKIT_PROGRESS",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
}

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Build implements Builder.
func (d Docker) Build(ctx context.Context, req Request) (Image, error) {
	if req.Repository == "" || req.Context == "" || len(req.Tags) == 0 {
		return Image{}, errors.New("docker build needs a repository, a context directory and at least one tag")
	}
	sb := d.Sandbox
	if sb == nil {
		sb = sandbox.Off("")
	}
	// The login and the metadata live in a directory of the build's own: in the job's jail when it
	// has one, where only the job's processes reach it.
	var work string
	var err error
	if req.Jail != nil {
		work, err = req.Jail.Private("docker-")
	} else {
		work, err = os.MkdirTemp("", "gantry-docker-*")
	}
	if err != nil {
		return Image{}, fmt.Errorf("creating a docker config directory: %w", err)
	}
	defer os.RemoveAll(work)
	env := d.env(work)
	run := sandbox.Run{Jail: req.Jail, Dir: work, Env: env, UserGroups: true}

	if req.Auth.Password != "" {
		login := sb.Command(ctx, run, d.binary(), loginArgs(req)...)
		login.Stdin = strings.NewReader(req.Auth.Password)
		out, err := login.CombinedOutput()
		sandbox.Stop(login)
		if err != nil {
			return Image{}, fmt.Errorf("docker login to %s failed: %w: %s: check the registry login (for ECR, ecr:GetAuthorizationToken)",
				registryHost(req.Repository), err, lastLines(out))
		}
	}
	metadata := filepath.Join(work, "metadata.json")
	cmd := sb.Command(ctx, run, d.binary(), buildArgs(req, metadata)...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	err = cmd.Run()
	sandbox.Stop(cmd)
	if err != nil {
		return Image{}, fmt.Errorf("docker buildx build of %s failed: %w: %s", req.Repository, err, lastLines(output.Bytes()))
	}
	digest, err := readMetadata(work, "metadata.json")
	if err != nil {
		return Image{}, err
	}
	return Image{Repository: req.Repository, Tags: slices.Clone(req.Tags), Digest: digest}, nil
}

func (d Docker) binary() string { return cmp.Or(d.Binary, "docker") }

// env is the CLI's whole environment: the allow-list of the server's, then Env, with HOME and
// DOCKER_CONFIG in the build's own directory.
func (d Docker) env(work string) []string {
	vars := map[string]string{}
	for _, k := range dockerEnv {
		if v := os.Getenv(k); v != "" {
			vars[k] = v
		}
	}
	for _, kv := range d.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	vars["HOME"] = work
	vars["DOCKER_CONFIG"] = filepath.Join(work, "config")
	env := make([]string, 0, len(vars))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, k+"="+vars[k])
	}
	return env
}

// loginArgs never holds the password: it goes on stdin, so it cannot show in a process listing.
func loginArgs(req Request) []string {
	return []string{"login", "--username", cmp.Or(req.Auth.Username, "AWS"), "--password-stdin", registryHost(req.Repository)}
}

func buildArgs(req Request, metadataFile string) []string {
	args := []string{"buildx", "build"}
	if req.Insecure {
		args = append(args, "--output", "type=image,push=true,registry.insecure=true")
	} else {
		args = append(args, "--push")
	}
	args = append(args, "--metadata-file", metadataFile)
	for _, tag := range req.Tags {
		args = append(args, "-t", req.Repository+":"+tag)
	}
	for _, k := range slices.Sorted(maps.Keys(req.Labels)) {
		args = append(args, "--label", k+"="+req.Labels[k])
	}
	dockerfile := cmp.Or(req.Dockerfile, "Dockerfile")
	if !filepath.IsAbs(dockerfile) {
		dockerfile = filepath.Join(req.Context, dockerfile)
	}
	return append(args, "-f", dockerfile, req.Context)
}

// readMetadata reads the pushed manifest's digest from buildx's --metadata-file, name in dir, never
// through a link (the CLI ran as the sandbox user, which owns dir).
func readMetadata(dir, name string) (string, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", err
	}
	defer root.Close()
	raw, err := root.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("docker buildx wrote no metadata file (is buildx older than 0.6?): %w", err)
	}
	var md struct {
		Digest string `json:"containerimage.digest"`
	}
	if err := json.Unmarshal(raw, &md); err != nil {
		return "", fmt.Errorf("docker buildx metadata is not JSON: %w", err)
	}
	if !digestPattern.MatchString(md.Digest) {
		return "", fmt.Errorf("docker buildx metadata has no containerimage.digest of the form sha256:<64 hex> (got %q): was the image pushed?", md.Digest)
	}
	return md.Digest, nil
}

// lastLines keeps the end of a command's output, where docker puts the reason it failed.
func lastLines(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

// DockerAvailable reports whether a docker daemon answers `docker info` within a few seconds.
func DockerAvailable(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	home, err := os.MkdirTemp("", "gantry-docker-info-*")
	if err != nil {
		return false
	}
	defer os.RemoveAll(home)
	cmd := exec.CommandContext(ctx, "docker", "info")
	cmd.Env = Docker{}.env(home) // never the server's secrets
	return cmd.Run() == nil
}
