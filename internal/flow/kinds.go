package flow

import "github.com/classla/gantry/internal/command"

// Job kinds. A kind names the handler that runs the job; its spec type is next to it.
const (
	// KindPullRequest: a pull request was opened, reopened, pushed to or marked ready (spec PullRequestSpec).
	KindPullRequest = "pull_request"
	// KindPullRequestClosed: a pull request was closed or merged (spec PullRequestSpec).
	KindPullRequestClosed = "pull_request_closed"
	// KindForkNote: a pull request from a fork gets the note saying why it is not planned (spec PullRequestSpec).
	KindForkNote = "fork_note"
	// KindCommand: a comment command (spec CommandSpec).
	KindCommand = "command"
	// KindInstallation: the App was installed, removed, suspended or given repositories (spec InstallationSpec).
	KindInstallation = "installation"
)

// PullRequestSpec describes a pull request event.
type PullRequestSpec struct {
	Number   int    `json:"number"`
	Action   string `json:"action"`
	HeadSHA  string `json:"head_sha"`
	HeadRef  string `json:"head_ref"`
	HeadRepo string `json:"head_repo"`
	BaseRef  string `json:"base_ref"`
	// DefaultBranch is the repository's default branch when the event was sent.
	DefaultBranch string `json:"default_branch"`
	Author        string `json:"author"`
	Sender        string `json:"sender"`
	Merged        bool   `json:"merged,omitempty"`
	MergeSHA      string `json:"merge_sha,omitempty"`
}

// CommandSpec is a comment command, parsed at intake. Exactly one of Command and UsageError is set.
type CommandSpec struct {
	Number    int              `json:"number"`
	CommentID int64            `json:"comment_id"`
	Author    string           `json:"author"`
	Command   *command.Command `json:"command,omitempty"`
	// UsageError is the reply to a malformed command.
	UsageError string `json:"usage_error,omitempty"`
}

// InstallationSpec records an installation change.
type InstallationSpec struct {
	Action       string   `json:"action"`
	ID           int64    `json:"id"`
	Account      string   `json:"account"`
	Suspended    bool     `json:"suspended"`
	ReposAdded   []string `json:"repos_added,omitempty"`
	ReposRemoved []string `json:"repos_removed,omitempty"`
}
