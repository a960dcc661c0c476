package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/classla/gantry/internal/store"
)

const deploymentColumns = `id, repo, service, sha, pr, actor, image, image_digest, task_def_before, task_def_after,
	state, COALESCE(rollback_of, 0), github_deployment_id, error, created_at, started_at, finished_at`

func scanDeployment(r rowScanner) (store.Deployment, error) {
	var d store.Deployment
	err := r.Scan(&d.ID, &d.Repo, &d.Service, &d.SHA, &d.PR, &d.Actor, &d.Image, &d.ImageDigest, &d.TaskDefBefore,
		&d.TaskDefAfter, &d.State, &d.RollbackOf, &d.GitHubDeploymentID, &d.Error,
		timeCol{&d.CreatedAt}, timeCol{&d.StartedAt}, timeCol{&d.FinishedAt})
	return d, err
}

// CreateDeployment stores d and returns it with ID and CreatedAt set.
func (s *Store) CreateDeployment(ctx context.Context, d store.Deployment) (store.Deployment, error) {
	if d.Repo == "" || d.Service == "" {
		return store.Deployment{}, fmt.Errorf("create deployment: repo %q and service %q must both be set", d.Repo, d.Service)
	}
	var created store.Deployment
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		created, err = scanDeployment(tx.QueryRowContext(ctx, `INSERT INTO deployments
			(repo, service, sha, pr, actor, image, image_digest, task_def_before, task_def_after, state,
			 rollback_of, github_deployment_id, error, created_at, started_at, finished_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+deploymentColumns,
			d.Repo, d.Service, d.SHA, d.PR, d.Actor, d.Image, d.ImageDigest, d.TaskDefBefore, d.TaskDefAfter, d.State,
			nullIfZero(d.RollbackOf), d.GitHubDeploymentID, d.Error, micros(now()), micros(d.StartedAt), micros(d.FinishedAt)))
		if err != nil && d.RollbackOf != 0 && isForeignKeyError(err) {
			return fmt.Errorf("create deployment of %s: it rolls back deployment %d, which does not exist: %w", d.Service, d.RollbackOf, err)
		}
		if err != nil {
			return fmt.Errorf("create deployment of %s: %w", d.Service, err)
		}
		return nil
	})
	if err != nil {
		return store.Deployment{}, err
	}
	return created, nil
}

// UpdateDeployment overwrites the mutable fields of deployment d.ID: state, image and digest,
// task definitions, GitHub deployment id, error and the start and finish times.
func (s *Store) UpdateDeployment(ctx context.Context, d store.Deployment) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE deployments SET state = ?, image = ?, image_digest = ?,
			task_def_before = ?, task_def_after = ?, github_deployment_id = ?, error = ?, started_at = ?, finished_at = ?
			WHERE id = ?`,
			d.State, d.Image, d.ImageDigest, d.TaskDefBefore, d.TaskDefAfter, d.GitHubDeploymentID, d.Error,
			micros(d.StartedAt), micros(d.FinishedAt), d.ID)
		if err != nil {
			return fmt.Errorf("update deployment %d: %w", d.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("update deployment %d: %w", d.ID, err)
		}
		if n == 0 {
			return fmt.Errorf("update deployment %d: %w", d.ID, store.ErrNotFound)
		}
		return nil
	})
}

// GetDeployment returns deployment id, or store.ErrNotFound.
func (s *Store) GetDeployment(ctx context.Context, id int64) (store.Deployment, error) {
	d, err := scanDeployment(s.db.QueryRowContext(ctx, "SELECT "+deploymentColumns+" FROM deployments WHERE id = ?", id))
	if err != nil {
		return store.Deployment{}, notFound(err, fmt.Sprintf("deployment %d", id))
	}
	return d, nil
}

// ListDeployments returns the deployments of service in repo, newest first (limit<=0: all);
// an empty repo or service matches every one.
func (s *Store) ListDeployments(ctx context.Context, repo, service string, limit int) ([]store.Deployment, error) {
	// Conditions are left out rather than made optional, so the (repo, service, id) index serves.
	q := "SELECT " + deploymentColumns + " FROM deployments WHERE 1=1"
	var args []any
	if repo != "" {
		q += " AND repo = ?"
		args = append(args, repo)
	}
	if service != "" {
		q += " AND service = ?"
		args = append(args, service)
	}
	q += " ORDER BY id DESC"
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list deployments of %s in %s: %w", service, repo, err)
	}
	defer rows.Close()
	var out []store.Deployment
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			return nil, fmt.Errorf("list deployments of %s in %s: %w", service, repo, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deployments of %s in %s: %w", service, repo, err)
	}
	return out, nil
}
