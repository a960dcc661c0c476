package github

import (
	"fmt"
	"strings"
)

// Repo names a repository.
type Repo struct {
	Owner, Name string
}

// ParseRepo reads "owner/name".
func ParseRepo(s string) (Repo, error) {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") || strings.ContainsAny(s, " \t\n") {
		return Repo{}, fmt.Errorf("repository %q is not of the form owner/name", s)
	}
	return Repo{Owner: owner, Name: name}, nil
}

// String gives "owner/name".
func (r Repo) String() string { return r.Owner + "/" + r.Name }
