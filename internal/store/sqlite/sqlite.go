// Package sqlite is the embedded store.Store: one SQLite file in the data directory, used by
// a single gantry replica (several replicas share work through PostgreSQL instead).
//
// Durability: the database runs in WAL mode with synchronous=FULL. In WAL mode NORMAL only
// syncs the log at checkpoints, so a commit survives a crash of gantry but may be lost on a
// power cut or kernel panic; FULL syncs the log on every commit, so when the webhook handler
// has answered 202 the delivery and its jobs are on disk and GitHub will not send them again.
//
// Concurrency: SQLite has a single writer. Every write runs in a BEGIN IMMEDIATE transaction
// (so a transaction never has to upgrade a read lock, which SQLite refuses with "database is
// locked" without waiting) behind a write gate in the Store, so goroutines of one process
// queue in Go instead of polling the file lock; busy_timeout covers other processes that
// open the same file, such as an operator's sqlite3 shell. Readers never wait for writers.
//
// Times are stored as integer microseconds in UTC (the precision PostgreSQL keeps too) and
// come back in UTC; the zero time is stored as NULL.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/classla/gantry/internal/store"

	// The pure-Go driver registers itself as "sqlite".
	driver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// busyTimeout is how long a statement waits for another process's write lock before it
// fails. Writers in this process never wait on it: they queue on the write gate.
const busyTimeout = 10 * time.Second

// Store is a store.Store backed by one SQLite database file.
type Store struct {
	db   *sql.DB
	path string
	// writeGate admits one write transaction at a time (a one-slot semaphore, so waiting
	// honours ctx); queueing in Go is faster than contending on SQLite's lock, and it is
	// what lets RecordDelivery group-commit.
	writeGate chan struct{}

	// Deliveries waiting for the next group commit (see RecordDelivery).
	pendingMu sync.Mutex
	pending   []*pendingDelivery
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it if needed) the SQLite database at path and brings its schema up to
// date. The parent directory is created with mode 0700 when missing.
func Open(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, openError(path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, openError(abs, err)
	}
	// SQLite would create the file with the process umask (usually world-readable); deliveries
	// hold webhook payloads, so create it private first. The -wal and -shm files SQLite adds
	// later copy the database file's permissions.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, openError(abs, err)
	}
	if err := f.Close(); err != nil {
		return nil, openError(abs, err)
	}

	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, openError(abs, err)
	}
	// Connections are cheap to keep and costly to reopen (each runs the pragmas again).
	db.SetMaxIdleConns(8)
	s := &Store{db: db, path: abs, writeGate: make(chan struct{}, 1)}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, openError(abs, err)
	}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// dsn builds a file: URI (so any character in the path is escaped) whose _pragma parameters
// the driver runs on every new connection of the pool, not just the first.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	return u.String()
}

func openError(path string, err error) error {
	return fmt.Errorf("open SQLite database %s: %w: check that GANTRY_DATA_DIR (or the path in a sqlite:// GANTRY_DATABASE_URL) names a directory gantry can create and write, and that the file is a gantry database", path, err)
}

// Ping reports whether the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping SQLite database %s: %w", s.path, err)
	}
	return nil
}

// Close closes the database; pending writes are already committed.
func (s *Store) Close() error {
	return s.db.Close()
}

// write runs fn in a write transaction and commits it when fn returns nil.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.writeGate != nil {
		select {
		case s.writeGate <- struct{}{}:
			defer func() { <-s.writeGate }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.inTx(ctx, fn)
}

// inTx runs fn in a write transaction; the caller holds the write gate.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write to %s: %w", s.path, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit write to %s: %w", s.path, err)
	}
	return nil
}

// now is the store's clock, at the precision it stores.
func now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// micros converts a time to its stored form.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timeCol scans a stored time into *t.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("stored time has type %T, want integer microseconds", v)
	}
	return nil
}

// nullIfZero stores optional references as NULL so that foreign keys accept them.
func nullIfZero[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// notFound wraps store.ErrNotFound for a missing record, and passes other errors through.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return fmt.Errorf("read %s: %w", what, err)
}

// isForeignKeyError reports whether err is SQLite refusing a reference to a missing row.
func isForeignKeyError(err error) bool {
	var se *driver.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
