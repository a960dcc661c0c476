package postgres

import (
	"testing"

	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/storetest"
	"github.com/classla/gantry/internal/testing/pgtest"
)

// openURL opens the database at url and closes it when t ends.
func openURL(t testing.TB, url string) *Store {
	t.Helper()
	s, err := Open(t.Context(), url)
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

// openTemp opens a store on a new database of its own.
func openTemp(t testing.TB) *Store {
	t.Helper()
	return openURL(t, pgtest.NewDatabase(t))
}

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}
