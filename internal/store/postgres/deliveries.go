package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/classla/gantry/internal/store"
)

// RecordDelivery stores d and jobs in one transaction, which also notifies listeners when it
// queued jobs. A delivery ID seen before writes nothing and returns recorded=false (the
// primary key decides, so two replicas given the same delivery record it once). Jobs that
// leave DeliveryID empty are attributed to d. ReceivedAt defaults to the store's clock.
//
// Unlike SQLite, nothing is batched here: PostgreSQL flushes the WAL of concurrent commits
// together, so parallel deliveries share fsyncs without help.
func (s *Store) RecordDelivery(ctx context.Context, d store.Delivery, jobs []store.NewJob) (bool, error) {
	if d.ID == "" {
		return false, errors.New("record delivery: the delivery ID is empty: pass the X-GitHub-Delivery header of the request")
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = now()
	}
	var recorded bool
	err := s.write(ctx, func(tx pgx.Tx) error {
		var err error
		recorded, err = recordDelivery(ctx, tx, d, jobs)
		if err == nil && recorded && len(jobs) > 0 {
			err = notifyJobs(ctx, tx)
		}
		return err
	})
	if err != nil {
		return false, err
	}
	return recorded, nil
}

// recordDelivery inserts one delivery and its jobs inside tx.
func recordDelivery(ctx context.Context, tx pgx.Tx, d store.Delivery, jobs []store.NewJob) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO deliveries (id, event, action, installation_id, repo, payload, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
		d.ID, d.Event, d.Action, d.InstallationID, d.Repo, d.Payload, ts(d.ReceivedAt))
	if err != nil {
		return false, fmt.Errorf("record delivery %s: %w", d.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil // seen before: its jobs exist already
	}
	created := now()
	for i, j := range jobs {
		if j.DeliveryID == "" {
			j.DeliveryID = d.ID
		}
		if j.DeliveryID != d.ID {
			return false, fmt.Errorf("record delivery %s: job %d (%s) names delivery %q: leave DeliveryID empty or set it to the delivery's ID", d.ID, i, j.Kind, j.DeliveryID)
		}
		if _, err := insertJob(ctx, tx, j, created); err != nil {
			return false, fmt.Errorf("record delivery %s: job %d: %w", d.ID, i, err)
		}
	}
	return true, nil
}

// GetDelivery returns the delivery with id, or store.ErrNotFound.
func (s *Store) GetDelivery(ctx context.Context, id string) (store.Delivery, error) {
	var d store.Delivery
	err := s.pool.QueryRow(ctx, `SELECT id, event, action, installation_id, repo, payload, received_at
		FROM deliveries WHERE id = $1`, id).
		Scan(&d.ID, &d.Event, &d.Action, &d.InstallationID, &d.Repo, &d.Payload, tsCol{&d.ReceivedAt})
	if err != nil {
		return store.Delivery{}, notFound(err, fmt.Sprintf("delivery %s", id))
	}
	return d, nil
}
