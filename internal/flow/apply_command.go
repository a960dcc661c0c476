package flow

import (
	"context"
)

// runApplyCommand answers `/apply [-p NAME]... [--confirm-drift] [--confirm-cost]`. On a merged
// pull request it applies its projects at the merge commit again — releasing a held apply when
// confirmed, or retrying a failed one.
func runApplyCommand(ctx context.Context, t *task[CommandSpec]) (any, error) {
	s, cmd := t.Spec, t.Spec.Command
	pr, err := t.GH.PullRequest(ctx, t.Repo, s.Number)
	if err != nil {
		return nil, err
	}
	cfg, answered, res, err := commandConfig(ctx, t, "gantry has no projects to apply.")
	if answered {
		return res, err
	}
	if !pr.Merged {
		return applyBeforeMerge(ctx, t, cfg, pr)
	}
	var specs []ApplySpec
	if len(cmd.Projects) > 0 {
		if refusal := unknownProjects(cfg, cmd.Projects); refusal != "" {
			return t.reply(ctx, refusal)
		}
		for _, n := range cmd.Projects {
			p, _ := cfg.Project(n)
			specs = append(specs, ApplySpec{Project: *p})
		}
	} else {
		files, err := t.GH.PullRequestFiles(ctx, t.Repo, s.Number)
		if err != nil {
			return nil, err
		}
		specs = applySpecs(cfg, files, 0, "", "", "")
	}
	if len(specs) == 0 {
		return t.reply(ctx, "No project of this pull request applies on merge; name one with `/apply -p NAME` (projects: "+
			projectList(cfg)+").")
	}
	for i := range specs {
		specs[i].Number, specs[i].SHA, specs[i].Trigger, specs[i].RequestedBy = s.Number, pr.MergeCommitSHA, "comment", s.Author
		specs[i].ConfirmDrift, specs[i].ConfirmCost = cmd.ConfirmDrift, cmd.ConfirmCost
	}
	jobs, err := enqueueApplies(ctx, t.Store, t.Job, specs)
	if err != nil {
		return nil, err
	}
	return prResult{Projects: projectNames(specs), Jobs: jobs}, nil
}
