package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/classla/gantry/internal/store"
)

// runnerJobColumns is the select list scanRunnerJob reads, in its order.
// The log is left out: it can be megabytes, and only RunnerLog reads it.
const runnerJobColumns = `job_id, ref, environment, run_id, dispatched_at, claimed_at, heartbeat_at, token_hash,
	reported_at, result, result_error, run_conclusion, run_url, run_ended_at, log_truncated`

func scanRunnerJob(dest *store.RunnerJob) []any {
	return []any{&dest.JobID, &dest.Ref, &dest.Environment, &dest.RunID,
		tsCol{&dest.DispatchedAt}, tsCol{&dest.ClaimedAt}, tsCol{&dest.HeartbeatAt}, &dest.TokenHash,
		tsCol{&dest.ReportedAt}, &dest.Result, bytesText{&dest.ResultError}, &dest.RunConclusion, &dest.RunURL,
		tsCol{&dest.RunEndedAt}, &dest.LogTruncated}
}

// newRunnerRef returns 16 random bytes in hex: a reference nobody can guess from a job's id.
func newRunnerRef() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// jobLive is true while the job of a runner_jobs row has not ended.
const jobLive = `(SELECT state FROM jobs WHERE id = runner_jobs.job_id) NOT IN ('succeeded', 'failed', 'canceled')`

// liveClaim is the condition under which the runner presenting the token hash in parameter
// param may act on a row: the row is claimed with that (non-empty) hash and its job has not ended.
func liveClaim(param string) string {
	return `token_hash = ` + param + ` AND token_hash <> '' AND claimed_at IS NOT NULL AND ` + jobLive
}

// DispatchJob records the dispatch of job jobID into environment and returns its ref. The
// primary key on job_id makes a second dispatch of a job fail, across replicas.
func (s *Store) DispatchJob(ctx context.Context, jobID int64, environment string) (string, error) {
	if environment == "" {
		return "", fmt.Errorf("dispatch job %d: environment is empty: name the GitHub environment the job runs in", jobID)
	}
	ref := newRunnerRef()
	var inserted int64
	err := s.pool.QueryRow(ctx, `INSERT INTO runner_jobs (job_id, ref, environment, dispatched_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (job_id) DO NOTHING RETURNING job_id`,
		jobID, ref, environment, now()).Scan(&inserted)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", fmt.Errorf("dispatch job %d: %w", jobID, store.ErrAlreadyDispatched)
	case isForeignKeyError(err):
		return "", fmt.Errorf("dispatch job %d: %w", jobID, store.ErrNotFound)
	case err != nil:
		return "", fmt.Errorf("dispatch job %d: %w", jobID, err)
	}
	return ref, nil
}

