package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/classla/gantry/internal/store"
)

const signingKeyColumns = "generation, kid, sealed, active_from, created_at"

func scanSigningKey(r rowScanner) (store.SigningKey, error) {
	var k store.SigningKey
	err := r.Scan(&k.Generation, &k.ID, &k.Sealed, tsCol{&k.ActiveFrom}, tsCol{&k.CreatedAt})
	return k, err
}

// AddSigningKey stores k unless its generation is taken; the primary key decides (ON CONFLICT
// waits for a concurrent insert of the generation), so this holds across replicas.
func (s *Store) AddSigningKey(ctx context.Context, k store.SigningKey) (store.SigningKey, error) {
	if k.Generation < 1 || k.ID == "" || len(k.Sealed) == 0 {
		return store.SigningKey{}, fmt.Errorf("add signing key: generation %d, kid %q, %d sealed bytes: each is required",
			k.Generation, k.ID, len(k.Sealed))
	}
	var out store.SigningKey
	var dup error
	err := s.write(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = scanSigningKey(tx.QueryRow(ctx, `INSERT INTO signing_keys (`+signingKeyColumns+`)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (generation) DO NOTHING RETURNING `+signingKeyColumns,
			k.Generation, k.ID, k.Sealed, ts(k.ActiveFrom), now()))
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		out, err = scanSigningKey(tx.QueryRow(ctx, "SELECT "+signingKeyColumns+" FROM signing_keys WHERE generation = $1",
			k.Generation))
		if err != nil {
			return err
		}
		dup = fmt.Errorf("signing key generation %d is key %s: %w", k.Generation, out.ID, store.ErrDuplicate)
		return nil
	})
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("add signing key %d: %w", k.Generation, err)
	}
	return out, dup
}

// SigningKeys returns every signing key, oldest generation first.
func (s *Store) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+signingKeyColumns+" FROM signing_keys ORDER BY generation")
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.SigningKey, error) { return scanSigningKey(r) })
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return out, nil
}

// DeleteSigningKeys removes the keys of generations below below.
func (s *Store) DeleteSigningKeys(ctx context.Context, below int64) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM signing_keys WHERE generation < $1", below); err != nil {
		return fmt.Errorf("delete signing keys below generation %d: %w", below, err)
	}
	return nil
}
