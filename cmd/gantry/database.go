package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/postgres"
	"github.com/classla/gantry/internal/store/sqlite"
)

// openDatabase opens the database of GANTRY_DATABASE_URL: sqlite://PATH, the embedded database of
// one replica (singleReplica: no other process shares it), or postgres://…, which several
// replicas share. The password of a postgres URL is taught to red (which may be nil) before
// anything can print it.
func openDatabase(ctx context.Context, dbURL string, red *redact.Filter) (st store.Store, singleReplica bool, err error) {
	if path, ok := strings.CutPrefix(dbURL, "sqlite://"); ok {
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, false, err
		}
		return db, true, nil
	}
	if strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://") {
		if u, err := url.Parse(dbURL); err == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok {
				red.Add(pw, url.QueryEscape(pw), url.PathEscape(pw))
			}
		}
		db, err := postgres.Open(ctx, dbURL)
		if err != nil {
			return nil, false, fmt.Errorf("GANTRY_DATABASE_URL: %w", err)
		}
		return db, false, nil
	}
	return nil, false, &usageError{fmt.Errorf("GANTRY_DATABASE_URL: use sqlite://PATH (one replica) or postgres://USER@HOST/DATABASE (several replicas)")}
}
