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
//
// Deliveries are group-committed: calls that arrive while a commit is on its way to disk wait
// for it, and the next commit writes them all at once, each in its own savepoint. Every
// call still returns only once its delivery is synced, but concurrent deliveries share one
// fsync, which is what a durable write costs most. If ctx ends while the call waits, the
// delivery may still be written; a redelivery then finds it recorded.
func (s *Store) RecordDelivery(ctx context.Context, d store.Delivery, jobs []store.NewJob) (bool, error) {
	if d.ID == "" {
		return false, errors.New("record delivery: the delivery ID is empty: pass the X-GitHub-Delivery header of the request")
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = now()
	}
	p := &pendingDelivery{d: d, jobs: jobs, done: make(chan struct{})}
	s.pendingMu.Lock()
	s.pending = append(s.pending, p)
	s.pendingMu.Unlock()
	select {
	case s.writeGate <- struct{}{}:
		// This call commits every delivery pending now, its own included unless an earlier
		// commit already took it.
		s.commitPending()
		<-s.writeGate
	case <-p.done:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	<-p.done
	return p.recorded, p.err
}

// pendingDelivery is a RecordDelivery call waiting for a group commit.
type pendingDelivery struct {
	d        store.Delivery
	jobs     []store.NewJob
	recorded bool
	err      error
	done     chan struct{}
}

// commitPending writes the pending deliveries in one transaction; the caller holds the gate.
func (s *Store) commitPending() {
	s.pendingMu.Lock()
	batch := s.pending
	s.pending = nil
	s.pendingMu.Unlock()
	if len(batch) == 0 {
		return
	}
	// The batch carries other callers' deliveries: no single caller's ctx may abort it.
	ctx, cancel := context.WithTimeout(context.Background(), busyTimeout)
	defer cancel()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, p := range batch {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT delivery"); err != nil {
				return err
			}
			p.recorded, p.err = recordDelivery(ctx, tx, p.d, p.jobs)
			if p.err != nil {
				p.recorded = false
				if _, err := tx.ExecContext(ctx, "ROLLBACK TO delivery"); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, "RELEASE delivery"); err != nil {
				return err
			}
		}
		return nil
	})
	for _, p := range batch {
		if err != nil && p.err == nil {
			p.recorded, p.err = false, fmt.Errorf("record delivery %s: %w", p.d.ID, err)
		}
		close(p.done)
	}
}

// recordDelivery inserts one delivery and its jobs inside tx.
func recordDelivery(ctx context.Context, tx *sql.Tx, d store.Delivery, jobs []store.NewJob) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO deliveries (id, event, action, installation_id, repo, payload, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		d.ID, d.Event, d.Action, d.InstallationID, d.Repo, d.Payload, micros(d.ReceivedAt))
	if err != nil {
		return false, fmt.Errorf("record delivery %s: %w", d.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record delivery %s: %w", d.ID, err)
	}
	if n == 0 {
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
	err := s.db.QueryRowContext(ctx, `SELECT id, event, action, installation_id, repo, payload, received_at
		FROM deliveries WHERE id = ?`, id).
		Scan(&d.ID, &d.Event, &d.Action, &d.InstallationID, &d.Repo, &d.Payload, timeCol{&d.ReceivedAt})
	if err != nil {
		return store.Delivery{}, notFound(err, fmt.Sprintf("delivery %s", id))
	}
	return d, nil
}
