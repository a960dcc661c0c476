package build

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ErrUnauthorized is returned when a registry refuses the credentials.
var ErrUnauthorized = errors.New("registry refused the credentials")

// OCI builds without a daemon: the context becomes one layer under /app on BaseImage, with the
// request's entrypoint, environment and labels. It cannot run build steps (no RUN); services that need
// them use Docker.
type OCI struct {
	// Platform picks the base image from a multi-platform index ("linux/amd64" when empty).
	Platform string
	// Transport carries registry requests (http.DefaultTransport when nil).
	Transport http.RoundTripper
}

// Build implements Builder.
func (o OCI) Build(ctx context.Context, req Request) (Image, error) {
	if req.BaseImage == "" || req.Repository == "" || req.Context == "" {
		return Image{}, errors.New("oci build needs a base image, a repository and a context directory: set base_image on the service")
	}
	var nameOpts []name.Option
	if req.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	base, err := o.pullBase(ctx, req, nameOpts)
	if err != nil {
		return Image{}, err
	}
	layerFile, err := os.CreateTemp("", "gantry-context-*.tar")
	if err != nil {
		return Image{}, fmt.Errorf("creating a temporary file for the context layer: %w", err)
	}
	defer os.Remove(layerFile.Name())
	err = writeContextTar(req.Context, layerFile)
	if cerr := layerFile.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Image{}, err
	}
	img, err := compose(base, layerFile.Name(), req)
	if err != nil {
		return Image{}, err
	}
	return o.push(ctx, img, req, nameOpts)
}

func (o OCI) remoteOpts(ctx context.Context, auth authn.Authenticator) ([]remote.Option, error) {
	platform, err := v1.ParsePlatform(cmp.Or(o.Platform, "linux/amd64"))
	if err != nil {
		return nil, fmt.Errorf("platform %q is not OS/ARCH[/VARIANT]: %w", o.Platform, err)
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuth(auth), remote.WithPlatform(*platform)}
	if o.Transport != nil {
		opts = append(opts, remote.WithTransport(o.Transport))
	}
	return opts, nil
}

// pullBase fetches the base image, with the target registry's login only when the base lives on that
// same registry: the login must never be sent to another host.
func (o OCI) pullBase(ctx context.Context, req Request, nameOpts []name.Option) (v1.Image, error) {
	ref, err := name.ParseReference(req.BaseImage, nameOpts...)
	if err != nil {
		return nil, fmt.Errorf("base image %q is not an image reference: %w", req.BaseImage, err)
	}
	auth := authn.Anonymous
	if ref.Context().RegistryStr() == registryHost(req.Repository) && req.Auth.Password != "" {
		auth = &authn.Basic{Username: req.Auth.Username, Password: req.Auth.Password}
	}
	opts, err := o.remoteOpts(ctx, auth)
	if err != nil {
		return nil, err
	}
	img, err := remote.Image(ref, opts...)
	if err != nil {
		return nil, registryError("pulling the base image "+req.BaseImage, err)
	}
	return img, nil
}

// compose appends the context layer to base and sets the config. Nothing time-dependent goes in, so
// the same inputs give the same digest.
func compose(base v1.Image, layerPath string, req Request) (v1.Image, error) {
	mt, err := base.MediaType()
	if err != nil {
		return nil, fmt.Errorf("reading the base image's media type: %w", err)
	}
	layerType := types.DockerLayer
	if mt == types.OCIManifestSchema1 {
		layerType = types.OCILayer
	}
	layer, err := tarball.LayerFromFile(layerPath, tarball.WithMediaType(layerType))
	if err != nil {
		return nil, fmt.Errorf("reading the context layer: %w", err)
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:   layer,
		History: v1.History{CreatedBy: "gantry oci build: context → /" + appDir, Created: v1.Time{Time: epoch}},
	})
	if err != nil {
		return nil, fmt.Errorf("adding the context layer: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the base image's config: %w", err)
	}
	cfg = cfg.DeepCopy()
	cfg.Config.WorkingDir = "/" + appDir
	if len(req.Entrypoint) > 0 {
		// As with Dockerfile's ENTRYPOINT, the base's CMD would become its arguments: drop it.
		cfg.Config.Entrypoint, cfg.Config.Cmd = slices.Clone(req.Entrypoint), nil
	}
	cfg.Config.Env = mergeEnv(cfg.Config.Env, req.Env)
	if len(req.Labels) > 0 {
		labels := maps.Clone(cfg.Config.Labels)
		if labels == nil {
			labels = map[string]string{}
		}
		maps.Copy(labels, req.Labels)
		cfg.Config.Labels = labels
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("setting the image config: %w", err)
	}
	return img, nil
}

// mergeEnv overrides base's KEY=VALUE entries with env's, keeping base's order and adding new keys in
// sorted order.
func mergeEnv(base []string, env map[string]string) []string {
	out := make([]string, 0, len(base)+len(env))
	seen := map[string]bool{}
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if v, ok := env[k]; ok {
			kv = k + "=" + v
			seen[k] = true
		}
		out = append(out, kv)
	}
	keys := slices.Collect(maps.Keys(env))
	sort.Strings(keys)
	for _, k := range keys {
		if !seen[k] {
			out = append(out, k+"="+env[k])
		}
	}
	return out
}

func (o OCI) push(ctx context.Context, img v1.Image, req Request, nameOpts []name.Option) (Image, error) {
	digest, err := img.Digest()
	if err != nil {
		return Image{}, fmt.Errorf("computing the image digest: %w", err)
	}
	repo, err := name.NewRepository(req.Repository, nameOpts...)
	if err != nil {
		return Image{}, fmt.Errorf("repository %q is not HOST/NAME: %w", req.Repository, err)
	}
	opts, err := o.remoteOpts(ctx, &authn.Basic{Username: req.Auth.Username, Password: req.Auth.Password})
	if err != nil {
		return Image{}, err
	}
	if err := remote.Write(repo.Digest(digest.String()), img, opts...); err != nil {
		return Image{}, registryError("pushing to "+req.Repository, err)
	}
	for _, tag := range req.Tags {
		if err := remote.Tag(repo.Tag(tag), img, opts...); err != nil {
			return Image{}, registryError("tagging "+req.Repository+":"+tag, err)
		}
	}
	return Image{Repository: req.Repository, Tags: slices.Clone(req.Tags), Digest: digest.String()}, nil
}

func registryError(what string, err error) error {
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) {
		return fmt.Errorf("%s: %w (HTTP %d): the login is wrong or expired; for ECR, get a fresh token with ecr:GetAuthorizationToken and check the role may push to the repository: %v",
			what, ErrUnauthorized, te.StatusCode, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
