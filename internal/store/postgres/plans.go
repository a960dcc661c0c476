package postgres

import (
	"context"
	"fmt"

	"github.com/classla/gantry/internal/store"
)

// planColumns is the select list scanPlan reads, in its order.
const planColumns = `id, repo, pr, project, workspace, sha, changes, file, json,
	monthly_cost_delta, cost_exceeded, applicable, requested_by, created_at`

func scanPlan(r rowScanner) (store.Plan, error) {
	var p store.Plan
	err := r.Scan(&p.ID, &p.Repo, &p.PR, &p.Project, &p.Workspace, &p.SHA, &p.Changes, &p.File, &p.JSON,
		&p.MonthlyCostDelta, &p.CostExceeded, &p.Applicable, &p.RequestedBy, tsCol{&p.CreatedAt})
	return p, err
}

// SavePlan stores p and returns it with ID and CreatedAt set.
func (s *Store) SavePlan(ctx context.Context, p store.Plan) (store.Plan, error) {
	if p.Repo == "" || p.Project == "" {
		return store.Plan{}, fmt.Errorf("save plan: repo %q and project %q must both be set", p.Repo, p.Project)
	}
	p.CreatedAt = now()
	err := s.pool.QueryRow(ctx, `INSERT INTO plans (repo, pr, project, workspace, sha, changes, file, json,
		monthly_cost_delta, cost_exceeded, applicable, requested_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		p.Repo, p.PR, p.Project, p.Workspace, p.SHA, p.Changes, p.File, p.JSON, p.MonthlyCostDelta, p.CostExceeded,
		p.Applicable, p.RequestedBy, p.CreatedAt).Scan(&p.ID)
	if err != nil {
		return store.Plan{}, fmt.Errorf("save plan of %s PR #%d project %s: %w", p.Repo, p.PR, p.Project, err)
	}
	return p, nil
}

// LatestPlan returns the newest plan of project on pr, or store.ErrNotFound.
func (s *Store) LatestPlan(ctx context.Context, repo string, pr int, project string) (store.Plan, error) {
	p, err := scanPlan(s.pool.QueryRow(ctx, `SELECT `+planColumns+`
		FROM plans WHERE repo = $1 AND pr = $2 AND project = $3 ORDER BY id DESC LIMIT 1`, repo, pr, project))
	if err != nil {
		return store.Plan{}, notFound(err, fmt.Sprintf("plan of %s PR #%d project %s", repo, pr, project))
	}
	return p, nil
}

// PlanByID returns the plan with that id, or store.ErrNotFound.
func (s *Store) PlanByID(ctx context.Context, id int64) (store.Plan, error) {
	p, err := scanPlan(s.pool.QueryRow(ctx, `SELECT `+planColumns+` FROM plans WHERE id = $1`, id))
	if err != nil {
		return store.Plan{}, notFound(err, fmt.Sprintf("plan %d", id))
	}
	return p, nil
}

// DeletePlans removes every plan of pr in repo.
func (s *Store) DeletePlans(ctx context.Context, repo string, pr int) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM plans WHERE repo = $1 AND pr = $2", repo, pr); err != nil {
		return fmt.Errorf("delete plans of %s PR #%d: %w", repo, pr, err)
	}
	return nil
}

// DeletePlanFiles empties the plan files and JSON of pr's plans in repo, keeping their rows.
func (s *Store) DeletePlanFiles(ctx context.Context, repo string, pr int) error {
	if _, err := s.pool.Exec(ctx, "UPDATE plans SET file = NULL, json = NULL WHERE repo = $1 AND pr = $2", repo, pr); err != nil {
		return fmt.Errorf("delete the plan files of %s PR #%d: %w", repo, pr, err)
	}
	return nil
}
