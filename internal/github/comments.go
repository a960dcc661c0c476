package github

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/classla/gantry/internal/render"
)

// MaxCommentLength is the longest issue comment body GitHub accepts, in characters.
const MaxCommentLength = 65536

// MaxCommentParts is how many comments one marker's body may fill: the main comment and its
// continuations. Past it the body is cut, and the last part says so (SPEC §10, bounded output).
const MaxCommentParts = 10

// UpsertComment keeps one comment per marker on a pull request up to date. marker is a hidden HTML comment
// such as "<!-- gantry:project=production -->"; the App's own comment containing it is edited in place, or
// created (with the marker on its first line) if there is none. Comments by anyone else are never touched,
// even when they quote the marker.
//
// A body longer than MaxCommentLength continues in numbered comments, each with its own marker
// ("<!-- gantry:project=production part=2 -->") and a "production — continued, part 2 of 3" heading;
// continuation comments left over from an earlier, longer body, or out of order because someone deleted
// a part, are deleted and replaced. It returns the IDs of the comments in reading order.
func (c *Client) UpsertComment(ctx context.Context, repo Repo, pr int, marker, body string) ([]int64, error) {
	m, err := parseMarker(marker)
	if err != nil {
		return nil, err
	}
	login, err := c.app.BotLogin(ctx)
	if err != nil {
		return nil, fmt.Errorf("updating the %s comment on %s#%d: %w", m.name, repo, pr, err)
	}
	all, err := c.listComments(ctx, repo, pr)
	if err != nil {
		return nil, err
	}
	existing := m.find(all, login)
	if !strings.Contains(body, m.text) {
		body = m.text + "\n" + body
	}
	parts := m.split(body)

	// Reuse the leading run of parts that still exist; anything after it is stale (left over from a
	// longer body, or out of order because someone deleted a part) and is replaced, so that the parts
	// keep reading in order.
	reused := 0
	for reused < len(parts) && existing[reused+1] != nil {
		reused++
	}
	ids := make([]int64, len(parts))
	for i, part := range parts[:reused] {
		old := existing[i+1]
		if old.GetBody() != part {
			if err := c.editComment(ctx, repo, pr, old.GetID(), part); err != nil {
				return nil, err
			}
		}
		ids[i] = old.GetID()
	}
	if err := c.deleteStale(ctx, repo, pr, existing, reused); err != nil {
		return nil, err
	}
	for i := reused; i < len(parts); i++ {
		created, _, err := c.gh.Issues.CreateComment(ctx, repo.Owner, repo.Name, pr, &gh.IssueComment{Body: &parts[i]})
		if err != nil {
			return nil, fmt.Errorf("creating part %d of the %s comment on %s#%d: %w", i+1, m.name, repo, pr, redact(err))
		}
		ids[i] = created.GetID()
	}
	return ids, nil
}

// Reply posts a new comment on a pull request (refusals, usage errors, /help) and returns its ID.
func (c *Client) Reply(ctx context.Context, repo Repo, pr int, body string) (int64, error) {
	created, _, err := c.gh.Issues.CreateComment(ctx, repo.Owner, repo.Name, pr, &gh.IssueComment{Body: &body})
	if err != nil {
		return 0, fmt.Errorf("replying on %s#%d: %w", repo, pr, redact(err))
	}
	return created.GetID(), nil
}

func (c *Client) listComments(ctx context.Context, repo Repo, pr int) ([]*gh.IssueComment, error) {
	var all []*gh.IssueComment
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := c.gh.Issues.ListComments(ctx, repo.Owner, repo.Name, pr, opts)
		if err != nil {
			return nil, fmt.Errorf("listing comments (page %d) on %s#%d: %w", max(opts.Page, 1), repo, pr, redact(err))
		}
		all = append(all, page...)
		if resp.NextPage == 0 {
			return all, nil
		}
		opts.Page = resp.NextPage
	}
}

