package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/classla/gantry/internal/store"
)

// runnerJobColumns is the select list scanRunnerJob reads, in its order.
const runnerJobColumns = `job_id, ref, environment, run_id, dispatched_at, claimed_at, heartbeat_at, token_hash`

func scanRunnerJob(dest *store.RunnerJob) []any {
	return []any{&dest.JobID, &dest.Ref, &dest.Environment, &dest.RunID,
		timeCol{&dest.DispatchedAt}, timeCol{&dest.ClaimedAt}, timeCol{&dest.HeartbeatAt}, &dest.TokenHash}
}

// newRunnerRef returns 16 random bytes in hex: a reference nobody can guess from a job's id.
func newRunnerRef() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// DispatchJob records the dispatch of job jobID into environment and returns its ref. The
// primary key on job_id makes a second dispatch of a job fail, across processes.
func (s *Store) DispatchJob(ctx context.Context, jobID int64, environment string) (string, error) {
	if environment == "" {
		return "", fmt.Errorf("dispatch job %d: environment is empty: name the GitHub environment the job runs in", jobID)
	}
	ref := newRunnerRef()
	err := s.write(ctx, func(tx *sql.Tx) error {
		var inserted int64
		err := tx.QueryRowContext(ctx, `INSERT INTO runner_jobs (job_id, ref, environment, dispatched_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING RETURNING job_id`,
			jobID, ref, environment, micros(now())).Scan(&inserted)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("dispatch job %d: %w", jobID, store.ErrAlreadyDispatched)
		case isForeignKeyError(err):
			return fmt.Errorf("dispatch job %d: %w", jobID, store.ErrNotFound)
		case err != nil:
			return fmt.Errorf("dispatch job %d: %w", jobID, err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return ref, nil
}

// SetRunID records the workflow run of the dispatch ref.
func (s *Store) SetRunID(ctx context.Context, ref string, runID int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runner_jobs SET run_id = ? WHERE ref = ?`, runID, ref)
		if err != nil {
			return fmt.Errorf("set run of dispatched job %s: %w", ref, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("set run of dispatched job %s: %w", ref, err)
		} else if n == 0 {
			return fmt.Errorf("set run of dispatched job %s: %w", ref, store.ErrNotFound)
		}
		return nil
	})
}

// RunnerJobByRef returns the dispatch ref and its job.
func (s *Store) RunnerJobByRef(ctx context.Context, ref string) (store.RunnerJob, store.Job, error) {
	return runnerJobByRef(ctx, s.db, ref)
}

// queryRower is *sql.DB or *sql.Tx.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func runnerJobByRef(ctx context.Context, q queryRower, ref string) (store.RunnerJob, store.Job, error) {
	var rj store.RunnerJob
	if err := q.QueryRowContext(ctx, "SELECT "+runnerJobColumns+" FROM runner_jobs WHERE ref = ?", ref).
		Scan(scanRunnerJob(&rj)...); err != nil {
		return store.RunnerJob{}, store.Job{}, notFound(err, "dispatched job "+ref)
	}
	j, err := scanJob(q.QueryRowContext(ctx, "SELECT "+jobColumns+" FROM jobs WHERE id = ?", rj.JobID))
	if err != nil {
		return store.RunnerJob{}, store.Job{}, notFound(err, fmt.Sprintf("job %d of dispatch %s", rj.JobID, ref))
	}
	return rj, j, nil
}

// ClaimRunnerJob records the claim of ref. The update only matches an unclaimed row of a job
// that has not ended, and runs in a write transaction, so exactly one claim succeeds; the
// others read the row to say why theirs did not.
func (s *Store) ClaimRunnerJob(ctx context.Context, ref, tokenHash string) error {
	if tokenHash == "" {
		return fmt.Errorf("claim dispatched job %s: token hash is empty: store the hash of the job token given to the runner", ref)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		t := micros(now())
		res, err := tx.ExecContext(ctx, `UPDATE runner_jobs SET claimed_at = ?, heartbeat_at = ?, token_hash = ?
			WHERE ref = ? AND claimed_at IS NULL
			AND (SELECT state FROM jobs WHERE id = runner_jobs.job_id) NOT IN (?, ?, ?)`,
			t, t, tokenHash, ref, store.Succeeded, store.Failed, store.Canceled)
		if err != nil {
			return fmt.Errorf("claim dispatched job %s: %w", ref, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("claim dispatched job %s: %w", ref, err)
		}
		if n == 1 {
			return nil
		}
		rj, j, err := runnerJobByRef(ctx, tx, ref)
		switch {
		case err != nil:
			return fmt.Errorf("claim: %w", err)
		case !rj.ClaimedAt.IsZero():
			return fmt.Errorf("claim dispatched job %s: %w at %s", ref, store.ErrAlreadyClaimed, rj.ClaimedAt.Format("2006-01-02T15:04:05.000000Z07:00"))
		default:
			return fmt.Errorf("claim dispatched job %s: job %d is %s: %w", ref, j.ID, j.State, store.ErrJobEnded)
		}
	})
}

// RunnerHeartbeat records a heartbeat of the runner holding the claim of ref.
func (s *Store) RunnerHeartbeat(ctx context.Context, ref, tokenHash string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runner_jobs SET heartbeat_at = ?
			WHERE ref = ? AND token_hash = ? AND token_hash <> '' AND claimed_at IS NOT NULL
			AND (SELECT state FROM jobs WHERE id = runner_jobs.job_id) NOT IN (?, ?, ?)`,
			micros(now()), ref, tokenHash, store.Succeeded, store.Failed, store.Canceled)
		if err != nil {
			return fmt.Errorf("heartbeat of dispatched job %s: %w", ref, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("heartbeat of dispatched job %s: %w", ref, err)
		}
		if n == 0 {
			return fmt.Errorf("heartbeat of dispatched job %s: %w: not claimed with this token, or the job has ended", ref, store.ErrLeaseLost)
		}
		return nil
	})
}
