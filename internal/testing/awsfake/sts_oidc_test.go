package awsfake_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/classla/gantry/internal/testing/awsfake"
	"github.com/classla/gantry/internal/testing/oidcfake"
)

const (
	runnerAudience = "sts.amazonaws.com"
	prodSubject    = "repo:acme/infra:environment:prod"
)

// trustingSTS is an STS whose deployRole trusts iss for runners of acme/infra's prod environment asking for
// STS's audience, with the claims GitHub would put in such a runner's token.
func trustingSTS(t *testing.T, iss *oidcfake.Issuer) (*awsfake.STS, oidcfake.Claims) {
	t.Helper()
	s := awsfake.NewSTS(t)
	s.TrustOIDC(deployRole, iss.URL(), runnerAudience, prodSubject)
	return s, iss.ActionsClaims("acme/infra", "42", "main", "gantry.yml", "prod", runnerAudience)
}

func assume(t *testing.T, s *awsfake.STS, role, token string) error {
	t.Helper()
	_, err := stsClient(s).AssumeRoleWithWebIdentity(context.Background(), assumeInput(role, "gantry-session", token, 900))
	return err
}

// checkRefusal fails unless err is STS's refusal code with status and a message, with the SDK's typed error
// where STS's model has one.
func checkRefusal(t *testing.T, err error, status int, code string) {
	t.Helper()
	var apiErr smithy.APIError
	var respErr *smithyhttp.ResponseError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code || apiErr.ErrorMessage() == "" ||
		!errors.As(err, &respErr) || respErr.HTTPStatusCode() != status {
		t.Fatalf("err = %v, want %s with status %d and a message", err, code, status)
	}
	typed := map[string]func(error) bool{
		"InvalidIdentityToken":  isA[*types.InvalidIdentityTokenException],
		"ExpiredTokenException": isA[*types.ExpiredTokenException],
		"IDPCommunicationError": isA[*types.IDPCommunicationErrorException],
	}
	if is, ok := typed[code]; ok && !is(err) {
		t.Errorf("err = %v, want the SDK's typed error for %s", err, code)
	}
}

func TestSTSGivesTheRoleToARunnerItsTrustPolicyNames(t *testing.T) {
	t.Parallel()
	iss := oidcfake.New(t)
	s, claims := trustingSTS(t, iss)
	token := iss.Sign(claims)

	out, err := stsClient(s).AssumeRoleWithWebIdentity(context.Background(), assumeInput(deployRole, "gantry-session", token, 900))
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	issued := s.Issued()
	if len(issued) != 1 {
		t.Fatalf("Issued() has %d entries, want 1", len(issued))
	}
	if issued[0].RoleARN != deployRole || issued[0].Subject != prodSubject || issued[0].Audience != runnerAudience {
		t.Errorf("issued %s to %q for %q, want %s to %q for %q", issued[0].RoleARN, issued[0].Subject, issued[0].Audience, deployRole, prodSubject, runnerAudience)
	}
	if aws.ToString(out.Credentials.AccessKeyId) != issued[0].AccessKeyID {
		t.Errorf("the SDK got access key %q, the fake issued %q", aws.ToString(out.Credentials.AccessKeyId), issued[0].AccessKeyID)
	}
	if got := aws.ToString(out.SubjectFromWebIdentityToken); got != prodSubject {
		t.Errorf("SubjectFromWebIdentityToken = %q, want %q", got, prodSubject)
	}
}

func TestSTSTrustsEachStatementOfARolesPolicy(t *testing.T) {
	t.Parallel()
	iss := oidcfake.New(t)
	s, claims := trustingSTS(t, iss)
	const stagingSubject = "repo:acme/infra:environment:staging"
	s.TrustOIDC(deployRole, iss.URL(), "https://gantry.example", stagingSubject)
	s.AllowRole(deployRole, "a-registered-opaque-token")

	staging := claims.Clone()
	staging["sub"], staging["aud"] = stagingSubject, "https://gantry.example"
	both := claims.Clone()
	both["aud"] = []string{"https://other.example", runnerAudience}

	for _, tc := range []struct {
		name, token, subject, audience string
	}{
		{"the first statement's runner gets the role", iss.Sign(claims), prodSubject, runnerAudience},
		{"the second statement's runner gets the role", iss.Sign(staging), stagingSubject, "https://gantry.example"},
		{"a token for several audiences gets the role for the trusted one", iss.Sign(both), prodSubject, runnerAudience},
		{"a token registered with AllowRole still gets the role", "a-registered-opaque-token", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(s.Issued())
			if err := assume(t, s, deployRole, tc.token); err != nil {
				t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
			}
			issued := s.Issued()[before]
			if issued.Subject != tc.subject || issued.Audience != tc.audience {
				t.Errorf("issued to %q for %q, want %q for %q", issued.Subject, issued.Audience, tc.subject, tc.audience)
			}
		})
	}
}