// SetRunID records the workflow run of the dispatch ref.
func (s *Store) SetRunID(ctx context.Context, ref string, runID int64) error {
	tag, err := s.pool.Exec(ctx, `UPDATE runner_jobs SET run_id = $1 WHERE ref = $2`, runID, ref)
	if err != nil {
		return fmt.Errorf("set run of dispatched job %s: %w", ref, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set run of dispatched job %s: %w", ref, store.ErrNotFound)
	}
	return nil
}

// RunnerJobByRef returns the dispatch ref and its job.
func (s *Store) RunnerJobByRef(ctx context.Context, ref string) (store.RunnerJob, store.Job, error) {
	return runnerJobByRef(ctx, s.pool, ref)
}

func runnerJobByRef(ctx context.Context, q querier, ref string) (store.RunnerJob, store.Job, error) {
	var rj store.RunnerJob
	if err := q.QueryRow(ctx, "SELECT "+runnerJobColumns+" FROM runner_jobs WHERE ref = $1", ref).
		Scan(scanRunnerJob(&rj)...); err != nil {
		return store.RunnerJob{}, store.Job{}, notFound(err, "dispatched job "+ref)
	}
	j, err := scanJob(q.QueryRow(ctx, "SELECT "+jobColumns+" FROM jobs WHERE id = $1", rj.JobID))
	if err != nil {
		return store.RunnerJob{}, store.Job{}, notFound(err, fmt.Sprintf("job %d of dispatch %s", rj.JobID, ref))
	}
	return rj, j, nil
}

// ClaimRunnerJob records the claim of ref. The update only matches an unclaimed row of a job
// that has not ended; a concurrent claim waits for the row and then finds it claimed, so
// exactly one claim succeeds. The others read the row to say why theirs did not.
func (s *Store) ClaimRunnerJob(ctx context.Context, ref, tokenHash string) error {
	if tokenHash == "" {
		return fmt.Errorf("claim dispatched job %s: token hash is empty: store the hash of the job token given to the runner", ref)
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		t := now()
		tag, err := tx.Exec(ctx, `UPDATE runner_jobs SET claimed_at = $1, heartbeat_at = $1, token_hash = $2
			WHERE ref = $3 AND claimed_at IS NULL AND `+jobLive, t, tokenHash, ref)
		if err != nil {
			return fmt.Errorf("claim dispatched job %s: %w", ref, err)
		}
		if tag.RowsAffected() == 1 {
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
	tag, err := s.pool.Exec(ctx, `UPDATE runner_jobs SET heartbeat_at = $1 WHERE ref = $2 AND `+liveClaim("$3"),
		now(), ref, tokenHash)
	if err != nil {
		return fmt.Errorf("heartbeat of dispatched job %s: %w", ref, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("heartbeat of dispatched job %s: %w: not claimed with this token, or the job has ended", ref, store.ErrLeaseLost)
	}
	return nil
}

// RunnerJob returns the runner side of job jobID.
func (s *Store) RunnerJob(ctx context.Context, jobID int64) (store.RunnerJob, error) {
	var rj store.RunnerJob
	if err := s.pool.QueryRow(ctx, "SELECT "+runnerJobColumns+" FROM runner_jobs WHERE job_id = $1", jobID).
		Scan(scanRunnerJob(&rj)...); err != nil {
		return store.RunnerJob{}, notFound(err, fmt.Sprintf("dispatch of job %d", jobID))
	}
	return rj, nil
}

// ReportRunnerJob records the result of ref. The update only matches a claimed, unreported row
// of a live job held with tokenHash; a concurrent report waits for the row and then finds it
// reported, so one report succeeds. The others read the row to say why theirs did not.
func (s *Store) ReportRunnerJob(ctx context.Context, ref, tokenHash string, result []byte, errText string) error {
	if result == nil {
		result = []byte{} // NULL means "not reported"; reported_at says so too, but keep the two in step
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE runner_jobs SET result = $1, result_error = $2, reported_at = $3
			WHERE ref = $4 AND reported_at IS NULL AND `+liveClaim("$5"),
			result, []byte(errText), now(), ref, tokenHash)
		if err != nil {
			return fmt.Errorf("record result of dispatched job %s: %w", ref, err)
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		var held string
		var reported bool
		err = tx.QueryRow(ctx, `SELECT token_hash, reported_at IS NOT NULL FROM runner_jobs WHERE ref = $1`, ref).
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
// stored length (a concurrent append waits for the row and sees the longer log), so
// concurrent appends never keep more than maxBytes.
func (s *Store) AppendRunnerLog(ctx context.Context, ref, tokenHash string, chunk []byte, maxBytes int) error {
	if maxBytes <= 0 {
		return fmt.Errorf("append to the log of dispatched job %s: the log cap is %d: give a positive number of bytes", ref, maxBytes)
	}
	if chunk == nil {
		chunk = []byte{}
	}
	tag, err := s.pool.Exec(ctx, `UPDATE runner_jobs SET
		log = CASE WHEN length(log) >= $1::int THEN log ELSE log || substring($2::bytea FROM 1 FOR $1::int - length(log)) END,
		log_truncated = log_truncated OR length(log) + length($2::bytea) > $1::int,
		heartbeat_at = $3
		WHERE ref = $4 AND `+liveClaim("$5"),
		maxBytes, chunk, now(), ref, tokenHash)
	if err != nil {
		return fmt.Errorf("append to the log of dispatched job %s: %w", ref, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("append to the log of dispatched job %s: %w: not claimed with this token, or the job has ended", ref, store.ErrLeaseLost)
	}
	return nil
}

// RunnerLog returns the log of job jobID.
func (s *Store) RunnerLog(ctx context.Context, jobID int64) ([]byte, bool, error) {
	var log []byte
	var truncated bool
	if err := s.pool.QueryRow(ctx, `SELECT log, log_truncated FROM runner_jobs WHERE job_id = $1`, jobID).
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
	err := s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE runner_jobs SET run_conclusion = $1, run_url = $2, run_ended_at = $3
			WHERE run_id = $4 AND run_ended_at IS NULL`, conclusion, url, now(), runID); err != nil {
			return fmt.Errorf("record the end of workflow run %d: %w", runID, err)
		}
		err := tx.QueryRow(ctx, `SELECT job_id FROM runner_jobs WHERE run_id = $1 ORDER BY job_id LIMIT 1`, runID).Scan(&jobID)
		if err != nil {
			return notFound(err, fmt.Sprintf("dispatched job of workflow run %d", runID))
		}
		return nil
	})
	return jobID, err
}
