package aws_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/aws"
	"github.com/classla/gantry/internal/testing/oidcfake"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestFileToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("a rotated file is read again", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "token")
		src := aws.FileToken{Path: path}
		for _, content := range []string{"first.jwt.token\n", "second.jwt.token\n"} {
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := src.Token(ctx)
			if want := strings.TrimSpace(content); err != nil || got != want {
				t.Errorf("Token() = %q, %v; want %q (the trailing newline is not part of a token)", got, err, want)
			}
		}
	})

	cases := []struct {
		name    string
		content *string
		want    string
	}{
		{"a missing file names the variable to check", nil, "AWS_WEB_IDENTITY_TOKEN_FILE"},
		{"an empty file says what it must hold", new(" \n"), "is empty: it must hold an OIDC token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "token")
			if tc.content != nil {
				if err := os.WriteFile(path, []byte(*tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := aws.FileToken{Path: path}.Token(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestActionsToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("the request token is sent as the bearer and the audience is sts.amazonaws.com", func(t *testing.T) {
		t.Parallel()
		oidc, url, bearer := runnerOIDC(t)
		src, err := aws.TokenSourceFromEnv(env(map[string]string{
			"ACTIONS_ID_TOKEN_REQUEST_URL": url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": bearer,
		}), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Token(ctx); err != nil {
			t.Fatalf("Token: %v", err)
		}
		// The fake refuses any other bearer, so a token at all proves the bearer; Requests shows the audience.
		if diff := cmp.Diff([]oidcfake.TokenRequest{{Audience: "sts.amazonaws.com", Granted: true}}, oidc.Requests()); diff != "" {
			t.Errorf("tokens asked for (-want +got):\n%s", diff)
		}
	})

	t.Run("another audience can be asked for", func(t *testing.T) {
		t.Parallel()
		oidc, url, bearer := runnerOIDC(t)
		src := aws.ActionsToken{RequestURL: url, RequestToken: bearer, Audience: "https://gantry.example.com"}
		if _, err := src.Token(ctx); err != nil {
			t.Fatal(err)
		}
		if asked := oidc.Requests(); len(asked) != 1 || asked[0].Audience != "https://gantry.example.com" || !asked[0].Granted {
			t.Errorf("asked %+v, want one token for https://gantry.example.com", asked)
		}
	})

	t.Run("a refused request token says to grant id-token: write and does not show it", func(t *testing.T) {
		t.Parallel()
		_, url, _ := runnerOIDC(t)
		const stale = "stale-request-token-3f9a"
		_, err := aws.ActionsToken{RequestURL: url, RequestToken: stale}.Token(ctx)
		if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "id-token: write") {
			t.Errorf("err = %v, want the 401 and a hint about `permissions: id-token: write`", err)
		}
		if err != nil && strings.Contains(err.Error(), stale) {
			t.Errorf("the error shows the request token: %v", err)
		}
	})
}

func TestTokenSourceFromEnv(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		vars    map[string]string
		want    aws.TokenSource
		wantErr string
	}{
		{"a runner's OIDC variables choose GitHub Actions, for STS's audience",
			map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "https://actions.example/idtoken?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "rt", "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token"},
			aws.ActionsToken{RequestURL: "https://actions.example/idtoken?api-version=2.0", RequestToken: "rt", Audience: "sts.amazonaws.com"}, ""},
		{"outside a runner the token file is used",
			map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token"},
			aws.FileToken{Path: "/var/run/token"}, ""},
		{"half of the runner's variables with a file uses the file",
			map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "https://actions.example/idtoken", "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token"},
			aws.FileToken{Path: "/var/run/token"}, ""},
		{"half of the runner's variables alone names both",
			map[string]string{"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "rt"},
			nil, "only one of ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN"},
		{"nothing set says what to set in a runner and on a server",
			map[string]string{"AWS_ROLE_ARN": "arn:aws:iam::111111111111:role/ignored"},
			nil, "`permissions: id-token: write`"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := aws.TokenSourceFromEnv(env(tc.vars), nil)
			if tc.wantErr != "" {
				if !errors.Is(err, aws.ErrNoTokenSource) || !strings.Contains(err.Error(), tc.wantErr) ||
					(tc.vars["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] == "" && !strings.Contains(err.Error(), "AWS_WEB_IDENTITY_TOKEN_FILE")) {
					t.Errorf("err = %v, want ErrNoTokenSource saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("source (-want +got):\n%s", diff)
			}
		})
	}
}

// runnerOIDC is GitHub Actions' token endpoint for a runner of a job on main, as
// ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN give it.
func runnerOIDC(t *testing.T) (oidc *oidcfake.Issuer, url, bearer string) {
	t.Helper()
	oidc = oidcfake.New(t)
	url, bearer = oidc.Runner(oidc.ActionsClaims("classla/lms", "1296269", "main", "gantry.yml", "gantry-plan", ""))
	return oidc, url, bearer
}
