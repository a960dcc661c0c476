package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sort"

	"github.com/classla/gantry/internal/store"
)

const lockColumns = "repo, project, workspace, pr, user_login, sha, acquired_at"

func scanLock(r rowScanner) (store.Lock, error) {
	var l store.Lock
	err := r.Scan(&l.Repo, &l.Project, &l.Workspace, &l.PR, &l.User, &l.SHA, timeCol{&l.AcquiredAt})
	return l, err
}

func scanLocks(rows *sql.Rows, err error) ([]store.Lock, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var locks []store.Lock
	for rows.Next() {
		l, err := scanLock(rows)
		if err != nil {
			return nil, err
		}
		locks = append(locks, l)
	}
	return locks, rows.Err()
}

// AcquireLock takes (l.Repo, l.Project, l.Workspace) for l.PR. When l.PR holds it already,
// its user and SHA are refreshed and AcquiredAt keeps the time the PR first took it.
func (s *Store) AcquireLock(ctx context.Context, l store.Lock) (store.Lock, bool, error) {
	if l.Repo == "" || l.Project == "" {
		return store.Lock{}, false, fmt.Errorf("acquire lock: repo %q and project %q must both be set", l.Repo, l.Project)
	}
	var held store.Lock
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO locks (`+lockColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (repo, project, workspace)
			DO UPDATE SET user_login = excluded.user_login, sha = excluded.sha WHERE locks.pr = excluded.pr`,
			l.Repo, l.Project, l.Workspace, l.PR, l.User, l.SHA, micros(now()))
		if err != nil {
			return fmt.Errorf("acquire lock %s: %w", lockName(l.Repo, l.Project, l.Workspace), err)
		}
		held, err = scanLock(tx.QueryRowContext(ctx, "SELECT "+lockColumns+" FROM locks WHERE repo = ? AND project = ? AND workspace = ?",
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
	l, err := scanLock(s.db.QueryRowContext(ctx, "SELECT "+lockColumns+" FROM locks WHERE repo = ? AND project = ? AND workspace = ?",
		repo, project, workspace))
	if err != nil {
		return store.Lock{}, notFound(err, "lock "+lockName(repo, project, workspace))
	}
	return l, nil
}

// ReleaseLock frees the lock if pr holds it.
func (s *Store) ReleaseLock(ctx context.Context, repo, project, workspace string, pr int) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM locks WHERE repo = ? AND project = ? AND workspace = ? AND pr = ?",
			repo, project, workspace, pr)
		if err != nil {
			return fmt.Errorf("release lock %s of PR #%d: %w", lockName(repo, project, workspace), pr, err)
		}
		return nil
	})
}

// ReleasePRLocks frees every lock pr holds in repo and returns them, ordered like ListLocks.
func (s *Store) ReleasePRLocks(ctx context.Context, repo string, pr int) ([]store.Lock, error) {
	var released []store.Lock
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		released, err = scanLocks(tx.QueryContext(ctx, "DELETE FROM locks WHERE repo = ? AND pr = ? RETURNING "+lockColumns, repo, pr))
		if err != nil {
			return fmt.Errorf("release locks of %s PR #%d: %w", repo, pr, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
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
		q += " WHERE repo = ?"
		args = append(args, repo)
	}
	locks, err := scanLocks(s.db.QueryContext(ctx, q+" ORDER BY repo, project, workspace", args...))
	if err != nil {
		return nil, fmt.Errorf("list locks: %w", err)
	}
	return locks, nil
}

func lockName(repo, project, workspace string) string {
	return fmt.Sprintf("%s project %s workspace %s", repo, project, workspace)
}
