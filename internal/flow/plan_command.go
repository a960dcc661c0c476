package flow

import (
	"context"
	"fmt"
	"strings"

	"github.com/classla/gantry/internal/config"
)

// runPlanCommand answers `/plan [-p NAME]... [-- ARGS]`: the named projects, or those the pull
// request's files affect, are planned at its head commit.
func runPlanCommand(ctx context.Context, t *task[CommandSpec]) (any, error) {
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
	specs := make([]PlanSpec, len(names))
	for i, n := range names {
		p, _ := cfg.Project(n)
		specs[i] = PlanSpec{Number: s.Number, HeadSHA: pr.HeadSHA, Trigger: "comment", RequestedBy: s.Author,
			Project: *p, Args: cmd.Args}
	}
	jobs, err := enqueuePlans(ctx, t.Store, t.Job, specs)
	if err != nil {
		return nil, err
	}
	return prResult{Projects: names, Jobs: jobs}, nil
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