func TestSTSRefusesTokensItsTrustPolicyDoesNotName(t *testing.T) {
	t.Parallel()
	iss := oidcfake.New(t)
	other := oidcfake.New(t)
	now := time.Now()
	with := func(changes oidcfake.Claims, deleted ...string) func(oidcfake.Claims) oidcfake.Claims {
		return func(c oidcfake.Claims) oidcfake.Claims {
			for k, v := range changes {
				c[k] = v
			}
			for _, k := range deleted {
				delete(c, k)
			}
			return c
		}
	}
	cases := []struct {
		name       string
		role       string
		claims     func(oidcfake.Claims) oidcfake.Claims
		token      func(oidcfake.Claims) string // nil: signed by iss
		wantStatus int
		wantCode   string
	}{
		{"a runner of another environment is denied", deployRole, with(oidcfake.Claims{"sub": "repo:acme/infra:environment:staging"}), nil,
			403, "AccessDenied"},
		{"a runner of another repository is denied", deployRole, with(oidcfake.Claims{"sub": "repo:acme/infra-fork:environment:prod"}), nil,
			403, "AccessDenied"},
		{"a token for another audience is denied", deployRole, with(oidcfake.Claims{"aud": "https://github.com/acme"}), nil,
			403, "AccessDenied"},
		{"a valid token for a role nobody configured is denied", "arn:aws:iam::111111111111:role/other", with(nil), nil,
			403, "AccessDenied"},
		{"an expired token is refused as expired", deployRole, with(oidcfake.Claims{
			"iat": now.Add(-20 * time.Minute).Unix(), "nbf": now.Add(-20 * time.Minute).Unix(), "exp": now.Add(-10 * time.Minute).Unix()}), nil,
			400, "ExpiredTokenException"},
		{"a token without an expiry is invalid", deployRole, with(nil, "exp"), nil,
			400, "InvalidIdentityToken"},
		{"a token not valid yet is invalid", deployRole, with(oidcfake.Claims{"nbf": now.Add(10 * time.Minute).Unix()}), nil,
			400, "InvalidIdentityToken"},
		{"a token issued in the future is invalid", deployRole, with(oidcfake.Claims{"iat": now.Add(10 * time.Minute).Unix()}), nil,
			400, "InvalidIdentityToken"},
		{"a token of an issuer the role does not trust is invalid", deployRole, with(oidcfake.Claims{"iss": other.URL()}),
			func(c oidcfake.Claims) string { return other.Sign(c) }, 400, "InvalidIdentityToken"},
		{"a token that is not a JWT is invalid", deployRole, with(nil), func(oidcfake.Claims) string { return "not-a-jwt-at-all" },
			400, "InvalidIdentityToken"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, claims := trustingSTS(t, iss)
			claims = tc.claims(claims)
			token := iss.Sign(claims)
			if tc.token != nil {
				token = tc.token(claims)
			}
			checkRefusal(t, assume(t, s, tc.role, token), tc.wantStatus, tc.wantCode)
			if len(s.Issued()) != 0 {
				t.Errorf("credentials were issued for a refused token")
			}
		})
	}
}

func TestSTSExpiryAllowsAMinuteOfClockSkew(t *testing.T) {
	t.Parallel()
	iss := oidcfake.New(t)
	s, claims := trustingSTS(t, iss)
	now := time.Now()
	claims["exp"] = now.Add(-20 * time.Second).Unix()
	claims["nbf"] = now.Add(20 * time.Second).Unix()
	if err := assume(t, s, deployRole, iss.Sign(claims)); err != nil {
		t.Errorf("a token 20s past its exp and 20s before its nbf: %v, want the role", err)
	}

	claims["exp"] = now.Add(-90 * time.Second).Unix()
	claims["nbf"] = now.Add(-5 * time.Minute).Unix()
	err := assume(t, s, deployRole, iss.Sign(claims))
	checkRefusal(t, err, 400, "ExpiredTokenException")
	var apiErr smithy.APIError
	if errors.As(err, &apiErr); !strings.HasPrefix(apiErr.ErrorMessage(), "Token expired: current date/time ") {
		t.Errorf("message %q, want STS's %q", apiErr.ErrorMessage(), "Token expired: current date/time … must be before the expiration date/time …")
	}
}

func TestAForgerCannotAssumeARoleWithATokenTheIssuerDidNotSign(t *testing.T) {
	t.Parallel()
	iss := oidcfake.New(t)
	for name, opt := range map[string]oidcfake.SignOption{
		"a key the issuer never published":                oidcfake.UnknownKey(),
		"a key the issuer never published, under its kid": oidcfake.UnknownKeyWithKID(iss.KID()),
		"no signature (alg none)":                         oidcfake.AlgNone(),
		"HMAC keyed by the issuer's public key":           oidcfake.HS256WithPublicKey(),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, claims := trustingSTS(t, iss)
			checkRefusal(t, assume(t, s, deployRole, iss.Sign(claims, opt)), 400, "InvalidIdentityToken")
			if len(s.Issued()) != 0 {
				t.Errorf("credentials were issued for a forged token")
			}
		})
	}
}

