package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/classla/gantry/internal/store"
)

// migrationFiles are the schema changes, named NNNN_what.sql and applied in number order.
// A released migration is never edited: a change to the schema is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations returns the embedded migrations in version order.
func migrations() ([]store.Migration, error) {
	return store.ReadMigrations(migrationFiles, "migrations")
}

// migrate applies the migrations the database has not recorded yet, each in its own
// transaction together with its schema_migrations row, so a crash leaves either all of a
// migration or none of it. It refuses a database that a newer gantry has migrated further.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return openError(s.path, err)
	}
	if err := s.checkKnown(ctx, ms); err != nil {
		return err
	}
	for _, m := range ms {
		if err := s.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// checkKnown fails when the database records a migration this build does not have: its
// schema is ahead of this code, and writing to it could corrupt what the newer gantry keeps.
func (s *Store) checkKnown(ctx context.Context, ms []store.Migration) error {
	known := make(map[int]bool, len(ms))
	for _, m := range ms {
		known[m.Version] = true
	}
	rows, err := s.db.QueryContext(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		return fmt.Errorf("read schema version of %s: %w", s.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return fmt.Errorf("read schema version of %s: %w", s.path, err)
		}
		if !known[v] {
			return fmt.Errorf("database %s has schema version %d, which this gantry does not know (it knows up to %d): a newer gantry has used it; upgrade gantry to that version or later (downgrades are not supported)", s.path, v, ms[len(ms)-1].Version)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read schema version of %s: %w", s.path, err)
	}
	return nil
}

// apply runs one migration unless it is recorded already. The check is inside the write
// transaction, so two processes opening a new database at once apply it once.
func (s *Store) apply(ctx context.Context, m store.Migration) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", m.Version).Scan(&n); err != nil {
			return fmt.Errorf("check migration %s of %s: %w", m.Name, s.path, err)
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply migration %s to %s: %w", m.Name, s.path, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", m.Version, micros(now())); err != nil {
			return fmt.Errorf("record migration %s of %s: %w", m.Name, s.path, err)
		}
		return nil
	})
}
