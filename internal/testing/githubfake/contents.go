package githubfake

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"strings"
)

// maxInlineContent is the largest file the contents API returns inline; bigger files come back with
// encoding "none" and no content, and must be fetched with the raw media type.
const maxInlineContent = 1 << 20

func (s *Server) getContents(c *call) {
	r := s.repo(c.params["owner"] + "/" + c.params["repo"])
	if r == nil {
		c.fail(http.StatusNotFound, "Not Found")
		return
	}
	ref := c.r.URL.Query().Get("ref")
	if ref == "" {
		ref = r.defaultBranch
	}
	files, ok := r.files[ref]
	if !ok && ref != r.defaultBranch {
		c.fail(http.StatusNotFound, "No commit found for the ref "+ref)
		return
	}
	p := strings.Trim(c.params["path"], "/")
	if content, ok := files[p]; ok {
		if strings.Contains(c.r.Header.Get("Accept"), ".raw") {
			c.w.Header().Set("Content-Type", "application/vnd.github.raw")
			c.w.WriteHeader(http.StatusOK)
			_, _ = c.w.Write([]byte(content))
			return
		}
		c.json(http.StatusOK, s.contentJSON(r, ref, p, content, true))
		return
	}
	var entries []any
	seen := map[string]bool{}
	for _, f := range sortedKeys(files) {
		rest, ok := strings.CutPrefix(f, p+"/")
		if !ok {
			continue
		}
		child, _, isDir := strings.Cut(rest, "/")
		if seen[child] {
			continue
		}
		seen[child] = true
		if isDir {
			entries = append(entries, s.dirEntryJSON(r, ref, path.Join(p, child)))
		} else {
			entries = append(entries, s.contentJSON(r, ref, path.Join(p, child), files[f], false))
		}
	}
	if entries == nil {
		c.fail(http.StatusNotFound, "Not Found")
		return
	}
	c.json(http.StatusOK, entries)
}

func (s *Server) contentLinks(r *repoState, ref, p, kind string) (self, git, html string) {
	self = fmt.Sprintf("%srepos/%s/contents/%s?ref=%s", s.URL(), r.fullName(), escapePath(p), ref)
	git = fmt.Sprintf("%srepos/%s/git/%s/%s", s.URL(), r.fullName(), kind, fakeSHA(ref+":"+p))
	html = fmt.Sprintf("%s%s/%s/%s/%s", webURL, r.fullName(), map[string]string{"blobs": "blob", "trees": "tree"}[kind], ref, escapePath(p))
	return self, git, html
}

// contentJSON is a file in GitHub's content-file shape; inline adds the base64 content (wrapped at 60
// characters, as GitHub does) for files up to 1 MB.
func (s *Server) contentJSON(r *repoState, ref, p, content string, inline bool) object {
	self, git, html := s.contentLinks(r, ref, p, "blobs")
	o := object{
		"type": "file", "size": len(content), "name": path.Base(p), "path": p, "sha": fakeSHA(ref + ":" + p),
		"url": self, "git_url": git, "html_url": html,
		"download_url": fmt.Sprintf("%s_raw/%s/%s/%s", s.URL(), r.fullName(), ref, escapePath(p)),
		"_links":       object{"self": self, "git": git, "html": html},
	}
	if inline {
		o["encoding"], o["content"] = "none", ""
		if len(content) <= maxInlineContent {
			o["encoding"], o["content"] = "base64", wrap60(base64.StdEncoding.EncodeToString([]byte(content)))
		}
	}
	return o
}

func (s *Server) dirEntryJSON(r *repoState, ref, p string) object {
	self, git, html := s.contentLinks(r, ref, p, "trees")
	return object{
		"type": "dir", "size": 0, "name": path.Base(p), "path": p, "sha": fakeSHA(ref + ":" + p),
		"url": self, "git_url": git, "html_url": html, "download_url": nil,
		"_links": object{"self": self, "git": git, "html": html},
	}
}

func wrap60(s string) string {
	var b strings.Builder
	for len(s) > 60 {
		b.WriteString(s[:60] + "\n")
		s = s[60:]
	}
	b.WriteString(s + "\n")
	return b.String()
}

func (s *Server) rawFile(c *call) {
	r := s.repo(c.params["owner"] + "/" + c.params["repo"])
	if r != nil {
		if content, ok := r.files[c.params["branch"]][c.params["path"]]; ok {
			c.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = c.w.Write([]byte(content))
			return
		}
	}
	c.w.WriteHeader(http.StatusNotFound)
	_, _ = c.w.Write([]byte("404: Not Found"))
}

func (s *Server) getTarball(c *call) {
	r := s.repo(c.params["owner"] + "/" + c.params["repo"])
	if r == nil || r.tarballs[c.params["ref"]] == nil {
		c.fail(http.StatusNotFound, "Not Found")
		return
	}
	base := s.archiveBase
	if base == "" {
		base = s.URL()
	}
	c.w.Header().Set("Location", fmt.Sprintf("%s_codeload/%s/legacy.tar.gz/%s?token=%s",
		base, r.fullName(), escapePath(c.params["ref"]), s.archiveTok))
	c.w.WriteHeader(http.StatusFound)
}

var fullSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// codeload serves the archive as GitHub's download host does: a gzip tar whose single top-level
// directory is "owner-repo-SHA7/", preceded by a pax global header carrying the commit SHA.
func (s *Server) codeload(c *call) {
	r := s.repo(c.params["owner"] + "/" + c.params["repo"])
	ref := c.params["ref"]
	if r == nil || r.tarballs[ref] == nil || c.r.URL.Query().Get("token") != s.archiveTok {
		c.w.WriteHeader(http.StatusNotFound)
		_, _ = c.w.Write([]byte("404: Not Found"))
		return
	}
	sha := ref
	if !fullSHA.MatchString(sha) {
		sha = fakeSHA(r.fullName() + "@" + ref)
	}
	data, err := tarball(fmt.Sprintf("%s-%s-%s/", r.owner, r.name, sha[:7]), sha, r.tarballs[ref])
	if err != nil {
		s.t.Errorf("githubfake: building the tarball of %s at %s: %v", r.fullName(), ref, err)
	}
	c.w.Header().Set("Content-Type", "application/x-gzip")
	c.w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%s-%s-%s.tar.gz", r.owner, r.name, sha[:7]))
	_, _ = c.w.Write(data)
}

func tarball(prefix, sha string, files map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	headers := []*tar.Header{
		{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": sha}},
		{Typeflag: tar.TypeDir, Name: prefix, Mode: 0o775},
	}
	dirs := map[string]bool{}
	for _, name := range sortedKeys(files) {
		var parents []string // innermost first
		for d := path.Dir(name); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
			parents = append(parents, d)
		}
		for i := len(parents) - 1; i >= 0; i-- {
			headers = append(headers, &tar.Header{Typeflag: tar.TypeDir, Name: prefix + parents[i] + "/", Mode: 0o775})
		}
		headers = append(headers, &tar.Header{Typeflag: tar.TypeReg, Name: prefix + name, Mode: 0o664, Size: int64(len(files[name]))})
	}
	for _, h := range headers {
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(files[strings.TrimPrefix(h.Name, prefix)])); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