func TestAForgerCannotPassATamperedTokenOff(t *testing.T) {
	t.Parallel()
	iss := oidcfake.New(t)
	s, claims := trustingSTS(t, iss)
	staging := claims.Clone()
	staging["sub"] = "repo:acme/infra:environment:staging"
	// The payload of a staging runner's genuine token swapped for prod's, its signature kept.
	genuine := strings.Split(iss.Sign(staging), ".")
	wanted := strings.Split(iss.Sign(claims), ".")
	tampered := genuine[0] + "." + wanted[1] + "." + genuine[2]
	checkRefusal(t, assume(t, s, deployRole, tampered), 400, "InvalidIdentityToken")
}

// stoppableTB runs its cleanups when stop is called, so a fake can be shut down in the middle of a test.
type stoppableTB struct {
	testing.TB
	cleanups []func()
}

func (s *stoppableTB) Cleanup(f func()) { s.cleanups = append(s.cleanups, f) }

func (s *stoppableTB) stop() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
	s.cleanups = nil
}

func TestSTSCannotVerifyTokensOfAnIssuerItCannotReach(t *testing.T) {
	t.Parallel()
	t.Run("the issuer is down", func(t *testing.T) {
		t.Parallel()
		tb := &stoppableTB{TB: t}
		t.Cleanup(tb.stop)
		iss := oidcfake.New(tb)
		s, claims := trustingSTS(t, iss)
		token := iss.Sign(claims)
		tb.stop()
		checkRefusal(t, assume(t, s, deployRole, token), 400, "IDPCommunicationError")
	})
	t.Run("the issuer publishes no discovery document", func(t *testing.T) {
		t.Parallel()
		signer := oidcfake.New(t)
		bare := httptest.NewServer(http.NotFoundHandler())
		t.Cleanup(bare.Close)
		s := awsfake.NewSTS(t)
		s.TrustOIDC(deployRole, bare.URL, runnerAudience, prodSubject)
		claims := signer.ActionsClaims("acme/infra", "42", "main", "gantry.yml", "prod", runnerAudience)
		claims["iss"] = bare.URL
		checkRefusal(t, assume(t, s, deployRole, signer.Sign(claims)), 400, "IDPCommunicationError")
	})
}

func TestSTSFetchesTheIssuersKeysAgainOnlyForAKidItHasNotSeen(t *testing.T) {
	t.Parallel()
	iss := oidcfake.New(t)
	s, claims := trustingSTS(t, iss)
	step := func(what string, token string, wantFetches int) {
		t.Helper()
		if err := assume(t, s, deployRole, token); err != nil {
			t.Fatalf("%s: %v, want the role", what, err)
		}
		if got := iss.JWKSFetches(); got != wantFetches {
			t.Errorf("after %s the issuer served its keys %d times, want %d", what, got, wantFetches)
		}
	}
	step("the first token", iss.Sign(claims), 1)
	step("a second token under the same key", iss.Sign(claims), 1)
	iss.Rotate()
	step("a token under the rotated key", iss.Sign(claims), 2)
	step("another token under the rotated key", iss.Sign(claims), 2)

	checkRefusal(t, assume(t, s, deployRole, iss.Sign(claims, oidcfake.UnknownKey())), 400, "InvalidIdentityToken")
	if got := iss.JWKSFetches(); got != 3 {
		t.Errorf("a token under an unknown kid made %d fetches of the keys, want one", got-2)
	}
}

func TestSTSAnswersOthersWhileAnIssuerIsSlow(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		http.NotFound(w, r)
	}))
	t.Cleanup(slow.Close)
	signer := oidcfake.New(t)
	s := awsfake.NewSTS(t)
	s.TrustOIDC(deployRole, slow.URL, runnerAudience, prodSubject)
	const otherRole = "arn:aws:iam::111111111111:role/ci/other"
	s.AllowRole(otherRole, "a-registered-opaque-token")

	claims := signer.ActionsClaims("acme/infra", "42", "main", "gantry.yml", "prod", runnerAudience)
	claims["iss"] = slow.URL
	slowDone := make(chan error, 1)
	go func() { slowDone <- assume(t, s, deployRole, signer.Sign(claims)) }()
	<-entered

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := stsClient(s).AssumeRoleWithWebIdentity(ctx, assumeInput(otherRole, "gantry-session", "a-registered-opaque-token", 900))
	close(release)
	if err != nil {
		t.Errorf("a call while another waits on its issuer: %v, want the role at once", err)
	}
	checkRefusal(t, <-slowDone, 400, "IDPCommunicationError")
}
