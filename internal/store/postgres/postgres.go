// Package postgres is the store.Store that several gantry replicas share: one PostgreSQL
// database, reached through a pgx connection pool.
//
// Concurrency: every promise the contract makes "across processes" is kept by the database,
// never by reading and then writing. Claims lock the job they take (FOR UPDATE SKIP LOCKED) and
// a partial unique index keeps a mutex to one running job; unique job keys, dispatches, runner
// claims and signing key generations are unique indexes or conditional updates.
//
// Times: the store's clock is the Go clock of the process, like SQLite's, because callers pass
// their own "now" to ExpireLeases and a lease must be compared on one clock. Replicas therefore
// need synchronised clocks (NTP); leases last minutes, so a skew of seconds does no harm.
// Times are TIMESTAMPTZ (microseconds) and come back in UTC; the zero time is NULL.
//
// Notifications: every transaction that makes a job claimable also sends NOTIFY gantry_jobs,
// delivered when it commits; Listen (store.Notifier) turns them into wake-ups of idle workers.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/classla/gantry/internal/store"
)

// Store is a store.Store backed by a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	// name says which database this is in messages: host, port, database and user, never
	// the password.
	name string
}

var (
	_ store.Store    = (*Store)(nil)
	_ store.Notifier = (*Store)(nil)
)

// Open connects to the database at url (postgres://user:password@host:port/database?…; pgx
// settings such as pool_max_conns may be added to the query) and brings its schema up to date.
// Errors never contain the URL's password.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, scrub(fmt.Errorf("open PostgreSQL database: GANTRY_DATABASE_URL %s is not a valid connection URL: %w; write it as postgres://user:password@host:5432/database", redactURL(url), err), passwordOf(url))
	}
	c := cfg.ConnConfig
	s := &Store{name: fmt.Sprintf("PostgreSQL database %q on %s:%d as %s", c.Database, c.Host, c.Port, c.User)}
	pw := c.Password
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, scrub(s.openError(err), pw)
	}
	s.pool = pool
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, scrub(s.openError(err), pw)
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, scrub(err, pw)
	}
	return s, nil
}

func (s *Store) openError(err error) error {
	return fmt.Errorf("open %s: %w: check that GANTRY_DATABASE_URL names a running PostgreSQL server, database and user, with the right password, and that the user may create tables in that database", s.name, err)
}

// redactURL returns u with its password replaced, or a placeholder when u is not a URL.
func redactURL(u string) string {
	parsed, err := url.Parse(u)
	if err != nil || parsed.Scheme == "" {
		return "(not shown: it is not a URL)"
	}
	return parsed.Redacted()
}

// passwordOf returns the password in u, "" when there is none or u is not a URL.
func passwordOf(u string) string {
	if parsed, err := url.Parse(u); err == nil && parsed.User != nil {
		pw, _ := parsed.User.Password()
		return pw
	}
	return ""
}

// scrub removes password from err's text, whatever a driver error put in it; errors.Is and
// errors.As still see the original.
func scrub(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return scrubbed{err: err, msg: strings.ReplaceAll(err.Error(), password, "xxxxx")}
}

type scrubbed struct {
	err error
	msg string
}

func (e scrubbed) Error() string { return e.msg }
func (e scrubbed) Unwrap() error { return e.err }

// Ping reports whether the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping %s: %w", s.name, err)
	}
	return nil
}

// Close closes every connection of the pool; committed writes are durable already.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// write runs fn in a transaction and commits it when fn returns nil.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin a transaction on %s: %w", s.name, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit to %s: %w", s.name, err)
	}
	return nil
}

// notifyChannel is the channel NOTIFY wakes listeners on when a job may be claimed.
const notifyChannel = "gantry_jobs"

// notifyJobs tells every listener, when tx commits, that a job may be claimable. Notifications
// of one transaction are folded into one.
func notifyJobs(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, "SELECT pg_notify('"+notifyChannel+"', '')"); err != nil {
		return fmt.Errorf("notify listeners of a claimable job: %w", err)
	}
	return nil
}

// now is the store's clock, at the precision it stores.
func now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// ts converts a time to its stored form: NULL for the zero time.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// tsCol scans a stored time into *t, in UTC; NULL is the zero time.
type tsCol struct{ t *time.Time }

func (c tsCol) ScanTimestamptz(v pgtype.Timestamptz) error {
	switch {
	case !v.Valid:
		*c.t = time.Time{}
	case v.InfinityModifier != pgtype.Finite:
		return fmt.Errorf("stored time is %v, want a finite time", v.InfinityModifier)
	default:
		*c.t = v.Time.UTC()
	}
	return nil
}

// bytesText scans a BYTEA column into a string, byte for byte.
type bytesText struct{ s *string }

func (b bytesText) ScanBytes(v []byte) error {
	*b.s = string(v)
	return nil
}

// validText returns s as PostgreSQL's TEXT can hold it: NUL bytes and invalid UTF-8 become
// U+FFFD. Error texts pass through it, since they may quote a tool's raw output, and a job must
// not fail to finish over a byte.
func validText(s string) string {
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", "\uFFFD"), "\uFFFD")
}

// nullIfZero stores optional references as NULL so that foreign keys accept them.
func nullIfZero[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// rowScanner is pgx.Row or pgx.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// querier is the pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// notFound wraps store.ErrNotFound for a missing record, and passes other errors through.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return fmt.Errorf("read %s: %w", what, err)
}

// PostgreSQL error codes the store tells apart.
const (
	codeForeignKey = "23503"
	codeUnique     = "23505"
)

// isPgError reports whether err is PostgreSQL refusing a statement with code (and, when
// constraint is not "", on that constraint).
func isPgError(err error, code, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code && (constraint == "" || pe.ConstraintName == constraint)
}

func isForeignKeyError(err error) bool { return isPgError(err, codeForeignKey, "") }
