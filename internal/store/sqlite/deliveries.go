package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/classla/gantry/internal/store"
)

// RecordDelivery stores d and jobs in one transaction. A delivery ID seen before writes
// nothing and returns recorded=false. Jobs that leave DeliveryID empty are attributed to d.
// ReceivedAt defaults to the store's clock.
func (s *Store) RecordDelivery(ctx context.Context, d store.Delivery, jobs []store.NewJob) (bool, error) {
	if d.ID == "" {
		return false, errors.New("record delivery: the delivery ID is empty: pass the X-GitHub-Delivery header of the request")
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = now()
	}
	recorded := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO deliveries (id, event, action, installation_id, repo, payload, received_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			d.ID, d.Event, d.Action, d.InstallationID, d.Repo, d.Payload, micros(d.ReceivedAt))
		if err != nil {
			return fmt.Errorf("record delivery %s: %w", d.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("record delivery %s: %w", d.ID, err)
		}
		if n == 0 {
			return nil // seen before: its jobs exist already
		}
		created := now()
		for i, j := range jobs {
			if j.DeliveryID == "" {
				j.DeliveryID = d.ID
			}
			if j.DeliveryID != d.ID {
				return fmt.Errorf("record delivery %s: job %d (%s) names delivery %q: leave DeliveryID empty or set it to the delivery's ID", d.ID, i, j.Kind, j.DeliveryID)
			}
			if _, err := insertJob(ctx, tx, j, created); err != nil {
				return fmt.Errorf("record delivery %s: job %d: %w", d.ID, i, err)
			}
		}
		recorded = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return recorded, nil
}

// GetDelivery returns the delivery with id, or store.ErrNotFound.
func (s *Store) GetDelivery(ctx context.Context, id string) (store.Delivery, error) {
	var d store.Delivery
	err := s.db.QueryRowContext(ctx, `SELECT id, event, action, installation_id, repo, payload, received_at
		FROM deliveries WHERE id = ?`, id).
		Scan(&d.ID, &d.Event, &d.Action, &d.InstallationID, &d.Repo, &d.Payload, timeCol{&d.ReceivedAt})
	if err != nil {
		return store.Delivery{}, notFound(err, fmt.Sprintf("delivery %s", id))
	}
	return d, nil
}
