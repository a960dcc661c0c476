// Package registry runs an in-process OCI distribution registry for tests, behind HTTP basic auth
// with user "AWS" and a password it is told, as ECR's registries are. It also pushes small base images
// and reads images back so tests can check what a build pushed.
package registry

import (
	"archive/tar"
	"crypto/subtle"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/name"
	gcr "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Username is the only user the registry accepts, as for ECR.
const Username = "AWS"

// DefaultPassword is the password until SetPassword changes it. It opens nothing but this registry.
const DefaultPassword = "gantry-registry-test-password"

// Registry is an in-process registry served over plain HTTP on 127.0.0.1. It is safe for concurrent use.
type Registry struct {
	srv *httptest.Server

	mu       sync.Mutex
	password string
}

// New starts a registry; it is shut down when the test ends.
func New(t testing.TB) *Registry {
	t.Helper()
	r := &Registry{password: DefaultPassword}
	inner := gcr.New(gcr.Logger(log.New(io.Discard, "", 0)))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !r.authorized(req) {
			w.Header().Set("WWW-Authenticate", `Basic realm="gantry test registry"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		inner.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *Registry) authorized(req *http.Request) bool {
	user, pass, ok := req.BasicAuth()
	if !ok {
		return false
	}
	want := r.Password()
	return user == Username && subtle.ConstantTimeCompare([]byte(pass), []byte(want)) == 1
}

// Host is the registry's host and port, e.g. "127.0.0.1:PORT", as it appears in image references.
func (r *Registry) Host() string { return strings.TrimPrefix(r.srv.URL, "http://") }

// SetPassword changes the password the registry accepts from now on.
func (r *Registry) SetPassword(p string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.password = p
}

// Password is the password the registry accepts.
func (r *Registry) Password() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.password
}

// Auth is the registry's current credentials.
func (r *Registry) Auth() authn.Authenticator {
	return &authn.Basic{Username: Username, Password: r.Password()}
}

// BaseFile and BaseEnv are what PushRandomBase's image holds, so tests can check a build kept them.
const (
	BaseFile        = "etc/base-release"
	BaseFileContent = "gantry test base 1\n"
	BaseEnv         = "PATH=/usr/local/bin:/usr/bin:/bin"
)

// PushRandomBase pushes a small base image to repo:tag and returns its reference "HOST/repo:tag".
// The image has one layer holding BaseFile, a PATH of BaseEnv and a Cmd of ["/bin/sh"]; it is the same
// on every call, so builds on it are reproducible.
func (r *Registry) PushRandomBase(t testing.TB, repo, tag string) string {
	t.Helper()
	layer, err := crane.Layer(map[string][]byte{BaseFile: []byte(BaseFileContent)})
	if err != nil {
		t.Fatalf("registry: making the base layer: %v", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatalf("registry: making the base image: %v", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("registry: reading the base config: %v", err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Env = []string{BaseEnv}
	cfg.Config.Cmd = []string{"/bin/sh"}
	cfg.Config.Labels = map[string]string{"org.opencontainers.image.title": "gantry test base"}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		t.Fatalf("registry: setting the base config: %v", err)
	}
	ref := r.Host() + "/" + repo + ":" + tag
	tagRef, err := name.NewTag(ref, name.Insecure)
	if err != nil {
		t.Fatalf("registry: %v", err)
	}
	if err := remote.Write(tagRef, img, remote.WithAuth(r.Auth())); err != nil {
		t.Fatalf("registry: pushing %s: %v", ref, err)
	}
	return ref
}

// Image reads an image back by tag or digest reference.
func (r *Registry) Image(t testing.TB, ref string) v1.Image {
	t.Helper()
	parsed, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatalf("registry: %v", err)
	}
	img, err := remote.Image(parsed, remote.WithAuth(r.Auth()))
	if err != nil {
		t.Fatalf("registry: pulling %s: %v", ref, err)
	}
	return img
}

// Digest resolves ref (a tag or a digest reference) to the digest of its manifest.
func (r *Registry) Digest(t testing.TB, ref string) string {
	t.Helper()
	d, err := r.Image(t, ref).Digest()
	if err != nil {
		t.Fatalf("registry: digest of %s: %v", ref, err)
	}
	return d.String()
}

// Config reads an image's config file.
func (r *Registry) Config(t testing.TB, ref string) *v1.ConfigFile {
	t.Helper()
	cfg, err := r.Image(t, ref).ConfigFile()
	if err != nil {
		t.Fatalf("registry: config of %s: %v", ref, err)
	}
	return cfg
}

// Entry is one entry of an image layer.
type Entry struct {
	Type     byte  // tar.TypeReg, tar.TypeDir, tar.TypeSymlink, …
	Mode     int64 // permission bits as stored in the tar header
	Linkname string
	Content  string
	ModTime  int64 // Unix seconds
	UID, GID int
}

// Layers reads every layer of an image, oldest first, as maps from path (as stored, e.g. "app/main.py")
// to entry.
func (r *Registry) Layers(t testing.TB, ref string) []map[string]Entry {
	t.Helper()
	layers, err := r.Image(t, ref).Layers()
	if err != nil {
		t.Fatalf("registry: layers of %s: %v", ref, err)
	}
	var out []map[string]Entry
	for i, l := range layers {
		entries, err := readLayer(l)
		if err != nil {
			t.Fatalf("registry: layer %d of %s: %v", i, ref, err)
		}
		out = append(out, entries)
	}
	return out
}

func readLayer(l v1.Layer) (map[string]Entry, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	entries := map[string]Entry{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries, nil
		}
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		entries[h.Name] = Entry{
			Type: h.Typeflag, Mode: h.Mode, Linkname: h.Linkname, Content: string(body),
			ModTime: h.ModTime.Unix(), UID: h.Uid, GID: h.Gid,
		}
	}
}
