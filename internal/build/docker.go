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
)

// Docker builds with BuildKit through the docker CLI (`docker buildx build --push`), the usual choice
// on GitHub Actions runners. Request.Entrypoint, Env and BaseImage are the Dockerfile's business and
// are not used.
type Docker struct {
	// Binary is the docker CLI ("docker" from PATH when empty).
	Binary string
	// Env is the CLI's environment (the process's when nil). DOCKER_CONFIG is always replaced by a
	// directory of the build's own, so a login never outlives the build or mixes with another's.
	Env []string
}

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Build implements Builder.
func (d Docker) Build(ctx context.Context, req Request) (Image, error) {
	if req.Repository == "" || req.Context == "" || len(req.Tags) == 0 {
		return Image{}, errors.New("docker build needs a repository, a context directory and at least one tag")
	}
	work, err := os.MkdirTemp("", "gantry-docker-*")
	if err != nil {
		return Image{}, fmt.Errorf("creating a docker config directory: %w", err)
	}
	defer os.RemoveAll(work)
	env := d.Env
	if env == nil {
		env = os.Environ()
	}
	env = append(slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return strings.HasPrefix(kv, "DOCKER_CONFIG=")
	}), "DOCKER_CONFIG="+filepath.Join(work, "config"))

	if req.Auth.Password != "" {
		login := exec.CommandContext(ctx, d.binary(), loginArgs(req)...)
		login.Env, login.Stdin = env, strings.NewReader(req.Auth.Password)
		if out, err := login.CombinedOutput(); err != nil {
			return Image{}, fmt.Errorf("docker login to %s failed: %w: %s: check the registry login (for ECR, ecr:GetAuthorizationToken)",
				registryHost(req.Repository), err, lastLines(out))
		}
	}
	metadata := filepath.Join(work, "metadata.json")
	cmd := exec.CommandContext(ctx, d.binary(), buildArgs(req, metadata)...)
	cmd.Env = env
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return Image{}, fmt.Errorf("docker buildx build of %s failed: %w: %s", req.Repository, err, lastLines(output.Bytes()))
	}
	digest, err := readMetadata(metadata)
	if err != nil {
		return Image{}, err
	}
	return Image{Repository: req.Repository, Tags: slices.Clone(req.Tags), Digest: digest}, nil
}

func (d Docker) binary() string { return cmp.Or(d.Binary, "docker") }

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

// readMetadata reads the pushed manifest's digest from buildx's --metadata-file.
func readMetadata(path string) (string, error) {
	raw, err := os.ReadFile(path)
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
	return exec.CommandContext(ctx, "docker", "info").Run() == nil
}
