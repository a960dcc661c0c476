package github

import (
	"context"
	"fmt"
	"net/url"
)

// Permission is a user's role on a repository, ordered from least to most access.
type Permission int

// The repository roles GitHub knows, in increasing order of access.
const (
	PermissionNone Permission = iota
	PermissionRead
	PermissionTriage
	PermissionWrite
	PermissionMaintain
	PermissionAdmin
)

var permissionNames = [...]string{"none", "read", "triage", "write", "maintain", "admin"}

// String gives GitHub's name for the role.
func (p Permission) String() string {
	if p < 0 || int(p) >= len(permissionNames) {
		return fmt.Sprintf("Permission(%d)", int(p))
	}
	return permissionNames[p]
}

// AtLeast reports whether p grants everything q grants.
func (p Permission) AtLeast(q Permission) bool { return p >= q }

// ParsePermission reads GitHub's name of a role ("read", "write", …); ok is false for other names,
// such as an organisation's custom roles.
func ParsePermission(name string) (p Permission, ok bool) {
	for i, n := range permissionNames {
		if n == name {
			return Permission(i), true
		}
	}
	return PermissionNone, false
}

// Permission returns user's role on repo. A user who is not a collaborator has PermissionNone.
func (c *Client) Permission(ctx context.Context, repo Repo, user string) (Permission, error) {
	// go-github v62 does not decode role_name, the field that tells maintain and triage apart.
	req, err := c.gh.NewRequest("GET", fmt.Sprintf("repos/%s/%s/collaborators/%s/permission",
		url.PathEscape(repo.Owner), url.PathEscape(repo.Name), url.PathEscape(user)), nil)
	if err != nil {
		return PermissionNone, fmt.Errorf("getting %s's permission on %s: %w", user, repo, err)
	}
	var level struct {
		Permission string `json:"permission"`
		RoleName   string `json:"role_name"`
	}
	if _, err := c.gh.Do(ctx, req, &level); err != nil {
		if IsNotFound(err) {
			return PermissionNone, nil
		}
		return PermissionNone, fmt.Errorf("getting %s's permission on %s: %w", user, repo, redact(err))
	}
	// role_name is the real role ("maintain", "triage" or a custom role); permission is the legacy
	// read/write/admin view of it, the fallback for custom roles.
	if p, ok := ParsePermission(level.RoleName); ok {
		return p, nil
	}
	p, _ := ParsePermission(level.Permission)
	return p, nil
}
