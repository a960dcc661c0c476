package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/classla/gantry/internal/store"
)

// ClaimJob takes the oldest queued job for owner. The select and the update are one
// statement in a write transaction, so no two callers can take the same job.
func (s *Store) ClaimJob(ctx context.Context, owner string, lease time.Duration) (store.Job, bool, error) {
	if owner == "" {
		return store.Job{}, false, errors.New("claim job: owner is empty: pass a name that identifies this worker")
	}
	if lease <= 0 {
		return store.Job{}, false, fmt.Errorf("claim job for %s: lease %s is not positive: pass how long the claim lasts without renewal", owner, lease)
	}
	var job store.Job
	claimed := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		t := now()
		row := tx.QueryRowContext(ctx, `UPDATE jobs
			SET state = ?, attempts = attempts + 1, owner = ?, lease_until = ?, started_at = ?
			WHERE id = (SELECT q.id FROM jobs q WHERE q.state = ?
				AND (q.mutex = '' OR NOT EXISTS (SELECT 1 FROM jobs r WHERE r.mutex = q.mutex AND r.state = ?))
				ORDER BY q.id LIMIT 1)
			RETURNING `+jobColumns,
			store.Running, owner, micros(t.Add(lease)), micros(t), store.Queued, store.Running)
		var err error
		job, err = scanJob(row)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return fmt.Errorf("claim job for %s: %w", owner, err)
		}
		claimed = true
		return nil
	})
	if err != nil || !claimed {
		return store.Job{}, false, err
	}
	return job, true, nil
}

// RenewLease extends owner's lease on job id and reports whether cancellation was requested.
func (s *Store) RenewLease(ctx context.Context, id int64, owner string, lease time.Duration) (bool, error) {
	var cancel bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE jobs SET lease_until = ?
			WHERE id = ? AND owner = ? AND state = ? RETURNING cancel_requested`,
			micros(now().Add(lease)), id, owner, store.Running).Scan(&cancel)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("renew lease of job %d: %w: it is no longer running under %s", id, store.ErrLeaseLost, owner)
		}
		if err != nil {
			return fmt.Errorf("renew lease of job %d: %w", id, err)
		}
		return nil
	})
	return cancel, err
}

// FinishJob records the outcome of job id, which owner must be running.
func (s *Store) FinishJob(ctx context.Context, id int64, owner string, out store.Outcome) error {
	if !out.State.Done() {
		return fmt.Errorf("finish job %d: state %q is not final: use %s, %s or %s", id, out.State, store.Succeeded, store.Failed, store.Canceled)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = ?, error = ?, result = ?, finished_at = ?, lease_until = NULL
			WHERE id = ? AND owner = ? AND state = ?`,
			out.State, out.Error, out.Result, micros(now()), id, owner, store.Running)
		if err != nil {
			return fmt.Errorf("finish job %d: %w", id, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("finish job %d: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("finish job %d: %w: it is no longer running under %s", id, store.ErrLeaseLost, owner)
		}
		return nil
	})
}

// CancelJobs cancels the queued and running jobs with key except exceptID. An empty key
// matches nothing: jobs without a key never supersede each other.
func (s *Store) CancelJobs(ctx context.Context, key string, exceptID int64) ([]int64, error) {
	if key == "" {
		return nil, nil
	}
	var ids []int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		queued, err := returnedIDs(tx.QueryContext(ctx, `UPDATE jobs SET state = ?, error = ?, finished_at = ?
			WHERE job_key = ? AND id <> ? AND state = ? RETURNING id`,
			store.Canceled, "canceled before it started: a newer job superseded it", micros(now()),
			key, exceptID, store.Queued))
		if err != nil {
			return fmt.Errorf("cancel queued jobs with key %s: %w", key, err)
		}
		running, err := returnedIDs(tx.QueryContext(ctx, `UPDATE jobs SET cancel_requested = TRUE
			WHERE job_key = ? AND id <> ? AND state = ? RETURNING id`,
			key, exceptID, store.Running))
		if err != nil {
			return fmt.Errorf("cancel running jobs with key %s: %w", key, err)
		}
		ids = append(queued, running...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

// returnedIDs reads the ids a RETURNING id statement produced.
func returnedIDs(rows *sql.Rows, err error) ([]int64, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ExpireLeases ends the claims whose lease ended before at. A job with attempts left is
// queued again; one whose cancellation was requested is canceled, since rerunning superseded
// work helps nobody; any other becomes failed with an error operators can act on.
func (s *Store) ExpireLeases(ctx context.Context, at time.Time) ([]store.Job, error) {
	var out []store.Job
	err := s.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT "+jobColumns+" FROM jobs WHERE state = ? AND lease_until < ? ORDER BY id",
			store.Running, micros(at))
		if err != nil {
			return fmt.Errorf("find expired job leases: %w", err)
		}
		expired, err := scanJobs(rows)
		if err != nil {
			return fmt.Errorf("find expired job leases: %w", err)
		}
		t := now()
		for _, j := range expired {
			j = expire(j, t)
			if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = ?, owner = ?, lease_until = NULL, error = ?, finished_at = ?
				WHERE id = ?`, j.State, j.Owner, j.Error, micros(j.FinishedAt), j.ID); err != nil {
				return fmt.Errorf("expire lease of job %d: %w", j.ID, err)
			}
			out = append(out, j)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// expire returns j as it is after its lease ran out at t.
func expire(j store.Job, t time.Time) store.Job {
	maxAttempts := max(j.MaxAttempts, 1)
	stopped := fmt.Sprintf("the worker %s running this job stopped before it finished (its lease ended at %s)",
		j.Owner, j.LeaseUntil.Format(time.RFC3339))
	j.LeaseUntil = time.Time{}
	switch {
	case j.CancelRequested:
		j.State, j.Owner, j.FinishedAt = store.Canceled, "", t
		j.Error = stopped + "; it had been superseded, so it is not retried"
	case j.Attempts < maxAttempts:
		j.State, j.Owner = store.Queued, ""
		j.Error = stopped + fmt.Sprintf("; queued again for attempt %d of %d", j.Attempts+1, maxAttempts)
	default:
		j.State, j.FinishedAt = store.Failed, t
		j.Error = stopped + fmt.Sprintf("; all %d attempts are used, so it is not retried", maxAttempts)
	}
	return j
}
