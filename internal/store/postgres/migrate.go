package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/classla/gantry/internal/store"

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

// migrations returns the embedded migrations in version order.
func migrations() ([]store.Migration, error) {
	return store.ReadMigrations(migrationFiles, "migrations")
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

func (s *Store) migrateLocked(ctx context.Context, conn *pgxpool.Conn, ms []store.Migration) error {
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
		if applied[m.Version] {
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
func (s *Store) checkKnown(ctx context.Context, conn *pgxpool.Conn, ms []store.Migration) (map[int]bool, error) {
	known := make(map[int]bool, len(ms))
	for _, m := range ms {
		known[m.Version] = true
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
			return nil, fmt.Errorf("%s has schema version %d, which this gantry does not know (it knows up to %d): a newer gantry has used it; upgrade gantry to that version or later (downgrades are not supported)", s.name, v, ms[len(ms)-1].Version)
		}
		applied[v] = true
	}
	return applied, nil
}

// apply runs one migration and records it, in one transaction.
func (s *Store) apply(ctx context.Context, conn *pgxpool.Conn, m store.Migration) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// Without arguments pgx sends the simple protocol, which runs every statement of the file.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply migration %s to %s: %w", m.Name, s.name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", m.Version, now()); err != nil {
			return fmt.Errorf("record migration %s of %s: %w", m.Name, s.name, err)
		}
		return nil
	})
}
