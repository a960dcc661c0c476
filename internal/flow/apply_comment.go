package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/classla/gantry/internal/config"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/store"
)

// applyBeforeMerge answers `/apply` on an open pull request: the projects with `apply.on:
// comment` apply the plan saved for the pull request's head commit, once every condition of
// `apply.requires` holds. A plan of an older commit is refused: it is not what is being merged.
func applyBeforeMerge(ctx context.Context, t *task[CommandSpec], cfg *config.Repo, pr gh.PullRequest) (any, error) {
	s, cmd := t.Spec, t.Spec.Command
	var projects []config.Project
	for _, p := range cfg.Projects {
		named := len(cmd.Projects) == 0 || slices.Contains(cmd.Projects, p.Name)
		if named && p.Apply.On == config.ApplyOnComment {
			projects = append(projects, p)
		}
	}
	if len(projects) == 0 {
		return t.reply(ctx, "No project here applies on `/apply` (`apply.on: comment`): this pull request is applied "+
			"when it is merged.")
	}
	var refusals []string
	var specs []ApplySpec
	for _, p := range projects {
		saved, err := t.Store.LatestPlan(ctx, t.Repo.String(), s.Number, p.Name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			refusals = append(refusals, fmt.Sprintf("`%s` has no plan on this pull request: comment `/plan -p %s` first.", p.Name, p.Name))
			continue
		case err != nil:
			return nil, err
		case saved.SHA != pr.HeadSHA:
			refusals = append(refusals, fmt.Sprintf("`%s` was last planned at `%s`, but the head is `%s`: comment `/plan -p %s` "+
				"and apply that plan.", p.Name, short(saved.SHA), short(pr.HeadSHA), p.Name))
			continue
		case saved.CostExceeded && !cmd.ConfirmCost:
			refusals = append(refusals, fmt.Sprintf("`%s` raises the monthly cost above its limit: `/apply -p %s --confirm-cost` to apply it anyway.", p.Name, p.Name))
			continue
		}
		unmet, err := unmetRequirements(ctx, t, p, pr)
		if err != nil {
			return nil, err
		}
		if len(unmet) > 0 {
			refusals = append(refusals, fmt.Sprintf("`%s` cannot be applied yet: %s.", p.Name, strings.Join(unmet, "; ")))
			continue
		}
		specs = append(specs, ApplySpec{Number: s.Number, SHA: pr.HeadSHA, Trigger: "comment", RequestedBy: s.Author,
			Project: p, SavedPlan: true, ConfirmCost: cmd.ConfirmCost})
	}
	if len(refusals) > 0 {
		if _, err := t.reply(ctx, strings.Join(refusals, "\n")); err != nil {
			return nil, err
		}
	}
	jobs, err := enqueueApplies(ctx, t.Store, t.Job, specs)
	if err != nil {
		return nil, err
	}
	return prResult{Projects: projectNames(specs), Jobs: jobs}, nil
}

// unmetRequirements says which of the project's apply.requires the pull request does not meet.
func unmetRequirements(ctx context.Context, t *task[CommandSpec], p config.Project, pr gh.PullRequest) ([]string, error) {
	var unmet []string
	for _, r := range p.Apply.Requires {
		switch r {
		case config.RequireApproved:
			ok, _, err := t.GH.Approved(ctx, t.Repo, pr.Number, pr.User)
			if err != nil {
				return nil, err
			}
			if !ok {
				unmet = append(unmet, "it needs an approving review from someone other than its author")
			}
		case config.RequireMergeable:
			if pr.MergeableState != "clean" && pr.MergeableState != "unstable" && pr.MergeableState != "has_hooks" {
				unmet = append(unmet, fmt.Sprintf("GitHub says it is not mergeable (%s)", pr.MergeableState))
			}
		case config.RequireUndiverged:
			behind, err := t.GH.Diverged(ctx, t.Repo, pr.BaseRef, pr.HeadSHA)
			if err != nil {
				return nil, err
			}
			if behind > 0 {
				unmet = append(unmet, fmt.Sprintf("it is %d commit(s) behind `%s`: merge or rebase it, then `/plan`", behind, pr.BaseRef))
			}
		}
	}
	return unmet, nil
}
