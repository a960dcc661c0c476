// Package build turns a service's build context into an image in its registry and reports the pushed
// digest: Docker runs BuildKit through the docker CLI, OCI adds the context as a layer on a base image
// without any daemon. ECRAuth finds the repository and the registry credentials to push with.
package build

import (
	"context"
	"strings"

	"github.com/classla/gantry/internal/sandbox"
)

// Labels every builder sets from Request.Labels when the caller provides them.
const (
	LabelRevision = "org.opencontainers.image.revision"
	LabelSource   = "org.opencontainers.image.source"
)

// Image is a pushed image.
type Image struct {
	Repository string   // HOST/NAME
	Tags       []string // tags pushed, without the repository
	Digest     string   // sha256:…, of the manifest
}

// Ref is the image's immutable reference, HOST/NAME@sha256:….
func (i Image) Ref() string { return i.Repository + "@" + i.Digest }

// Auth is a registry login.
type Auth struct {
	Username string
	Password string
}

// Request is one build.
type Request struct {
	// Jail is the job the build belongs to: the docker CLI runs in it (see internal/sandbox). nil: a
	// build run by hand.
	Jail       *sandbox.Jail
	Context    string // directory
	Dockerfile string // path relative to Context for Docker ("Dockerfile" when empty); unused by OCI
	BaseImage  string // OCI: the image the context is added onto
	Entrypoint []string
	Env        map[string]string
	Repository string // HOST/NAME to push to
	Tags       []string
	Labels     map[string]string
	Auth       Auth // login for the registry of Repository
	Insecure   bool // the registry speaks plain HTTP (tests)
}

// Builder builds a Request's image and pushes it with every tag.
type Builder interface {
	Build(ctx context.Context, req Request) (Image, error)
}

// registryHost is the host part of a repository or image reference ("HOST/NAME[:TAG]"). A reference
// without a registry (e.g. "alpine:3") is on Docker Hub.
func registryHost(ref string) string {
	host, _, ok := strings.Cut(ref, "/")
	if !ok || (!strings.ContainsAny(host, ".:") && host != "localhost") {
		return "index.docker.io"
	}
	return host
}
