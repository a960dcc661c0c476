package flow

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// runUnlock releases the locks the pull request holds (all, or those of the named projects)
// and, when all are released, discards its saved plans: other pull requests can then plan.
func runUnlock(ctx context.Context, t *task[CommandSpec]) (any, error) {
	s := t.Spec
	locks, err := t.Store.ListLocks(ctx, t.Repo.String())
	if err != nil {
		return nil, fmt.Errorf("listing the locks of %s: %w", t.Repo, err)
	}
	var released []string
	for _, l := range locks {
		if l.PR != s.Number || (len(s.Command.Projects) > 0 && !slices.Contains(s.Command.Projects, l.Project)) {
			continue
		}
		if err := t.Store.ReleaseLock(ctx, l.Repo, l.Project, l.Workspace, l.PR); err != nil {
			return nil, fmt.Errorf("releasing the lock of %s on %s: %w", l.Project, t.Repo, err)
		}
		released = append(released, fmt.Sprintf("`%s` (workspace `%s`)", l.Project, l.Workspace))
	}
	if len(s.Command.Projects) == 0 {
		if err := t.Store.DeletePlans(ctx, t.Repo.String(), s.Number); err != nil {
			return nil, fmt.Errorf("discarding the plans of %s#%d: %w", t.Repo, s.Number, err)
		}
	}
	if len(released) == 0 {
		return t.reply(ctx, "🔓 This pull request holds no locks"+forProjects(s.Command.Projects)+"; nothing to release.")
	}
	return t.reply(ctx, "🔓 Released "+strings.Join(released, ", ")+". Other pull requests can plan "+
		"these projects now; comment `/plan` here to plan (and lock) again.")
}

func forProjects(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return " on " + strings.Join(names, ", ")
}
