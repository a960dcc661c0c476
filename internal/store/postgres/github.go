package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/classla/gantry/internal/store"
)

// RecordGitHubObject stores or updates what a job opened on GitHub.
func (s *Store) RecordGitHubObject(ctx context.Context, o store.GitHubObject) error {
	if err := o.Check(); err != nil {
		return err
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO github_objects (job_id, kind, github_id, name, closed, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (job_id, kind, github_id) DO UPDATE SET
				name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE github_objects.name END,
				closed = github_objects.closed OR excluded.closed`,
			o.JobID, o.Kind, o.ID, o.Name, o.Closed, now())
		if isForeignKeyError(err) {
			return fmt.Errorf("record %s %d of job %d: %w", o.Kind, o.ID, o.JobID, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("record %s %d of job %d: %w", o.Kind, o.ID, o.JobID, err)
		}
		return nil
	})
}

// LeftOpen returns failed or canceled jobs that still have a GitHub object open.
func (s *Store) LeftOpen(ctx context.Context, limit int) ([]store.Job, error) {
	jobs, err := scanJobs(s.pool.Query(ctx, "SELECT "+jobColumns+` FROM jobs WHERE state IN ($1, $2) AND (
		EXISTS (SELECT 1 FROM github_objects o WHERE o.job_id = jobs.id AND NOT o.closed)
		OR (state = $1 AND pr <> 0 AND (strpos(error, $3) > 0 OR strpos(error, $4) > 0)
			AND NOT EXISTS (SELECT 1 FROM github_objects o WHERE o.job_id = jobs.id AND o.name = $5)))
		ORDER BY id LIMIT $6`,
		string(store.Failed), string(store.Canceled), store.CutOffPhrases[0], store.CutOffPhrases[1], store.CutOffReport, limit))
	if err != nil {
		return nil, fmt.Errorf("list jobs that left GitHub objects open: %w", err)
	}
	return jobs, nil
}

// GitHubObjects returns what job jobID opened on GitHub, oldest first.
func (s *Store) GitHubObjects(ctx context.Context, jobID int64) ([]store.GitHubObject, error) {
	rows, err := s.pool.Query(ctx, `SELECT job_id, kind, github_id, name, closed, created_at
		FROM github_objects WHERE job_id = $1 ORDER BY seq`, jobID)
	if err != nil {
		return nil, fmt.Errorf("list what job %d opened on GitHub: %w", jobID, err)
	}
	defer rows.Close()
	var out []store.GitHubObject
	for rows.Next() {
		var o store.GitHubObject
		if err := rows.Scan(&o.JobID, &o.Kind, &o.ID, &o.Name, &o.Closed, tsCol{&o.CreatedAt}); err != nil {
			return nil, fmt.Errorf("list what job %d opened on GitHub: %w", jobID, err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
