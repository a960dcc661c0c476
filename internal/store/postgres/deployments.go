package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/classla/gantry/internal/store"
)

const deploymentColumns = `id, repo, service, sha, pr, actor, image, image_digest, task_def_before, task_def_after,
	state, COALESCE(rollback_of, 0), github_deployment_id, error, created_at, started_at, finished_at`

func scanDeployment(r rowScanner) (store.Deployment, error) {
	var d store.Deployment
	err := r.Scan(&d.ID, &d.Repo, &d.Service, &d.SHA, &d.PR, &d.Actor, &d.Image, &d.ImageDigest, &d.TaskDefBefore,
		&d.TaskDefAfter, &d.State, &d.RollbackOf, &d.GitHubDeploymentID, &d.Error,
		tsCol{&d.CreatedAt}, tsCol{&d.StartedAt}, tsCol{&d.FinishedAt})
	return d, err
}

// CreateDeployment stores d and returns it with ID and CreatedAt set.
func (s *Store) CreateDeployment(ctx context.Context, d store.Deployment) (store.Deployment, error) {
	if d.Repo == "" || d.Service == "" {
		return store.Deployment{}, fmt.Errorf("create deployment: repo %q and service %q must both be set", d.Repo, d.Service)
	}
	created, err := scanDeployment(s.pool.QueryRow(ctx, `INSERT INTO deployments
		(repo, service, sha, pr, actor, image, image_digest, task_def_before, task_def_after, state,
		 rollback_of, github_deployment_id, error, created_at, started_at, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING `+deploymentColumns,
		d.Repo, d.Service, d.SHA, d.PR, d.Actor, d.Image, d.ImageDigest, d.TaskDefBefore, d.TaskDefAfter, d.State,
		nullIfZero(d.RollbackOf), d.GitHubDeploymentID, validText(d.Error), now(), ts(d.StartedAt), ts(d.FinishedAt)))
	if err != nil && d.RollbackOf != 0 && isForeignKeyError(err) {
		return store.Deployment{}, fmt.Errorf("create deployment of %s: it rolls back deployment %d, which does not exist: %w", d.Service, d.RollbackOf, err)
	}
	if err != nil {
		return store.Deployment{}, fmt.Errorf("create deployment of %s: %w", d.Service, err)
	}
	return created, nil
}

// UpdateDeployment overwrites the mutable fields of deployment d.ID: state, image and digest,
// task definitions, GitHub deployment id, error and the start and finish times.
func (s *Store) UpdateDeployment(ctx context.Context, d store.Deployment) error {
	tag, err := s.pool.Exec(ctx, `UPDATE deployments SET state = $1, image = $2, image_digest = $3,
		task_def_before = $4, task_def_after = $5, github_deployment_id = $6, error = $7, started_at = $8, finished_at = $9
		WHERE id = $10`,
		d.State, d.Image, d.ImageDigest, d.TaskDefBefore, d.TaskDefAfter, d.GitHubDeploymentID, validText(d.Error),
		ts(d.StartedAt), ts(d.FinishedAt), d.ID)
	if err != nil {
		return fmt.Errorf("update deployment %d: %w", d.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("update deployment %d: %w", d.ID, store.ErrNotFound)
	}
	return nil
}

// GetDeployment returns deployment id, or store.ErrNotFound.
func (s *Store) GetDeployment(ctx context.Context, id int64) (store.Deployment, error) {
	d, err := scanDeployment(s.pool.QueryRow(ctx, "SELECT "+deploymentColumns+" FROM deployments WHERE id = $1", id))
	if err != nil {
		return store.Deployment{}, notFound(err, fmt.Sprintf("deployment %d", id))
	}
	return d, nil
}

// ListDeployments returns the deployments of service in repo, newest first (limit<=0: all);
// an empty repo or service matches every one.
func (s *Store) ListDeployments(ctx context.Context, repo, service string, limit int) ([]store.Deployment, error) {
	// Conditions are left out rather than made optional, so the (repo, service, id) index serves.
	q := "SELECT " + deploymentColumns + " FROM deployments WHERE TRUE"
	var args []any
	if repo != "" {
		args = append(args, repo)
		q += " AND repo = $" + strconv.Itoa(len(args))
	}
	if service != "" {
		args = append(args, service)
		q += " AND service = $" + strconv.Itoa(len(args))
	}
	q += " ORDER BY id DESC"
	if limit > 0 {
		args = append(args, limit)
		q += " LIMIT $" + strconv.Itoa(len(args))
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list deployments of %s in %s: %w", service, repo, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Deployment, error) { return scanDeployment(r) })
	if err != nil {
		return nil, fmt.Errorf("list deployments of %s in %s: %w", service, repo, err)
	}
	return out, nil
}
