package postgres

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/classla/gantry/internal/store"
)

const lockColumns = "repo, project, workspace, pr, user_login, sha, acquired_at"

func scanLock(r rowScanner) (store.Lock, error) {
	var l store.Lock
	err := r.Scan(&l.Repo, &l.Project, &l.Workspace, &l.PR, &l.User, &l.SHA, tsCol{&l.AcquiredAt})
	return l, err
}

func scanLocks(rows pgx.Rows, err error) ([]store.Lock, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Lock, error) { return scanLock(r) })
}

// AcquireLock takes (l.Repo, l.Project, l.Workspace) for l.PR. When l.PR holds it already,
// its user and SHA are refreshed and AcquiredAt keeps the time the PR first took it. The
// primary key decides between PRs racing for the lock: ON CONFLICT waits for the other
// insert, and the row is locked until the transaction reads who holds it.
func (s *Store) AcquireLock(ctx context.Context, l store.Lock) (store.Lock, bool, error) {
	if l.Repo == "" || l.Project == "" {
		return store.Lock{}, false, fmt.Errorf("acquire lock: repo %q and project %q must both be set", l.Repo, l.Project)
	}
	var held store.Lock
	err := s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO locks (`+lockColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (repo, project, workspace)
			DO UPDATE SET user_login = excluded.user_login, sha = excluded.sha WHERE locks.pr = excluded.pr`,
			l.Repo, l.Project, l.Workspace, l.PR, l.User, l.SHA, now())
		if err != nil {
			return fmt.Errorf("acquire lock %s: %w", lockName(l.Repo, l.Project, l.Workspace), err)
		}
		held, err = scanLock(tx.QueryRow(ctx, "SELECT "+lockColumns+" FROM locks WHERE repo = $1 AND project = $2 AND workspace = $3",
			l.Repo, l.Project, l.Workspace))
		if err != nil {
			return fmt.Errorf("acquire lock %s: %w", lockName(l.Repo, l.Project, l.Workspace), err)
		}
		return nil
	})
	if err != nil {
		return store.Lock{}, false, err
	}
	return held, held.PR == l.PR, nil
}

// GetLock returns the lock on (repo, project, workspace), or store.ErrNotFound when it is free.
func (s *Store) GetLock(ctx context.Context, repo, project, workspace string) (store.Lock, error) {
	l, err := scanLock(s.pool.QueryRow(ctx, "SELECT "+lockColumns+" FROM locks WHERE repo = $1 AND project = $2 AND workspace = $3",
		repo, project, workspace))
	if err != nil {
		return store.Lock{}, notFound(err, "lock "+lockName(repo, project, workspace))
	}
	return l, nil
}

// ReleaseLock frees the lock if pr holds it.
func (s *Store) ReleaseLock(ctx context.Context, repo, project, workspace string, pr int) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM locks WHERE repo = $1 AND project = $2 AND workspace = $3 AND pr = $4",
		repo, project, workspace, pr)
	if err != nil {
		return fmt.Errorf("release lock %s of PR #%d: %w", lockName(repo, project, workspace), pr, err)
	}
	return nil
}

// ReleasePRLocks frees every lock pr holds in repo and returns them, ordered like ListLocks.
func (s *Store) ReleasePRLocks(ctx context.Context, repo string, pr int) ([]store.Lock, error) {
	released, err := scanLocks(s.pool.Query(ctx, "DELETE FROM locks WHERE repo = $1 AND pr = $2 RETURNING "+lockColumns, repo, pr))
	if err != nil {
		return nil, fmt.Errorf("release locks of %s PR #%d: %w", repo, pr, err)
	}
	// RETURNING rows come in no defined order.
	sort.Slice(released, func(i, j int) bool {
		a, b := released[i], released[j]
		if a.Project != b.Project {
			return a.Project < b.Project
		}
		return a.Workspace < b.Workspace
	})
	return released, nil
}

// ListLocks returns the locks of repo ("" for all), ordered by repo, project, workspace.
func (s *Store) ListLocks(ctx context.Context, repo string) ([]store.Lock, error) {
	q := "SELECT " + lockColumns + " FROM locks"
	var args []any
	if repo != "" {
		q += " WHERE repo = $1"
		args = append(args, repo)
	}
	// COLLATE "C" orders by bytes, as SQLite does, whatever the database's locale.
	locks, err := scanLocks(s.pool.Query(ctx, q+` ORDER BY repo COLLATE "C", project COLLATE "C", workspace COLLATE "C"`, args...))
	if err != nil {
		return nil, fmt.Errorf("list locks: %w", err)
	}
	return locks, nil
}

func lockName(repo, project, workspace string) string {
	return fmt.Sprintf("%s project %s workspace %s", repo, project, workspace)
}
