package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationFiles are the schema changes, named NNNN_what.sql and applied in number order. They
// carry the versions and meaning of SQLite's migrations in PostgreSQL's dialect. A released
// migration is never edited: a change to the schema is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the key of the session advisory lock replicas take to migrate one at a
// time ("gantry" and 1 in hex): the first migrates, the others wait and then find nothing to do.
const migrationLock int64 = 0x67616e74727901

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("embedded migration %s is not named NNNN_description.sql", e.Name())
		}
		body, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read embedded migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: version, name: e.Name(), sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("embedded migrations %s and %s share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

// migrate applies the migrations the database has not recorded yet, each in its own
// transaction together with its schema_migrations row, so a crash leaves either all of a
// migration or none of it. Replicas starting together queue on an advisory lock held by one
// connection for the whole run, so the schema is migrated once. It refuses a database that a
// newer gantry has migrated further.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return s.openError(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("take the migration lock of %s: %w", s.name, err)
	}
	err = s.migrateLocked(ctx, conn, ms)
	if _, uerr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock); uerr != nil {
		// A session lock lives as long as its connection: closing it is what releases it now.
		_ = conn.Conn().Close(context.WithoutCancel(ctx))
	}
	return err
}

func (s *Store) migrateLocked(ctx context.Context, conn *pgxpool.Conn, ms []migration) error {
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		applied_at TIMESTAMPTZ NOT NULL
	)`); err != nil {
		return s.openError(err)
	}
	applied, err := s.checkKnown(ctx, conn, ms)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		if err := s.apply(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

// checkKnown returns the versions the database records, and fails when one of them is a
// migration this build does not have: its schema is ahead of this code, and writing to it
// could corrupt what the newer gantry keeps.
func (s *Store) checkKnown(ctx context.Context, conn *pgxpool.Conn, ms []migration) (map[int]bool, error) {
	known := make(map[int]bool, len(ms))
	for _, m := range ms {
		known[m.version] = true
	}
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("read schema version of %s: %w", s.name, err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("read schema version of %s: %w", s.name, err)
	}
	applied := make(map[int]bool, len(versions))
	for _, v := range versions {
		if !known[v] {
			return nil, fmt.Errorf("%s has schema version %d, which this gantry does not know (it knows up to %d): a newer gantry has used it; upgrade gantry to that version or later (downgrades are not supported)", s.name, v, ms[len(ms)-1].version)
		}
		applied[v] = true
	}
	return applied, nil
}

// apply runs one migration and records it, in one transaction.
func (s *Store) apply(ctx context.Context, conn *pgxpool.Conn, m migration) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// Without arguments pgx sends the simple protocol, which runs every statement of the file.
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("apply migration %s to %s: %w", m.name, s.name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", m.version, now()); err != nil {
			return fmt.Errorf("record migration %s of %s: %w", m.name, s.name, err)
		}
		return nil
	})
}
