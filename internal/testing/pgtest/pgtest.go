// Package pgtest gives tests a PostgreSQL database of their own.
//
// The server is the one GANTRY_TEST_DATABASE_URL names (an admin URL of a server where its user
// may create databases, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable; CI
// sets it). When it is unset, the first test that asks starts a throwaway cluster for the whole
// test binary with the installed initdb and postgres binaries: data and socket under a
// directory of os.TempDir, listening on 127.0.0.1 only, on a free port, without fsync (its data
// is thrown away). The cluster is stopped and its directory removed by Main, when a package's
// TestMain calls it; without Main, or if the test binary is killed, the server gets SIGKILL when
// the binary exits (Linux parent-death signal) and the directory stays in os.TempDir, named
// gantry-pgtest-*.
//
// With neither a URL nor the binaries, tests fail saying what to install or set: a test that
// needs PostgreSQL never skips.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL is the variable that names the server tests use.
const EnvURL = "GANTRY_TEST_DATABASE_URL"

var (
	serverOnce sync.Once
	serverURL  string
	serverErr  error
	cluster    *throwaway
)

// ServerURL returns the admin URL of the test server, starting the throwaway cluster if
// GANTRY_TEST_DATABASE_URL is unset. Tests that only need one database use NewDatabase.
func ServerURL(t testing.TB) string {
	t.Helper()
	serverOnce.Do(func() {
		if u := os.Getenv(EnvURL); u != "" {
			serverURL = u
			return
		}
		cluster, serverErr = startThrowaway()
		if serverErr == nil {
			serverURL = cluster.url
		}
	})
	if serverErr != nil {
		t.Fatalf("PostgreSQL for tests: %v", serverErr)
	}
	return serverURL
}

// NewDatabase creates an empty database for t on the test server and returns its URL. The
// database is dropped when t ends, after the cleanups t registers later (such as closing a
// store on it), forcibly if connections are left.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := ServerURL(t)
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL, like postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", EnvURL)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "gantry_test_" + hex.EncodeToString(b)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := adminExec(ctx, admin, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database %s on %s: %v; the URL's user must be allowed to create databases", name, u.Redacted(), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// adminExec runs one statement on a connection of its own (CREATE and DROP DATABASE cannot run
// in a transaction or on a pooled connection that another test may be using).
func adminExec(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// Main runs the tests of a package and then stops the throwaway cluster, if one was started.
// Call it from TestMain: func TestMain(m *testing.M) { pgtest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if cluster != nil {
		if err := cluster.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
	}
	os.Exit(code)
}

// missingServer is the message for a machine with neither a server nor the binaries.
func missingServer(why string) error {
	return fmt.Errorf("%s is unset and no throwaway cluster could be started (%s): set %s to a PostgreSQL server where its user may create databases (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable), or install the PostgreSQL server binaries initdb and postgres (Debian and Ubuntu: apt-get install postgresql; macOS: brew install postgresql) on PATH or under /usr/lib/postgresql/VERSION/bin",
		EnvURL, strings.TrimSpace(why), EnvURL)
}
