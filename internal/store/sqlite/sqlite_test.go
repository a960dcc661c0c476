package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/storetest"
)

// openTemp opens a new database in a directory of its own and closes it when t ends.
func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "data", "gantry.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	d := store.Delivery{ID: "d1", Event: "push", Repo: "acme/infra", Payload: []byte(`{"ref":"refs/heads/main"}`)}
	if _, err := s.RecordDelivery(ctx, d, []store.NewJob{{Kind: "plan", Repo: "acme/infra"}, {Kind: "apply", Repo: "acme/infra"}}); err != nil {
		t.Fatalf("RecordDelivery: %v", err)
	}
	running, ok, err := s.ClaimJob(ctx, "w", time.Minute)
	if err != nil || !ok {
		t.Fatalf("ClaimJob = %v, %v", ok, err)
	}
	before, err := s.ListJobs(ctx, store.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.GetDelivery(ctx, d.ID)
	if err != nil || string(got.Payload) != string(d.Payload) {
		t.Errorf("GetDelivery after reopening = %q, %v; want the recorded payload", got.Payload, err)
	}
	after, err := s.ListJobs(ctx, store.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("jobs after reopening (-before +after):\n%s", diff)
	}
	// The job that was running when the server stopped is still its owner's to finish.
	if err := s.FinishJob(ctx, running.ID, "w", store.Outcome{State: store.Succeeded}); err != nil {
		t.Errorf("FinishJob after reopening: %v", err)
	}
}

func TestOpenAppliesMigrationsOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gantry.db")
	for range 2 {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v, %v", files, err)
	}
	db := rawDB(t, path)
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(files) {
		t.Errorf("schema_migrations has %d rows after two opens, want one per migration file (%d)", n, len(files))
	}
}

func TestOpenRefusesDatabaseOfNewerGantry(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gantry.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rawDB(t, path).Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)"); err != nil {
		t.Fatal(err)
	}
	_, err = Open(t.Context(), path)
	if err == nil {
		t.Fatal("Open of a database with schema version 9999 succeeded, want an error")
	}
	for _, want := range []string{path, "9999", "newer gantry", "upgrade gantry"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestOpenReportsUnusablePath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "not-a-dir")
	// Longer than a database page: SQLite treats a shorter file as an empty database.
	if err := os.WriteFile(file, []byte(strings.Repeat("not a database\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
	}{
		{"a parent that is a file", filepath.Join(file, "gantry.db")},
		{"a path that is a directory", dir},
		{"a file that is not a database", file},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Open(t.Context(), tt.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded, want an error", tt.path)
			}
			for _, want := range []string{tt.path, "GANTRY_DATA_DIR", "GANTRY_DATABASE_URL"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestOpenCreatesPrivateDirectoryAndFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state", "gantry")
	path := filepath.Join(dir, "gantry.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	for p, want := range map[string]fs.FileMode{dir: 0o700, path: 0o600} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v, want %v", p, got, want)
		}
	}
}

// Every pooled connection, not only the first, must run with the durable settings.
func TestEveryConnectionIsDurable(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := t.Context()
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 4 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		var mode string
		var sync, fk, busy int
		for q, dst := range map[string]any{
			"PRAGMA journal_mode": &mode, "PRAGMA synchronous": &sync, "PRAGMA foreign_keys": &fk, "PRAGMA busy_timeout": &busy,
		} {
			if err := c.QueryRowContext(ctx, q).Scan(dst); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		// synchronous 2 is FULL; busy_timeout is in milliseconds.
		if mode != "wal" || sync != 2 || fk != 1 || busy != int(busyTimeout/time.Millisecond) {
			t.Errorf("connection %d: journal_mode %s, synchronous %d, foreign_keys %d, busy_timeout %d; want wal, 2, 1, %d",
				i, mode, sync, fk, busy, busyTimeout/time.Millisecond)
		}
	}
}

// rawDB opens path without the store, as an operator's tool would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Deliveries arriving together share a commit; each must still get its own answer: a broken
// one fails alone, a duplicate is reported as such, and the others are all stored.
func TestConcurrentDeliveriesAreEachRecordedOnce(t *testing.T) {
	t.Parallel()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 40
	type answer struct {
		recorded bool
		err      error
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("d-%d", i%30) // deliveries 30..39 repeat 0..9
			job := store.NewJob{Kind: "plan", Repo: "acme/infra"}
			if i == 17 {
				job.Kind = "" // invalid: this delivery must fail and leave nothing behind
			}
			rec, err := s.RecordDelivery(context.Background(), store.Delivery{ID: id, Event: "push"}, []store.NewJob{job})
			answers[i] = answer{rec, err}
		}()
	}
	wg.Wait()

	ctx := context.Background()
	recordedIDs := map[string]int{}
	for i, a := range answers {
		id := fmt.Sprintf("d-%d", i%30)
		switch {
		case i == 17:
			if a.err == nil || a.recorded {
				t.Errorf("the invalid delivery: recorded=%v err=%v, want an error", a.recorded, a.err)
			}
		case a.err != nil:
			t.Errorf("delivery %d: %v", i, a.err)
		case a.recorded:
			recordedIDs[id]++
		}
	}
	for i := range 30 {
		id := fmt.Sprintf("d-%d", i)
		_, err := s.GetDelivery(ctx, id)
		if i == 17 {
			if err == nil {
				t.Errorf("the invalid delivery was stored")
			}
			continue
		}
		if err != nil || recordedIDs[id] != 1 {
			t.Errorf("delivery %s: stored err=%v, recorded %d times, want stored and recorded once", id, err, recordedIDs[id])
		}
		jobs, _ := s.ListJobs(ctx, store.JobFilter{DeliveryID: id})
		if len(jobs) != 1 {
			t.Errorf("delivery %s has %d jobs, want 1", id, len(jobs))
		}
	}
}
