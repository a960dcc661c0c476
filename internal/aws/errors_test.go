package aws_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/aws"
	"github.com/classla/gantry/internal/testing/awsfake"
)

// githubToken is shaped like a GitHub Actions token of octo-org/octo-repo's main branch; its
// signature part is distinctive so that a leak of any part of the token is visible.
func githubToken() string {
	enc := base64.RawURLEncoding
	claims, _ := json.Marshal(map[string]string{
		"iss": "https://token.actions.githubusercontent.com", "aud": "sts.amazonaws.com",
		"sub": "repo:octo-org/octo-repo:ref:refs/heads/main",
	})
	return enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc.EncodeToString(claims) + ".U0VDUkVULVNJR05BVFVSRQ"
}

func TestRefusalsExplainTheTrustPolicy(t *testing.T) {
	t.Parallel()
	token := githubToken()
	fileDir := t.TempDir()
	tokenFile := filepath.Join(fileDir, "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		setup    func(*awsfake.STS)
		source   aws.TokenSource
		wantCode string
		wantText []string
	}{
		{"a token the role does not accept", func(s *awsfake.STS) { s.AllowRole(role, "another-token") }, staticToken(token),
			"InvalidIdentityToken", []string{"STS could not validate the token"}},
		{"a role whose trust policy refuses the repository", func(*awsfake.STS) {}, staticToken(token),
			"AccessDenied", []string{"Not authorized to perform sts:AssumeRoleWithWebIdentity"}},
		{"a claim the identity provider's policy rejects", func(s *awsfake.STS) {
			s.FailNext(403, "IDPRejectedClaim", "Token audience is not allowed")
		}, staticToken(token), "IDPRejectedClaim", []string{"Token audience is not allowed"}},
		{"an expired token from a file, which must be kept fresh", func(s *awsfake.STS) {
			s.FailNext(400, "ExpiredTokenException", "Token expired: current date/time 1700000900 must be before the expiration date/time 1700000600")
		}, aws.FileToken{Path: tokenFile}, "ExpiredTokenException", []string{"The token had expired", "Also check that " + tokenFile + " is fresh"}},
		{"a refusal whose message repeats the token", func(s *awsfake.STS) {
			s.FailNext(400, "InvalidIdentityToken", "Token "+token+" is malformed")
		}, staticToken(token), "InvalidIdentityToken", []string{"Token [token] is malformed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is an AssumeRoleError naming the role and the trust conditions", func(t *testing.T) {
			t.Parallel()
			s := awsfake.NewSTS(t)
			tc.setup(s)
			_, err := newProvider(t, options(s, tc.source)).Env(context.Background())
			var refused *aws.AssumeRoleError
			if !errors.As(err, &refused) {
				t.Fatalf("err = %v (%T), want an *AssumeRoleError", err, err)
			}
			if refused.RoleARN != role || refused.Code != tc.wantCode {
				t.Errorf("RoleARN %q, Code %q; want %q, %q", refused.RoleARN, refused.Code, role, tc.wantCode)
			}
			msg := err.Error()
			for _, want := range append([]string{
				role, tc.wantCode,
				"OIDC provider token.actions.githubusercontent.com",
				"aud = sts.amazonaws.com",
				"repo:OWNER/REPO:ref:refs/heads/main",
				`this token has sub "repo:octo-org/octo-repo:ref:refs/heads/main" and aud "sts.amazonaws.com"`,
			}, tc.wantText...) {
				if !strings.Contains(msg, want) {
					t.Errorf("the message lacks %q:\n%s", want, msg)
				}
			}
			for i, part := range strings.Split(token, ".") {
				if strings.Contains(msg, part) {
					t.Errorf("the message contains part %d of the token:\n%s", i, msg)
				}
			}
			if _, isFile := tc.source.(aws.FileToken); !isFile && strings.Contains(msg, "fresh") {
				t.Errorf("a token from GitHub Actions got the token file hint:\n%s", msg)
			}
		})
	}
}

type failingSource struct{ err error }

func (f failingSource) Token(context.Context) (string, error) { return "", f.err }

func TestTokenFailuresNeverReachSTS(t *testing.T) {
	t.Parallel()
	s := awsfake.NewSTS(t)
	cause := errors.New("GitHub Actions' OIDC token endpoint answered 401 Unauthorized")
	_, err := newProvider(t, options(s, failingSource{cause})).Env(context.Background())
	if !errors.Is(err, cause) || !strings.Contains(err.Error(), "getting a web identity token to assume "+role) {
		t.Errorf("err = %v, want the token source's error, naming the role", err)
	}
	var refused *aws.AssumeRoleError
	if errors.As(err, &refused) {
		t.Errorf("a token that was never obtained was reported as refused by STS")
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("STS got %d requests without a token", n)
	}
}

func TestAnUnreachableSTSNamesTheEndpointSettings(t *testing.T) {
	t.Parallel()
	s := awsfake.NewSTS(t)
	o := options(s, staticToken("tok-unreachable"))
	o.Getenv = env(map[string]string{"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1"})
	_, err := newProvider(t, o).Env(context.Background())
	if err == nil || !strings.Contains(err.Error(), "assuming "+role) || !strings.Contains(err.Error(), "AWS_ENDPOINT_URL_STS") {
		t.Errorf("err = %v, want one naming the role and the endpoint settings", err)
	}
}

// An issuer AWS cannot reach (gantry's own, behind a private load balancer) is not a trust policy
// problem: the message says where STS looks for the keys and what must be public.
func TestAnUnreachableIssuerIsExplainedAsSuch(t *testing.T) {
	t.Parallel()
	closed := "http://127.0.0.1:1" // nothing listens on port 1
	enc := base64.RawURLEncoding
	claims, _ := json.Marshal(map[string]string{"iss": closed, "aud": "sts.amazonaws.com",
		"sub": "repo:octo-org/octo-repo:project:production:phase:plan"})
	token := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","kid":"k1"}`)) + "." + enc.EncodeToString(claims) + ".U0lHTkFUVVJF"
	s := awsfake.NewSTS(t)
	s.TrustOIDC(role, closed, "sts.amazonaws.com", "repo:octo-org/octo-repo:project:production:phase:plan")
	_, err := newProvider(t, options(s, staticToken(token))).Env(context.Background())
	var refused *aws.AssumeRoleError
	if !errors.As(err, &refused) || refused.Code != "IDPCommunicationError" {
		t.Fatalf("err = %v, want an AssumeRoleError with IDPCommunicationError", err)
	}
	for _, want := range []string{role, "127.0.0.1:1", "/.well-known/openid-configuration", "GANTRY_PUBLIC_URL", "public CA"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the message lacks %q:\n%s", want, err)
		}
	}
	if strings.Contains(err.Error(), "U0lHTkFUVVJF") {
		t.Errorf("the message holds the token: %s", err)
	}
}
