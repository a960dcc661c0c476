package github_test

import (
	"testing"

	"github.com/classla/gantry/internal/github"
)

func TestPermissionMapsGitHubRoles(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.SetPermission("classla/lms", "ada", "admin")
	fake.SetPermission("classla/lms", "max", "maintain") // permission "write", role_name "maintain"
	fake.SetPermission("classla/lms", "wes", "write")
	fake.SetPermission("classla/lms", "tia", "triage") // permission "read", role_name "triage"
	fake.SetPermission("classla/lms", "rui", "read")
	fake.SetCustomRole("classla/lms", "cam", "security-reviewer", "write")
	fake.RemoveUser("ghost")
	c := newClient(t, fake)

	tests := []struct {
		name string
		user string
		want github.Permission
	}{
		{name: "admin is admin", user: "ada", want: github.PermissionAdmin},
		{name: "maintain is told apart from write by role_name", user: "max", want: github.PermissionMaintain},
		{name: "write is write", user: "wes", want: github.PermissionWrite},
		{name: "triage is told apart from read by role_name", user: "tia", want: github.PermissionTriage},
		{name: "read is read", user: "rui", want: github.PermissionRead},
		{name: "a custom role falls back to its base permission", user: "cam", want: github.PermissionWrite},
		{name: "an account without access has none", user: "eve", want: github.PermissionNone},
		{name: "an account that does not exist (404) has none", user: "ghost", want: github.PermissionNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.Permission(t.Context(), lms, tt.user)
			if err != nil {
				t.Fatalf("Permission(%s): %v", tt.user, err)
			}
			if got != tt.want {
				t.Errorf("Permission(%s) = %v, want %v", tt.user, got, tt.want)
			}
		})
	}
}

func TestPermissionAtLeastFollowsGitHubsOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p, q github.Permission
		want bool
	}{
		{name: "write suffices for write", p: github.PermissionWrite, q: github.PermissionWrite, want: true},
		{name: "maintain suffices for write", p: github.PermissionMaintain, q: github.PermissionWrite, want: true},
		{name: "triage does not suffice for write", p: github.PermissionTriage, q: github.PermissionWrite, want: false},
		{name: "read suffices for read", p: github.PermissionRead, q: github.PermissionRead, want: true},
		{name: "none does not suffice for read", p: github.PermissionNone, q: github.PermissionRead, want: false},
		{name: "admin suffices for everything", p: github.PermissionAdmin, q: github.PermissionMaintain, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.AtLeast(tt.q); got != tt.want {
				t.Errorf("%v.AtLeast(%v) = %t, want %t", tt.p, tt.q, got, tt.want)
			}
		})
	}
}
