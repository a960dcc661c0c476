package postgres

import (
	"context"
	"io/fs"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/classla/gantry/internal/testing/pgtest"
)

// rawConn connects to url without the store, as an operator's psql would.
func rawConn(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Replicas of a deployment start together: each runs Open on the same empty database, and
// the schema must be created once, with none of them failing on another's half-made tables.
func TestReplicasStartingTogetherMigrateOnce(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	const replicas = 6
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Go(func() {
			s, err := Open(t.Context(), url)
			errs[i] = err
			if err == nil {
				s.Close()
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: Open: %v", i, err)
		}
	}
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v, %v", files, err)
	}
	var n int
	if err := rawConn(t, url).QueryRow(t.Context(), "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(files) {
		t.Errorf("schema_migrations has %d rows after %d opens, want one per migration file (%d)", n, replicas, len(files))
	}
}

func TestOpenRefusesDatabaseOfNewerGantry(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	openURL(t, url)
	if _, err := rawConn(t, url).Exec(t.Context(), "INSERT INTO schema_migrations (version, applied_at) VALUES (9999, now())"); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), url)
	if err == nil {
		s.Close()
		t.Fatal("Open of a database with schema version 9999 succeeded, want an error")
	}
	for _, want := range []string{"9999", "newer gantry", "upgrade gantry"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// The URL holds the database password; Open's errors end up in logs and on the terminal.
func TestOpenErrorsNeverShowThePassword(t *testing.T) {
	t.Parallel()
	const password = "s3cr3t-Pa55"
	tests := []struct{ name, url string }{
		{"a server that does not answer", "postgres://gantry:" + password + "@127.0.0.1:1/gantry?sslmode=disable&connect_timeout=5"},
		{"a URL that does not parse", "postgres://gantry:" + password + "@127.0.0.1:notaport/gantry"},
		{"an unknown setting", "postgres://gantry:" + password + "@127.0.0.1:5432/gantry?sslmode=sometimes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Open(t.Context(), tt.url)
			if err == nil {
				s.Close()
				t.Fatalf("Open succeeded, want an error")
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error shows the password: %v", err)
			}
			if !strings.Contains(err.Error(), "GANTRY_DATABASE_URL") {
				t.Errorf("error %q does not say which setting to check (GANTRY_DATABASE_URL)", err)
			}
		})
	}
}
