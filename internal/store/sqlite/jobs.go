package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/classla/gantry/internal/store"
)

// jobColumns is the select list scanJob reads, in its order.
const jobColumns = `id, kind, COALESCE(delivery_id, ''), installation_id, repo, pr, sha, job_key, unique_key, mutex, spec,
	max_attempts, state, attempts, owner, lease_until, cancel_requested, error, result,
	created_at, started_at, finished_at`

func scanJob(r rowScanner) (store.Job, error) {
	var j store.Job
	err := r.Scan(&j.ID, &j.Kind, &j.DeliveryID, &j.InstallationID, &j.Repo, &j.PR, &j.SHA, &j.Key, &j.Unique, &j.Mutex, &j.Spec,
		&j.MaxAttempts, &j.State, &j.Attempts, &j.Owner, timeCol{&j.LeaseUntil}, &j.CancelRequested, &j.Error, &j.Result,
		timeCol{&j.CreatedAt}, timeCol{&j.StartedAt}, timeCol{&j.FinishedAt})
	return j, err
}

// scanJobs reads every row of rows and closes it.
func scanJobs(rows *sql.Rows) ([]store.Job, error) {
	defer rows.Close()
	var jobs []store.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}

// insertJob queues j inside tx. A Unique job whose key is taken is not inserted: the job
// that holds the key is returned with an error wrapping store.ErrDuplicate. The unique index
// decides, so this holds across processes too.
func insertJob(ctx context.Context, tx *sql.Tx, j store.NewJob, created time.Time) (store.Job, error) {
	if j.Kind == "" {
		return store.Job{}, errors.New("job kind is empty: every job needs the kind of its handler")
	}
	if j.Unique && j.Key == "" {
		return store.Job{}, fmt.Errorf("queue %s job: a unique job needs a key", j.Kind)
	}
	row := tx.QueryRowContext(ctx, `INSERT INTO jobs
		(kind, delivery_id, installation_id, repo, pr, sha, job_key, unique_key, mutex, spec, max_attempts, state, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (job_key) WHERE unique_key DO NOTHING RETURNING `+jobColumns,
		j.Kind, nullIfZero(j.DeliveryID), j.InstallationID, j.Repo, j.PR, j.SHA, j.Key, j.Unique, j.Mutex, j.Spec, j.MaxAttempts,
		store.Queued, micros(created))
	job, err := scanJob(row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		held, err := scanJob(tx.QueryRowContext(ctx, "SELECT "+jobColumns+" FROM jobs WHERE job_key = ? AND unique_key", j.Key))
		if err != nil {
			return store.Job{}, fmt.Errorf("queue %s job: reading the job that holds key %q: %w", j.Kind, j.Key, err)
		}
		return held, fmt.Errorf("queue %s job: key %q is held by job %d: %w", j.Kind, j.Key, held.ID, store.ErrDuplicate)
	case err != nil:
		if j.DeliveryID != "" && isForeignKeyError(err) {
			return store.Job{}, fmt.Errorf("queue %s job: delivery %s is not recorded: %w", j.Kind, j.DeliveryID, err)
		}
		return store.Job{}, fmt.Errorf("queue %s job: %w", j.Kind, err)
	}
	return job, nil
}

// EnqueueJob queues j and returns it as stored; for a Unique job whose key is taken, the job
// holding it and an error wrapping store.ErrDuplicate.
func (s *Store) EnqueueJob(ctx context.Context, j store.NewJob) (store.Job, error) {
	var job store.Job
	var dup error
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		job, err = insertJob(ctx, tx, j, now())
		if errors.Is(err, store.ErrDuplicate) {
			// Nothing was written: commit the empty transaction and report the holder.
			dup = err
			return nil
		}
		return err
	})
	if err == nil && dup != nil {
		err = dup
	}
	return job, err
}

// GetJob returns the job with id, or store.ErrNotFound.
func (s *Store) GetJob(ctx context.Context, id int64) (store.Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, "SELECT "+jobColumns+" FROM jobs WHERE id = ?", id))
	if err != nil {
		return store.Job{}, notFound(err, fmt.Sprintf("job %d", id))
	}
	return j, nil
}

// ListJobs returns the jobs matching f, oldest first.
func (s *Store) ListJobs(ctx context.Context, f store.JobFilter) ([]store.Job, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if len(f.States) > 0 {
		marks := make([]string, len(f.States))
		for i, st := range f.States {
			marks[i] = "?"
			args = append(args, st)
		}
		where = append(where, "state IN ("+strings.Join(marks, ", ")+")")
	}
	columns, values := f.Equalities()
	for i, c := range columns {
		add(c+" = ?", values[i])
	}
	q := "SELECT " + jobColumns + " FROM jobs"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	jobs, err := scanJobs(rows)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return jobs, nil
}

// CountJobs returns the number of jobs in every state, zero included.
func (s *Store) CountJobs(ctx context.Context) (map[store.JobState]int, error) {
	counts := map[store.JobState]int{
		store.Queued: 0, store.Running: 0, store.Succeeded: 0, store.Failed: 0, store.Canceled: 0,
	}
	rows, err := s.db.QueryContext(ctx, "SELECT state, COUNT(*) FROM jobs GROUP BY state")
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st store.JobState
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		counts[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	return counts, nil
}
