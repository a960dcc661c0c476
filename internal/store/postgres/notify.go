package postgres

import (
	"context"
	"fmt"
)

// Listen calls wake whenever a transaction on this database, by any replica, queued a job or
// made one claimable (NOTIFY gantry_jobs), and once as soon as it listens, for what was queued
// before. It holds one connection of its own, taken out of the pool, for as long as it runs;
// it returns nil when ctx ends, and an error when the connection fails.
func (s *Store) Listen(ctx context.Context, wake func()) error {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("listen for queued jobs on %s: %w", s.name, err)
	}
	// LISTEN belongs to the session: the connection must never go back to the pool listening.
	conn := pc.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("listen for queued jobs on %s: %w", s.name, err)
	}
	wake()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("wait for queued jobs on %s: %w", s.name, err)
		}
		wake()
	}
}
