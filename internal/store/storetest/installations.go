package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/store"
)

var installationCases = []contractCase{
	{"saving an installation again updates it", installationUpdate},
	{"installations are listed by ID and deleted", installationDelete},
}

func installationUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	from := time.Now()
	if err := s.SaveInstallation(ctx, store.Installation{ID: 42, Account: "acme"}); err != nil {
		t.Fatalf("SaveInstallation: %v", err)
	}
	to := time.Now()
	list, err := s.ListInstallations(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListInstallations = %+v, %v; want one", list, err)
	}
	inserted := list[0]
	checkClock(t, "CreatedAt", inserted.CreatedAt, from, to)
	checkClock(t, "UpdatedAt", inserted.UpdatedAt, from, to)

	if err := s.SaveInstallation(ctx, store.Installation{ID: 42, Account: "acme-corp", Suspended: true}); err != nil {
		t.Fatalf("SaveInstallation (update): %v", err)
	}
	list, err = s.ListInstallations(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListInstallations = %+v, %v; want one", list, err)
	}
	got := list[0]
	if got.ID != 42 || got.Account != "acme-corp" || !got.Suspended {
		t.Errorf("updated installation = %+v, want 42 acme-corp suspended", got)
	}
	if !got.CreatedAt.Equal(inserted.CreatedAt) || got.UpdatedAt.Before(inserted.UpdatedAt) {
		t.Errorf("times after the update: created %v (was %v), updated %v (was %v); want created kept, updated not earlier",
			got.CreatedAt, inserted.CreatedAt, got.UpdatedAt, inserted.UpdatedAt)
	}
}

func installationDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, in := range []store.Installation{{ID: 30, Account: "c"}, {ID: 10, Account: "a"}, {ID: 20, Account: "b"}} {
		if err := s.SaveInstallation(ctx, in); err != nil {
			t.Fatalf("SaveInstallation: %v", err)
		}
	}
	if err := s.DeleteInstallation(ctx, 20); err != nil {
		t.Fatalf("DeleteInstallation: %v", err)
	}
	// An uninstall event handled twice must not fail the second time.
	if err := s.DeleteInstallation(ctx, 20); err != nil {
		t.Errorf("DeleteInstallation of a deleted installation: %v", err)
	}
	list, err := s.ListInstallations(ctx)
	if err != nil {
		t.Fatalf("ListInstallations: %v", err)
	}
	var accounts []string
	for _, in := range list {
		accounts = append(accounts, in.Account)
	}
	if diff := cmp.Diff([]string{"a", "c"}, accounts); diff != "" {
		t.Errorf("installations left (-want +got):\n%s", diff)
	}
}
