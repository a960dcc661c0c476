package github_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/testing/githubfake"
)

const sha = "abcdef0123456789abcdef0123456789abcdef01"

var tree = map[string]string{
	".gantry.yaml":                      "version: 1\n",
	"terraform/envs/production/main.tf": "module \"network\" {}\n",
}

// untar lists the regular files of a gzip tar archive.
func untar(t *testing.T, archive []byte) map[string]string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatalf("the tarball is not gzip: %v", err)
	}
	files := map[string]string{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatalf("reading the tarball: %v", err)
		}
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			files[h.Name] = string(b)
		}
	}
}

func TestTarballFollowsTheRedirectOnTheSameHost(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.SetTarball("classla/lms", sha, tree)

	var buf bytes.Buffer
	if err := newClient(t, fake).Tarball(t.Context(), lms, sha, &buf); err != nil {
		t.Fatalf("Tarball: %v", err)
	}
	// GitHub's top-level directory is owner-repo-<first 7 characters of the commit SHA>.
	want := map[string]string{
		"classla-lms-abcdef0/.gantry.yaml":                      "version: 1\n",
		"classla-lms-abcdef0/terraform/envs/production/main.tf": "module \"network\" {}\n",
	}
	if diff := cmp.Diff(want, untar(t, buf.Bytes())); diff != "" {
		t.Errorf("archive differs (-want +got):\n%s", diff)
	}
}

// downloadHost stands for codeload.github.com: it records the Authorization header of each request and
// forwards it to the fake (or answers status, if set).
type downloadHost struct {
	*httptest.Server
	fakeURL atomic.Value // string, set once the fake exists
	status  int

	mu    sync.Mutex
	auths []string
}

func newDownloadHost(t *testing.T, status int) *downloadHost {
	d := &downloadHost{status: status}
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.auths = append(d.auths, r.Header.Get("Authorization"))
		d.mu.Unlock()
		if d.status != 0 {
			w.WriteHeader(d.status)
			return
		}
		resp, err := http.Get(strings.TrimSuffix(d.fakeURL.Load().(string), "/") + r.URL.RequestURI())
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(d.Close)
	return d
}

func TestTarballSendsNoTokenToAnotherHost(t *testing.T) {
	t.Parallel()
	host := newDownloadHost(t, 0)
	fake := newFake(t, githubfake.WithArchiveURL(host.URL+"/"))
	host.fakeURL.Store(fake.URL())
	fake.SetTarball("classla/lms", "main", tree)

	var buf bytes.Buffer
	if err := newClient(t, fake).Tarball(t.Context(), lms, "main", &buf); err != nil {
		t.Fatalf("Tarball: %v", err)
	}
	if files := untar(t, buf.Bytes()); len(files) != len(tree) {
		t.Errorf("archive holds %d files, want %d", len(files), len(tree))
	}
	host.mu.Lock()
	defer host.mu.Unlock()
	if diff := cmp.Diff([]string{""}, host.auths); diff != "" {
		t.Errorf("the download host got Authorization headers (-want +got):\n%s", diff)
	}
}

func TestTarballFailureAtTheDownloadHostKeepsItsURLTokenOutOfTheError(t *testing.T) {
	t.Parallel()
	host := newDownloadHost(t, http.StatusInternalServerError)
	fake := newFake(t, githubfake.WithArchiveURL(host.URL+"/"))
	fake.SetTarball("classla/lms", "main", tree)

	err := newClient(t, fake).Tarball(t.Context(), lms, "main", io.Discard)
	mustContain(t, err, "tarball of classla/lms at main", "500")
	if err != nil && strings.Contains(err.Error(), "token") {
		t.Errorf("error %q mentions the download URL's token", err)
	}
}

func TestDefaultBranchFile(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	big := strings.Repeat("# a comment line that pads the file past one megabyte\n", 30_000) // 1.59 MB
	fake.SetFile("classla/lms", "main", ".gantry.yaml", "version: 1\nprojects: []\n")
	fake.SetFile("classla/lms", "main", "cost-usage.yml", big)
	fake.SetFile("classla/lms", "main", "terraform/main.tf", "")
	fake.SetFile("classla/lms", "feature", "only-on-a-branch.yaml", "x")
	c := newClient(t, fake)

	tests := []struct {
		name      string
		path      string
		want      string
		wantFound bool
	}{
		{name: "a small file comes back decoded", path: ".gantry.yaml", want: "version: 1\nprojects: []\n", wantFound: true},
		{name: "a file over one megabyte is fetched raw", path: "cost-usage.yml", want: big, wantFound: true},
		{name: "a missing file is not found, without error", path: "nope.yaml", wantFound: false},
		{name: "a file on another branch only is not found", path: "only-on-a-branch.yaml", wantFound: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, found, err := c.DefaultBranchFile(t.Context(), lms, tt.path)
			if err != nil {
				t.Fatalf("DefaultBranchFile(%s): %v", tt.path, err)
			}
			if found != tt.wantFound || string(got) != tt.want {
				t.Errorf("DefaultBranchFile(%s) = %d bytes, found %t; want %d bytes, found %t", tt.path, len(got), found, len(tt.want), tt.wantFound)
			}
		})
	}
	t.Run("a directory is an error naming it", func(t *testing.T) {
		t.Parallel()
		_, _, err := c.DefaultBranchFile(t.Context(), lms, "terraform")
		mustContain(t, err, "terraform", "directory")
	})
}
