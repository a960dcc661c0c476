package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/classla/gantry/internal/command"
	"github.com/classla/gantry/internal/config"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/store"
)

// runPlanCommand answers `/plan [-p NAME]... [-- ARGS]`: the named projects, or those the pull
// request's files affect, are planned at its head commit. perm is the commenter's permission, as
// the command's check just read it.
func runPlanCommand(ctx context.Context, t *task[CommandSpec], perm gh.Permission) (any, error) {
	s, cmd := t.Spec, t.Spec.Command
	pr, err := t.GH.PullRequest(ctx, t.Repo, s.Number)
	if err != nil {
		return nil, err
	}
	if pr.State != "open" {
		return t.reply(ctx, "This pull request is closed; gantry plans open pull requests only.")
	}
	if pr.HeadRepo != t.Repo.String() && !t.Policy.AllowForkPRs {
		return t.reply(ctx, "🔒 gantry does not plan pull requests from forks (the plan would run this pull request's "+
			"code with the project's AWS role). Push the branch to this repository instead, or ask the server's operator "+
			"to set `GANTRY_ALLOW_FORK_PRS=true`.")
	}
	cfg, answered, res, err := commandConfig(ctx, t, "gantry has no projects to plan.")
	if answered {
		return res, err
	}
	var names []string
	if len(cmd.Projects) > 0 {
		if refusal := unknownProjects(cfg, cmd.Projects); refusal != "" {
			return t.reply(ctx, refusal)
		}
		names = cmd.Projects
	} else {
		files, err := t.GH.PullRequestFiles(ctx, t.Repo, s.Number)
		if err != nil {
			return nil, err
		}
		if names = affectedProjects(cfg, files); len(names) == 0 {
			return t.reply(ctx, "No project is affected by the files of this pull request. To plan one anyway: "+
				"`/plan -p NAME` (projects: "+projectList(cfg)+").")
		}
	}
	// A reader may plan, but never apply nor lock: the plan is theirs, arguments included.
	applicable := perm.AtLeast(gh.PermissionWrite)
	var refusals []string
	var specs []PlanSpec
	for _, n := range names {
		p, _ := cfg.Project(n)
		if why := command.VarFileOutside(cmd.Args, p.Dir); why != "" {
			refusals = append(refusals, "`"+n+"`: "+why)
			continue
		}
		if !applicable {
			why, err := readerLocked(ctx, t, *p)
			if err != nil {
				return nil, err
			}
			if why != "" {
				refusals = append(refusals, why)
				continue
			}
		}
		specs = append(specs, PlanSpec{Number: s.Number, HeadSHA: pr.HeadSHA, Trigger: "comment", RequestedBy: s.Author,
			Project: *p, Args: cmd.Args, Applicable: applicable})
	}
	if len(refusals) > 0 {
		if _, err := t.reply(ctx, strings.Join(refusals, "\n")); err != nil {
			return nil, err
		}
	}
	jobs, err := enqueuePlans(ctx, t.Store, t.Job, specs)
	if err != nil {
		return nil, err
	}
	planned := make([]string, len(specs))
	for i, sp := range specs {
		planned[i] = sp.Project.Name
	}
	return prResult{Projects: planned, Jobs: jobs}, nil
}

// readerLocked is the refusal of a reader's plan of a project another pull request has locked
// ("" when no other pull request holds the lock): a reader's plan never waits for a lock or takes
// one, so a reader cannot hold a project with a plan on a stale pull request.
func readerLocked(ctx context.Context, t *task[CommandSpec], p config.Project) (string, error) {
	l, err := t.Store.GetLock(ctx, t.Repo.String(), p.Name, p.Workspace)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("reading the lock of %s: %w", p.Name, err)
	case l.PR == t.Spec.Number:
		return "", nil
	}
	return fmt.Sprintf("`%s` is locked by #%d, so it was not planned: a plan asked for without write permission never "+
		"takes or waits for a lock. Plan it again once #%d is merged or closed, or ask someone with write permission "+
		"to comment `/plan -p %s`.", p.Name, l.PR, l.PR, p.Name), nil
}

// commandConfig reads .gantry.yaml for a command. When it is broken or missing, the command is
// answered here: answered is true, and res and err are the command's outcome.
func commandConfig(ctx context.Context, t *task[CommandSpec], missing string) (cfg *config.Repo, answered bool, res any, err error) {
	cfg, problem, err := t.loadConfig(ctx)
	switch {
	case err != nil:
		return nil, true, nil, err
	case problem != "":
		return nil, true, prResult{ConfigProblem: problem}, nil
	case cfg == nil:
		res, err := t.reply(ctx, "This repository has no `"+ConfigFile+"` on its default branch, so "+missing)
		return nil, true, res, err
	}
	return cfg, false, nil, nil
}

// unknownProjects is the reply to names that are not projects of cfg, or "" when all are.
func unknownProjects(cfg *config.Repo, names []string) string {
	var unknown []string
	for _, n := range names {
		if _, ok := cfg.Project(n); !ok {
			unknown = append(unknown, "`"+n+"`")
		}
	}
	if len(unknown) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: no such project in `%s`. The projects are %s.", strings.Join(unknown, ", "), ConfigFile, projectList(cfg))
}

func projectList(cfg *config.Repo) string {
	if len(cfg.Projects) == 0 {
		return "none"
	}
	names := make([]string, len(cfg.Projects))
	for i, p := range cfg.Projects {
		names[i] = "`" + p.Name + "`"
	}
	return strings.Join(names, ", ")
}
