package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/classla/gantry/internal/store"
)

// SaveInstallation inserts in or updates its account and suspension. CreatedAt is set on
// insert and kept afterwards; UpdatedAt is set on every save.
func (s *Store) SaveInstallation(ctx context.Context, in store.Installation) error {
	t := now()
	_, err := s.pool.Exec(ctx, `INSERT INTO installations (id, account, suspended, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (id) DO UPDATE SET account = excluded.account, suspended = excluded.suspended,
			updated_at = excluded.updated_at`,
		in.ID, in.Account, in.Suspended, t)
	if err != nil {
		return fmt.Errorf("save installation %d (%s): %w", in.ID, in.Account, err)
	}
	return nil
}

// DeleteInstallation removes installation id; removing one that is not stored is not an error,
// so an uninstall handled twice does no harm.
func (s *Store) DeleteInstallation(ctx context.Context, id int64) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM installations WHERE id = $1", id); err != nil {
		return fmt.Errorf("delete installation %d: %w", id, err)
	}
	return nil
}

// ListInstallations returns every installation ordered by ID.
func (s *Store) ListInstallations(ctx context.Context) ([]store.Installation, error) {
	rows, err := s.pool.Query(ctx, "SELECT id, account, suspended, created_at, updated_at FROM installations ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list installations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Installation, error) {
		var in store.Installation
		err := r.Scan(&in.ID, &in.Account, &in.Suspended, tsCol{&in.CreatedAt}, tsCol{&in.UpdatedAt})
		return in, err
	})
	if err != nil {
		return nil, fmt.Errorf("list installations: %w", err)
	}
	return out, nil
}
