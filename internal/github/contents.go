package github

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// DefaultBranchFile returns the contents of path on the repository's default branch; found is false when
// there is no such file. Files over 1 MB, which the JSON API returns without content, are fetched raw.
func (c *Client) DefaultBranchFile(ctx context.Context, repo Repo, path string) (content []byte, found bool, err error) {
	file, dir, _, err := c.gh.Repositories.GetContents(ctx, repo.Owner, repo.Name, path, nil)
	if err != nil {
		if IsNotFound(err) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("reading %s from the default branch of %s: %w", path, repo, redact(err))
	}
	if file == nil {
		return nil, false, fmt.Errorf("reading %s from the default branch of %s: it is a directory (%d entries), not a file", path, repo, len(dir))
	}
	if file.GetType() != "file" {
		return nil, false, fmt.Errorf("reading %s from the default branch of %s: it is a %s, not a file", path, repo, file.GetType())
	}
	if file.GetEncoding() == "none" {
		raw, err := c.rawFile(ctx, repo, path)
		if err != nil {
			return nil, false, fmt.Errorf("reading %s (%d bytes) from the default branch of %s: %w", path, file.GetSize(), repo, err)
		}
		return raw, true, nil
	}
	text, err := file.GetContent()
	if err != nil {
		return nil, false, fmt.Errorf("reading %s from the default branch of %s: decoding the content: %w", path, repo, err)
	}
	return []byte(text), true, nil
}

// rawFile asks the contents API for the raw media type, which serves files up to 100 MB from the API
// origin itself (so the installation token applies and nothing is redirected).
func (c *Client) rawFile(ctx context.Context, repo Repo, path string) ([]byte, error) {
	req, err := c.gh.NewRequest("GET", fmt.Sprintf("repos/%s/%s/contents/%s",
		url.PathEscape(repo.Owner), url.PathEscape(repo.Name), escapePath(path)), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.github.raw+json")
	var buf bytes.Buffer
	if _, err := c.gh.Do(ctx, req, &buf); err != nil {
		return nil, redact(err)
	}
	return buf.Bytes(), nil
}

// Tarball writes the gzip-compressed tar archive of repo at ref to w. GitHub answers with a redirect to a
// download host; the installation token goes only to the API's own origin, never to that host.
func (c *Client) Tarball(ctx context.Context, repo Repo, ref string, w io.Writer) error {
	what := fmt.Sprintf("downloading the tarball of %s at %s", repo, ref)
	req, err := c.gh.NewRequest("GET", fmt.Sprintf("repos/%s/%s/tarball/%s",
		url.PathEscape(repo.Owner), url.PathEscape(repo.Name), escapePath(ref)), nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	resp, err := c.http.Do(req.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("%s: %w", what, redact(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		if resp.Request.URL.String() == req.URL.String() {
			return fmt.Errorf("%s: %w", what, gh.CheckResponse(resp))
		}
		// The download URL GitHub redirected to carries a token: name only its host.
		return fmt.Errorf("%s: the download host %s answered %s", what, resp.Request.URL.Host, resp.Status)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("%s: %w", what, redact(err))
	}
	return nil
}

// escapePath escapes each segment of a slash-separated path (a file path or a ref such as feature/x).
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
