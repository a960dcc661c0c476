package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/classla/gantry/internal/store"
)

// SavePlan stores p and returns it with ID and CreatedAt set.
func (s *Store) SavePlan(ctx context.Context, p store.Plan) (store.Plan, error) {
	if p.Repo == "" || p.Project == "" {
		return store.Plan{}, fmt.Errorf("save plan: repo %q and project %q must both be set", p.Repo, p.Project)
	}
	p.CreatedAt = now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO plans (repo, pr, project, workspace, sha, changes, file, json,
			monthly_cost_delta, cost_exceeded, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			p.Repo, p.PR, p.Project, p.Workspace, p.SHA, p.Changes, p.File, p.JSON, p.MonthlyCostDelta, p.CostExceeded,
			micros(p.CreatedAt)).Scan(&p.ID)
		if err != nil {
			return fmt.Errorf("save plan of %s PR #%d project %s: %w", p.Repo, p.PR, p.Project, err)
		}
		return nil
	})
	if err != nil {
		return store.Plan{}, err
	}
	return p, nil
}

// LatestPlan returns the newest plan of project on pr, or store.ErrNotFound.
func (s *Store) LatestPlan(ctx context.Context, repo string, pr int, project string) (store.Plan, error) {
	var p store.Plan
	err := s.db.QueryRowContext(ctx, `SELECT id, repo, pr, project, workspace, sha, changes, file, json,
		monthly_cost_delta, cost_exceeded, created_at
		FROM plans WHERE repo = ? AND pr = ? AND project = ? ORDER BY id DESC LIMIT 1`, repo, pr, project).
		Scan(&p.ID, &p.Repo, &p.PR, &p.Project, &p.Workspace, &p.SHA, &p.Changes, &p.File, &p.JSON,
			&p.MonthlyCostDelta, &p.CostExceeded, timeCol{&p.CreatedAt})
	if err != nil {
		return store.Plan{}, notFound(err, fmt.Sprintf("plan of %s PR #%d project %s", repo, pr, project))
	}
	return p, nil
}

// DeletePlans removes every plan of pr in repo.
func (s *Store) DeletePlans(ctx context.Context, repo string, pr int) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM plans WHERE repo = ? AND pr = ?", repo, pr); err != nil {
			return fmt.Errorf("delete plans of %s PR #%d: %w", repo, pr, err)
		}
		return nil
	})
}