func (c *Client) editComment(ctx context.Context, repo Repo, pr int, id int64, body string) error {
	if _, _, err := c.gh.Issues.EditComment(ctx, repo.Owner, repo.Name, id, &gh.IssueComment{Body: &body}); err != nil {
		return fmt.Errorf("editing comment %d on %s#%d: %w", id, repo, pr, redact(err))
	}
	return nil
}

func (c *Client) deleteStale(ctx context.Context, repo Repo, pr int, existing map[int]*gh.IssueComment, keep int) error {
	var extra []int
	for n := range existing {
		if n > keep {
			extra = append(extra, n)
		}
	}
	sort.Ints(extra)
	for _, n := range extra {
		id := existing[n].GetID()
		if _, err := c.gh.Issues.DeleteComment(ctx, repo.Owner, repo.Name, id); err != nil {
			return fmt.Errorf("deleting stale comment %d (part %d) on %s#%d: %w", id, n, repo, pr, redact(err))
		}
	}
	return nil
}

// marker is a hidden "<!-- KEY -->" comment that identifies one of the App's comments.
type marker struct {
	text  string         // "<!-- gantry:project=NAME -->"
	inner string         // "gantry:project=NAME"
	name  string         // "NAME", for continuation headings
	parts *regexp.Regexp // matches continuation markers and captures the part number
}

func parseMarker(text string) (marker, error) {
	inner, ok := strings.CutPrefix(text, "<!-- ")
	if ok {
		inner, ok = strings.CutSuffix(inner, " -->")
	}
	if !ok || inner == "" || strings.ContainsAny(inner, "\n>") {
		return marker{}, fmt.Errorf("comment marker %q is not a hidden HTML comment of the form <!-- KEY -->", text)
	}
	name := inner
	if i := strings.LastIndex(inner, "="); i >= 0 && i+1 < len(inner) {
		name = inner[i+1:]
	}
	return marker{
		text:  text,
		inner: inner,
		name:  name,
		parts: regexp.MustCompile(`<!-- ` + regexp.QuoteMeta(inner) + ` part=([0-9]+) -->`),
	}, nil
}

func (m marker) partMarker(n int) string {
	return "<!-- " + m.inner + " part=" + strconv.Itoa(n) + " -->"
}

func (m marker) heading(n, of int) string {
	return fmt.Sprintf("**%s — continued, part %d of %d**", m.name, n, of)
}

// find maps part numbers (1 for the main comment) to the oldest of login's comments carrying each marker.
func (m marker) find(comments []*gh.IssueComment, login string) map[int]*gh.IssueComment {
	found := map[int]*gh.IssueComment{}
	for _, cm := range comments {
		if !strings.EqualFold(cm.GetUser().GetLogin(), login) {
			continue
		}
		n := 0
		if strings.Contains(cm.GetBody(), m.text) {
			n = 1
		} else if sub := m.parts.FindStringSubmatch(cm.GetBody()); sub != nil {
			n, _ = strconv.Atoi(sub[1])
		}
		if _, seen := found[n]; n > 0 && !seen {
			found[n] = cm
		}
	}
	return found
}

// split cuts body into at most MaxCommentParts comment bodies of at most MaxCommentLength, headed as
// continuation comments.
func (m marker) split(body string) []string {
	return render.SplitAtMost(body, MaxCommentLength, MaxCommentParts, func(n, of int) string {
		return m.partMarker(n) + "\n" + m.heading(n, of)
	}, cutNote)
}

// cutNote ends a body that did not fit in MaxCommentParts comments.
func cutNote(cut int) string {
	return fmt.Sprintf("> [!NOTE]\n> gantry cut the last %s of this text here: it shows at most %d comments of it. "+
		"To read all of it, run the same Terraform command in the project's directory yourself.", humanBytes(cut), MaxCommentParts)
}

// humanBytes is a size as people read it: 950 bytes, 12 KiB, 3.4 MiB.
func humanBytes(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}
