package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/classla/gantry/internal/store"
)

// SaveInstallation inserts in or updates its account and suspension. CreatedAt is set on
// insert and kept afterwards; UpdatedAt is set on every save.
func (s *Store) SaveInstallation(ctx context.Context, in store.Installation) error {
	t := micros(now())
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO installations (id, account, suspended, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET account = excluded.account, suspended = excluded.suspended,
				updated_at = excluded.updated_at`,
			in.ID, in.Account, in.Suspended, t, t)
		if err != nil {
			return fmt.Errorf("save installation %d (%s): %w", in.ID, in.Account, err)
		}
		return nil
	})
}

// DeleteInstallation removes installation id; removing one that is not stored is not an error,
// so an uninstall handled twice does no harm.
func (s *Store) DeleteInstallation(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM installations WHERE id = ?", id); err != nil {
			return fmt.Errorf("delete installation %d: %w", id, err)
		}
		return nil
	})
}

// ListInstallations returns every installation ordered by ID.
func (s *Store) ListInstallations(ctx context.Context) ([]store.Installation, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, account, suspended, created_at, updated_at FROM installations ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list installations: %w", err)
	}
	defer rows.Close()
	var out []store.Installation
	for rows.Next() {
		var in store.Installation
		if err := rows.Scan(&in.ID, &in.Account, &in.Suspended, timeCol{&in.CreatedAt}, timeCol{&in.UpdatedAt}); err != nil {
			return nil, fmt.Errorf("list installations: %w", err)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list installations: %w", err)
	}
	return out, nil
}
