package flow

import (
	"context"
	"fmt"

	"github.com/google/go-github/v62/github"

	"github.com/classla/gantry/internal/store"
)

// routeInstallation records installations so the status page and later work know them.
func routeInstallation(_ *Intake, ev any) ([]store.NewJob, string, error) {
	var s InstallationSpec
	switch e := ev.(type) {
	case *github.InstallationEvent:
		in := e.GetInstallation()
		s = InstallationSpec{Action: e.GetAction(), ID: in.GetID(), Account: in.GetAccount().GetLogin(),
			Suspended: in.SuspendedAt != nil || e.GetAction() == "suspend"}
		if e.GetAction() == "unsuspend" {
			s.Suspended = false
		}
		for _, r := range e.Repositories {
			s.ReposAdded = append(s.ReposAdded, r.GetFullName())
		}
	case *github.InstallationRepositoriesEvent:
		in := e.GetInstallation()
		s = InstallationSpec{Action: "repositories_" + e.GetAction(), ID: in.GetID(), Account: in.GetAccount().GetLogin(),
			Suspended: in.SuspendedAt != nil}
		for _, r := range e.RepositoriesAdded {
			s.ReposAdded = append(s.ReposAdded, r.GetFullName())
		}
		for _, r := range e.RepositoriesRemoved {
			s.ReposRemoved = append(s.ReposRemoved, r.GetFullName())
		}
	}
	if s.ID == 0 {
		return nil, "installation event without an installation id", nil
	}
	return []store.NewJob{{Kind: KindInstallation, InstallationID: s.ID, Spec: spec(s), MaxAttempts: 3}}, "", nil
}

// runInstallation keeps the store's list of installations in step with GitHub.
func runInstallation(ctx context.Context, t *task[InstallationSpec]) (any, error) {
	s := t.Spec
	if s.Action == "deleted" {
		if err := t.Store.DeleteInstallation(ctx, s.ID); err != nil {
			return nil, fmt.Errorf("forgetting installation %d: %w", s.ID, err)
		}
		return nil, nil
	}
	in := store.Installation{ID: s.ID, Account: s.Account, Suspended: s.Suspended}
	if err := t.Store.SaveInstallation(ctx, in); err != nil {
		return nil, fmt.Errorf("recording installation %d of %s: %w", s.ID, s.Account, err)
	}
	return nil, nil
}
