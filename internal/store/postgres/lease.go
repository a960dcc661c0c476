package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/classla/gantry/internal/store"
)

// claimAttempts bounds how often ClaimJob retries after losing a mutex to a concurrent claim.
// Each loss means another claimer took a job of that mutex, which the next attempt sees.
const claimAttempts = 8

// claimQuery takes the oldest queued job that no other claim has locked, whose mutex no running
// job holds and no older queued job waits for. The last condition keeps a mutex's jobs in
// queue order: while one claimer holds the oldest job of a mutex locked, the others skip it
// and must not take the next one instead.
//
// The check reads a snapshot, so two claimers may still both see a mutex free (a job of it
// committed out of id order, say): the partial unique index jobs_running_mutex then refuses
// the second, and ClaimJob retries. That index, not this check, is what keeps one running job
// per mutex; an advisory lock per mutex would serialise claims further without adding safety.
const claimQuery = `UPDATE jobs
	SET state = 'running', attempts = attempts + 1, owner = $1, lease_until = $2, started_at = $3
	WHERE id = (
		SELECT q.id FROM jobs q
		WHERE q.state = 'queued'
			AND (q.mutex = '' OR NOT EXISTS (
				SELECT 1 FROM jobs r WHERE r.mutex = q.mutex AND r.id <> q.id
					AND (r.state = 'running' OR (r.state = 'queued' AND r.id < q.id))))
		ORDER BY q.id LIMIT 1
		FOR UPDATE SKIP LOCKED)
	RETURNING ` + jobColumns

// ClaimJob takes the oldest claimable job for owner; see claimQuery for how claimers on
// several replicas stay out of each other's way.
func (s *Store) ClaimJob(ctx context.Context, owner string, lease time.Duration) (store.Job, bool, error) {
	if owner == "" {
		return store.Job{}, false, errors.New("claim job: owner is empty: pass a name that identifies this worker")
	}
	if lease <= 0 {
		return store.Job{}, false, fmt.Errorf("claim job for %s: lease %s is not positive: pass how long the claim lasts without renewal", owner, lease)
	}
	for range claimAttempts {
		var job store.Job
		claimed := false
		err := s.write(ctx, func(tx pgx.Tx) error {
			t := now()
			var err error
			job, err = scanJob(tx.QueryRow(ctx, claimQuery, owner, t.Add(lease), t))
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				return nil
			case err != nil:
				return err
			}
			claimed = true
			return nil
		})
		switch {
		case isPgError(err, codeUnique, "jobs_running_mutex"):
			continue // another claimer took a job of this mutex first
		case err != nil:
			return store.Job{}, false, fmt.Errorf("claim job for %s: %w", owner, err)
		}
		return job, claimed, nil
	}
	return store.Job{}, false, fmt.Errorf("claim job for %s: %d attempts in a row lost their job's mutex to other claimers; the next call tries again", owner, claimAttempts)
}

// RenewLease extends owner's lease on job id and reports whether cancellation was requested.
func (s *Store) RenewLease(ctx context.Context, id int64, owner string, lease time.Duration) (bool, error) {
	var cancel bool
	err := s.pool.QueryRow(ctx, `UPDATE jobs SET lease_until = $1
		WHERE id = $2 AND owner = $3 AND state = 'running' RETURNING cancel_requested`,
		now().Add(lease), id, owner).Scan(&cancel)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("renew lease of job %d: %w: it is no longer running under %s", id, store.ErrLeaseLost, owner)
	}
	if err != nil {
		return false, fmt.Errorf("renew lease of job %d: %w", id, err)
	}
	return cancel, nil
}

// FinishJob records the outcome of job id, which owner must be running. Ending a job of a
// mutex frees the mutex, so listeners are notified.
func (s *Store) FinishJob(ctx context.Context, id int64, owner string, out store.Outcome) error {
	if !out.State.Done() {
		return fmt.Errorf("finish job %d: state %q is not final: use %s, %s or %s", id, out.State, store.Succeeded, store.Failed, store.Canceled)
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		var mutex string
		err := tx.QueryRow(ctx, `UPDATE jobs SET state = $1, error = $2, result = $3, finished_at = $4, lease_until = NULL
			WHERE id = $5 AND owner = $6 AND state = 'running' RETURNING mutex`,
			out.State, validText(out.Error), out.Result, now(), id, owner).Scan(&mutex)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("finish job %d: %w: it is no longer running under %s", id, store.ErrLeaseLost, owner)
		}
		if err != nil {
			return fmt.Errorf("finish job %d: %w", id, err)
		}
		if mutex != "" {
			return notifyJobs(ctx, tx)
		}
		return nil
	})
}

// CancelJobs cancels the queued and running jobs with key except exceptID. An empty key
// matches nothing: jobs without a key never supersede each other. Canceling a queued job of a
// mutex lets the next one of that mutex go first, so listeners are notified then.
func (s *Store) CancelJobs(ctx context.Context, key string, exceptID int64) ([]int64, error) {
	if key == "" {
		return nil, nil
	}
	var ids []int64
	err := s.write(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `UPDATE jobs SET state = 'canceled', error = $1, finished_at = $2
			WHERE job_key = $3 AND id <> $4 AND state = 'queued' RETURNING id, mutex <> ''`,
			"canceled before it started: a newer job superseded it", now(), key, exceptID)
		var notify bool
		var id int64
		var hasMutex bool
		_, err := pgx.ForEachRow(rows, []any{&id, &hasMutex}, func() error {
			ids = append(ids, id)
			notify = notify || hasMutex
			return nil
		})
		if err != nil {
			return fmt.Errorf("cancel queued jobs with key %s: %w", key, err)
		}
		rows, _ = tx.Query(ctx, `UPDATE jobs SET cancel_requested = TRUE
			WHERE job_key = $1 AND id <> $2 AND state = 'running' RETURNING id`, key, exceptID)
		running, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("cancel running jobs with key %s: %w", key, err)
		}
		ids = append(ids, running...)
		if notify {
			return notifyJobs(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

// ExpireLeases ends the claims whose lease ended before at. A job with attempts left is
// queued again; one whose cancellation was requested is canceled, since rerunning superseded
// work helps nobody; any other becomes failed with an error operators can act on. The jobs
// are locked as they are read, and a job that was finished or renewed meanwhile no longer
// matches, so two replicas expiring at once each handle a job once. Listeners are notified:
// a requeued job, or the next job of an ended job's mutex, may be claimed.
func (s *Store) ExpireLeases(ctx context.Context, at time.Time) ([]store.Job, error) {
	var out []store.Job
	err := s.write(ctx, func(tx pgx.Tx) error {
		expired, err := scanJobs(tx.Query(ctx, "SELECT "+jobColumns+` FROM jobs
			WHERE state = 'running' AND lease_until < $1 ORDER BY id FOR UPDATE`, at))
		if err != nil {
			return fmt.Errorf("find expired job leases: %w", err)
		}
		t := now()
		for _, j := range expired {
			j = expire(j, t)
			if _, err := tx.Exec(ctx, `UPDATE jobs SET state = $1, owner = $2, lease_until = NULL, error = $3, finished_at = $4
				WHERE id = $5`, j.State, j.Owner, j.Error, ts(j.FinishedAt), j.ID); err != nil {
				return fmt.Errorf("expire lease of job %d: %w", j.ID, err)
			}
			out = append(out, j)
		}
		if len(out) > 0 {
			return notifyJobs(ctx, tx)
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
	j.Error = validText(j.Error)
	return j
}
