package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/classla/gantry/internal/render"
)

// MaxCheckRunText is the longest check-run output summary or text GitHub accepts, in characters.
const MaxCheckRunText = 65535

// CheckRun is what gantry shows in a check run.
type CheckRun struct {
	Name       string // e.g. "gantry/plan: production"
	HeadSHA    string // commit the run belongs to; only used on creation
	Status     string // queued, in_progress or completed
	Conclusion string // success, failure, neutral, cancelled, skipped, timed_out or action_required; with completed
	Title      string
	Summary    string // Markdown
	Text       string // Markdown
	DetailsURL string
}

// CreateCheckRun creates a check run and returns its ID. Summary and text longer than GitHub allows are
// cut (Markdown-aware) and end with a note saying so.
func (c *Client) CreateCheckRun(ctx context.Context, repo Repo, run CheckRun) (int64, error) {
	if run.Name == "" || run.HeadSHA == "" {
		return 0, fmt.Errorf("creating check run on %s: name and head SHA are required (got %q at %q)", repo, run.Name, run.HeadSHA)
	}
	opts := gh.CreateCheckRunOptions{
		Name:       run.Name,
		HeadSHA:    run.HeadSHA,
		DetailsURL: optional(run.DetailsURL),
		Status:     optional(run.Status),
		Conclusion: optional(run.Conclusion),
		Output:     run.output(),
	}
	now := gh.Timestamp{Time: time.Now()}
	switch run.Status {
	case "in_progress":
		opts.StartedAt = &now
	case "completed":
		opts.CompletedAt = &now
	}
	created, _, err := c.gh.Checks.CreateCheckRun(ctx, repo.Owner, repo.Name, opts)
	if err != nil {
		return 0, fmt.Errorf("creating check run %q on %s at %s: %w", run.Name, repo, run.HeadSHA, redact(err))
	}
	return created.GetID(), nil
}

// UpdateCheckRun changes a check run's status, conclusion and output. run.Name is required (GitHub would
// otherwise blank it); run.HeadSHA is ignored.
func (c *Client) UpdateCheckRun(ctx context.Context, repo Repo, id int64, run CheckRun) error {
	if run.Name == "" {
		return fmt.Errorf("updating check run %d on %s: %w", id, repo, errors.New("the check run name is required"))
	}
	opts := gh.UpdateCheckRunOptions{
		Name:       run.Name,
		DetailsURL: optional(run.DetailsURL),
		Status:     optional(run.Status),
		Conclusion: optional(run.Conclusion),
		Output:     run.output(),
	}
	if run.Status == "completed" || run.Conclusion != "" {
		opts.CompletedAt = &gh.Timestamp{Time: time.Now()}
	}
	if _, _, err := c.gh.Checks.UpdateCheckRun(ctx, repo.Owner, repo.Name, id, opts); err != nil {
		return fmt.Errorf("updating check run %d (%q) on %s: %w", id, run.Name, repo, redact(err))
	}
	return nil
}

// output is nil when there is nothing to show; GitHub requires a title and a summary otherwise.
func (run CheckRun) output() *gh.CheckRunOutput {
	if run.Title == "" && run.Summary == "" && run.Text == "" {
		return nil
	}
	title := run.Title
	if title == "" {
		title = run.Name
	}
	summary := truncateMarkdown(run.Summary, MaxCheckRunText)
	if summary == "" {
		summary = title
	}
	return &gh.CheckRunOutput{Title: &title, Summary: &summary, Text: optional(truncateMarkdown(run.Text, MaxCheckRunText))}
}

// truncateMarkdown keeps text within limit bytes (hence characters) without leaving a fence or <details>
// open, and says how much was left out.
func truncateMarkdown(text string, limit int) string {
	if len(text) <= limit {
		return text
	}
	const noteRoom = 200
	kept := render.Split(text, limit-noteRoom, nil)[0]
	return kept + fmt.Sprintf("\n\n_Truncated to fit GitHub's limit of 65,535 characters: %d of %d lines shown._",
		strings.Count(kept, "\n")+1, strings.Count(text, "\n")+1)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
