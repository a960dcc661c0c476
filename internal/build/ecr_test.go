package build_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/build"
	"github.com/classla/gantry/internal/testing/awsfake"
)

func TestECRAuthErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		deny       string // operation the role may not call
		repository string
		wantAction string // PermissionError.Action, or "" for a missing repository
	}{
		{"a role without ecr:GetAuthorizationToken is told to add it", "GetAuthorizationToken", "web", "ecr:GetAuthorizationToken"},
		{"a role without ecr:DescribeRepositories is told to add it", "DescribeRepositories", "web", "ecr:DescribeRepositories"},
		{"a repository that does not exist is named", "", "api", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := awsfake.NewECR(t, "127.0.0.1:5000")
			fake.AddRepository("web")
			if tc.deny != "" {
				fake.Deny(tc.deny)
			}
			_, auth, err := build.ECRAuth(context.Background(), ecrClient(fake), tc.repository)
			if err == nil {
				t.Fatal("ECRAuth succeeded, want an error")
			}
			if auth != (build.Auth{}) {
				t.Error("ECRAuth returned a login along with its error")
			}
			if strings.Contains(err.Error(), fake.Password()) {
				t.Errorf("error %q shows the registry password", err)
			}
			if tc.wantAction == "" {
				if !errors.Is(err, build.ErrRepositoryNotFound) || !strings.Contains(err.Error(), `"api"`) {
					t.Errorf("error %q: want ErrRepositoryNotFound naming \"api\"", err)
				}
				return
			}
			var perm *build.PermissionError
			if !errors.As(err, &perm) || perm.Action != tc.wantAction {
				t.Fatalf("error %q: want a PermissionError for %s", err, tc.wantAction)
			}
			if !strings.Contains(err.Error(), "add "+tc.wantAction) {
				t.Errorf("error %q does not say to add %s", err, tc.wantAction)
			}
		})
	}
}
