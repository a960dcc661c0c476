package flow

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-github/v62/github"

	"github.com/classla/gantry/internal/command"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/store"
)

// routeIssueComment: a new comment on a pull request that is a command becomes a command job;
// edits, deletions, issue comments, ordinary comments and bots' comments do nothing.
func routeIssueComment(_ *Intake, ev any) ([]store.NewJob, string, error) {
	e := ev.(*github.IssueCommentEvent)
	if e.GetAction() != "created" {
		return nil, "only new comments carry commands (this one was " + e.GetAction() + ")", nil
	}
	if !e.GetIssue().IsPullRequest() {
		return nil, "comment on an issue, not a pull request", nil
	}
	c := e.GetComment()
	if isBot(c.GetUser()) || isBot(e.GetSender()) {
		return nil, "comment written by a bot", nil
	}
	cmd, ok, err := command.Parse(c.GetBody())
	if !ok {
		return nil, "comment is not a command", nil
	}
	s := CommandSpec{Number: e.GetIssue().GetNumber(), CommentID: c.GetID(), Author: c.GetUser().GetLogin()}
	var ue *command.UsageError
	switch {
	case errors.As(err, &ue):
		s.UsageError = ue.Error()
	case err != nil:
		return nil, "", err
	default:
		s.Command = &cmd
	}
	attempts := 3
	if s.Command != nil && s.Command.Name.NeedsWrite() {
		attempts = 1 // apply and rollback change things: never run twice by accident
	}
	return []store.NewJob{{Kind: KindCommand, PR: s.Number, Spec: spec(s), MaxAttempts: attempts}}, "", nil
}

// runCommand answers a comment command: refusal for users without the permission it needs,
// the usage line for a malformed one, the command list for /help, and the command's flow otherwise.
func runCommand(ctx context.Context, t *task[CommandSpec]) (any, error) {
	s := t.Spec
	need := gh.PermissionRead
	if s.Command != nil && s.Command.Name.NeedsWrite() {
		need = gh.PermissionWrite
	}
	perm, err := t.GH.Permission(ctx, t.Repo, s.Author)
	if err != nil {
		return nil, fmt.Errorf("checking %s's permission on %s: %w", s.Author, t.Repo, err)
	}
	if !perm.AtLeast(need) {
		name := "this command"
		if s.Command != nil {
			name = "`/" + string(s.Command.Name) + "`"
		}
		t.Log.Info("command refused", "user", s.Author, "permission", perm.String(), "needs", need.String())
		return t.reply(ctx, fmt.Sprintf("@%s %s needs %s permission on this repository; you have %s.",
			s.Author, name, need, perm))
	}
	if s.UsageError != "" {
		return t.reply(ctx, s.UsageError)
	}
	switch s.Command.Name {
	case command.NameHelp:
		return t.reply(ctx, command.Help())
	case command.NameUnlock:
		return runUnlock(ctx, t)
	case command.NamePlan:
		return runPlanCommand(ctx, t, perm)
	case command.NameApply:
		return runApplyCommand(ctx, t)
	case command.NameRollback:
		return runRollbackCommand(ctx, t)
	}
	// The parser only accepts the commands above; a job queued by a newer gantry may carry another.
	return nil, fmt.Errorf("command /%s is not known to this version of gantry", s.Command.Name)
}

// reply posts a reply on the job's pull request.
func (t *task[S]) reply(ctx context.Context, body string) (any, error) {
	_, err := t.GH.Reply(ctx, t.Repo, t.Job.PR, body)
	return nil, err
}
