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
// The log is left out: it can be megabytes, and only RunnerLog reads it.
const runnerJobColumns = `job_id, ref, environment, run_id, dispatched_at, claimed_at, heartbeat_at, token_hash,
	reported_at, result, result_error, run_conclusion, run_url, run_ended_at, log_truncated`

func scanRunnerJob(dest *store.RunnerJob) []any {
	return []any{&dest.JobID, &dest.Ref, &dest.Environment, &dest.RunID,
		timeCol{&dest.DispatchedAt}, timeCol{&dest.ClaimedAt}, timeCol{&dest.HeartbeatAt}, &dest.TokenHash,
		timeCol{&dest.ReportedAt}, &dest.Result, &dest.ResultError, &dest.RunConclusion, &dest.RunURL,
		timeCol{&dest.RunEndedAt}, &dest.LogTruncated}
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
		res, err := tx.ExecContext(ctx, `UPDATE runner_jobs SET heartbeat_at = ? WHERE ref = ? AND `+liveClaim,
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

// liveClaim is the condition under which the runner presenting a token hash may act on a row:
// the row is claimed with that (non-empty) hash and its job has not ended. Its three
// parameters are the final states.
const liveClaim = `token_hash = ? AND token_hash <> '' AND claimed_at IS NOT NULL
	AND (SELECT state FROM jobs WHERE id = runner_jobs.job_id) NOT IN (?, ?, ?)`

// RunnerJob returns the runner side of job jobID.
func (s *Store) RunnerJob(ctx context.Context, jobID int64) (store.RunnerJob, error) {
	var rj store.RunnerJob
	if err := s.db.QueryRowContext(ctx, "SELECT "+runnerJobColumns+" FROM runner_jobs WHERE job_id = ?", jobID).
		Scan(scanRunnerJob(&rj)...); err != nil {
		return store.RunnerJob{}, notFound(err, fmt.Sprintf("dispatch of job %d", jobID))
	}
	return rj, nil
}

// ReportRunnerJob records the result of ref. The update only matches a claimed, unreported row
// of a live job held with tokenHash, and runs in a write transaction, so one report succeeds;
// the others read the row to say why theirs did not.
func (s *Store) ReportRunnerJob(ctx context.Context, ref, tokenHash string, result []byte, errText string) error {
	if result == nil {
		result = []byte{} // NULL means "not reported"; reported_at says so too, but keep the two in step
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runner_jobs SET result = ?, result_error = ?, reported_at = ?
			WHERE ref = ? AND reported_at IS NULL AND `+liveClaim,
			result, errText, micros(now()), ref, tokenHash, store.Succeeded, store.Failed, store.Canceled)
		if err != nil {
			return fmt.Errorf("record result of dispatched job %s: %w", ref, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("record result of dispatched job %s: %w", ref, err)
		}
		if n == 1 {
			return nil
		}
		var held string
		var reported bool
		err = tx.QueryRowContext(ctx, `SELECT token_hash, reported_at IS NOT NULL FROM runner_jobs WHERE ref = ?`, ref).
			Scan(&held, &reported)
		switch {
		case err != nil:
			return notFound(err, "dispatched job "+ref)
		case reported && held == tokenHash && tokenHash != "":
			return fmt.Errorf("record result of dispatched job %s: %w", ref, store.ErrAlreadyReported)
		default:
			return fmt.Errorf("record result of dispatched job %s: %w: not claimed with this token, or the job has ended", ref, store.ErrLeaseLost)
		}
	})
}

// AppendRunnerLog appends to the log of ref. The cut is made by the update itself, from the
// stored length, so concurrent appends never keep more than maxBytes. CAST keeps the log a
// BLOB: SQLite's || makes text, whose length counts characters, not bytes.
func (s *Store) AppendRunnerLog(ctx context.Context, ref, tokenHash string, chunk []byte, maxBytes int) error {
	if maxBytes <= 0 {
		return fmt.Errorf("append to the log of dispatched job %s: the log cap is %d: give a positive number of bytes", ref, maxBytes)
	}
	if chunk == nil {
		chunk = []byte{}
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runner_jobs SET
			log = CASE WHEN length(log) >= ?1 THEN log ELSE CAST(log || substr(?2, 1, ?1 - length(log)) AS BLOB) END,
			log_truncated = log_truncated OR length(log) + length(?2) > ?1,
			heartbeat_at = ?3
			WHERE ref = ?4 AND token_hash = ?5 AND token_hash <> '' AND claimed_at IS NOT NULL
			AND (SELECT state FROM jobs WHERE id = runner_jobs.job_id) NOT IN (?6, ?7, ?8)`,
			maxBytes, chunk, micros(now()), ref, tokenHash, store.Succeeded, store.Failed, store.Canceled)
		if err != nil {
			return fmt.Errorf("append to the log of dispatched job %s: %w", ref, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("append to the log of dispatched job %s: %w", ref, err)
		}
		if n == 0 {
			return fmt.Errorf("append to the log of dispatched job %s: %w: not claimed with this token, or the job has ended", ref, store.ErrLeaseLost)
		}
		return nil
	})
}

// RunnerLog returns the log of job jobID.
func (s *Store) RunnerLog(ctx context.Context, jobID int64) ([]byte, bool, error) {
	var log []byte
	var truncated bool
	if err := s.db.QueryRowContext(ctx, `SELECT log, log_truncated FROM runner_jobs WHERE job_id = ?`, jobID).
		Scan(&log, &truncated); err != nil {
		return nil, false, notFound(err, fmt.Sprintf("log of the dispatch of job %d", jobID))
	}
	return log, truncated, nil
}

// EndRunnerRun records the end of run runID. GitHub sends a completed event per run and per
// job of the run, and may send each again: only the first is recorded.
func (s *Store) EndRunnerRun(ctx context.Context, runID int64, conclusion, url string) (int64, error) {
	if runID == 0 {
		return 0, fmt.Errorf("end of workflow run 0: %w: a run id is never 0", store.ErrNotFound)
	}
	var jobID int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE runner_jobs SET run_conclusion = ?, run_url = ?, run_ended_at = ?
			WHERE run_id = ? AND run_ended_at IS NULL`, conclusion, url, micros(now()), runID); err != nil {
			return fmt.Errorf("record the end of workflow run %d: %w", runID, err)
		}
		err := tx.QueryRowContext(ctx, `SELECT job_id FROM runner_jobs WHERE run_id = ? ORDER BY job_id LIMIT 1`, runID).Scan(&jobID)
		if err != nil {
			return notFound(err, fmt.Sprintf("dispatched job of workflow run %d", runID))
		}
		return nil
	})
	return jobID, err
}
