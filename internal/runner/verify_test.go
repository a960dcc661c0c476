package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/classla/gantry/internal/runner"
	"github.com/classla/gantry/internal/testing/oidcfake"
	"github.com/google/go-cmp/cmp"
)

const audience = "https://gantry.example"

var job = runner.Expect{
	Audience:      audience,
	Repository:    "acme/infra",
	RepositoryID:  "42",
	DefaultBranch: "main",
	WorkflowFile:  "gantry.yml",
	Environment:   "production",
}

// setup returns a fake issuer, a verifier of its tokens, and the claims of an honest runner of job.
func setup(t testing.TB) (*oidcfake.Issuer, *runner.Verifier, oidcfake.Claims) {
	t.Helper()
	iss := oidcfake.New(t)
	v := runner.NewVerifier(iss.URL(), iss.Client())
	return iss, v, iss.ActionsClaims(job.Repository, job.RepositoryID, job.DefaultBranch, job.WorkflowFile, job.Environment, audience)
}

func with(c oidcfake.Claims, changes oidcfake.Claims) oidcfake.Claims {
	out := c.Clone()
	for k, val := range changes {
		if val == nil {
			delete(out, k)
		} else {
			out[k] = val
		}
	}
	return out
}

func TestAnHonestRunnerClaimsItsJob(t *testing.T) {
	t.Parallel()
	iss, v, claims := setup(t)
	got, err := v.Verify(context.Background(), iss.Sign(claims), job)
	if err != nil {
		t.Fatal(err)
	}
	want := runner.Claims{
		Issuer: iss.URL(), Subject: "repo:acme/infra:environment:production", Audience: []string{audience},
		Repository: "acme/infra", RepositoryID: "42", RepositoryOwner: "acme", Ref: "refs/heads/main",
		SHA:            "0123456789abcdef0123456789abcdef01234567",
		WorkflowRef:    "acme/infra/.github/workflows/gantry.yml@refs/heads/main",
		JobWorkflowRef: "acme/infra/.github/workflows/gantry.yml@refs/heads/main",
		Environment:    "production", EventName: "workflow_dispatch", Actor: "octocat", RunID: "4242", RunAttempt: "1",
		IssuedAt:  time.Unix(claims["iat"].(int64), 0),
		NotBefore: time.Unix(claims["nbf"].(int64), 0),
		Expiry:    time.Unix(claims["exp"].(int64), 0),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
}

func TestATokenFromTheRunnersEndpointVerifies(t *testing.T) {
	t.Parallel()
	iss, v, claims := setup(t)
	// As `gantry run` will get it: from ACTIONS_ID_TOKEN_REQUEST_URL, for the server's audience.
	reqURL, reqToken := iss.Runner(with(claims, oidcfake.Claims{"aud": "the fake replaces this"}))
	req, err := http.NewRequest(http.MethodGet, reqURL+"&audience="+url.QueryEscape(audience), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+reqToken)
	resp, err := iss.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Value string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), body.Value, job); err != nil {
		t.Error(err)
	}
}

// Tokens an attacker could present, each refused by one check; they run against one verifier so the keys
// are cached, as in the server.
func TestAttackersCannotClaimAJob(t *testing.T) {
	t.Parallel()
	iss, v, honest := setup(t)
	other := oidcfake.New(t) // another issuer, with keys of its own
	now := time.Now()

	type refusal struct {
		status int // 401: *VerificationError, 403: *MismatchError
		claim  string
	}
	for _, tc := range []struct {
		name  string
		token func() string
		want  refusal
	}{
		{"a token for another server (wrong audience)", func() string {
			return iss.Sign(with(honest, oidcfake.Claims{"aud": "https://evil.example"}))
		}, refusal{401, "aud"}},
		{"a token with no audience", func() string {
			return iss.Sign(with(honest, oidcfake.Claims{"aud": nil}))
		}, refusal{401, "aud"}},
		{"a token naming another issuer, signed by ours", func() string {
			return iss.Sign(with(honest, oidcfake.Claims{"iss": "https://token.actions.evil.example"}))
		}, refusal{401, "iss"}},
		{"a token from another issuer", func() string {
			return other.Sign(with(honest, oidcfake.Claims{"iss": iss.URL()}))
		}, refusal{401, "signature"}},
		{"an expired token", func() string {
			return iss.Sign(with(honest, oidcfake.Claims{"iat": now.Add(-20 * time.Minute).Unix(), "nbf": now.Add(-20 * time.Minute).Unix(), "exp": now.Add(-10 * time.Minute).Unix()}))
		}, refusal{401, "exp"}},
		{"a token without an expiry", func() string {
			return iss.Sign(with(honest, oidcfake.Claims{"exp": nil}))
		}, refusal{401, "exp"}},
		{"a token not yet valid", func() string {
			return iss.Sign(with(honest, oidcfake.Claims{"nbf": now.Add(10 * time.Minute).Unix(), "exp": now.Add(20 * time.Minute).Unix()}))
		}, refusal{401, "nbf"}},
		{"a token signed by an unknown key", func() string {
			return iss.Sign(honest, oidcfake.UnknownKey())
		}, refusal{401, "signature"}},
		{"a token signed by an unknown key under a known kid", func() string {
			return iss.Sign(honest, oidcfake.UnknownKeyWithKID(iss.KID()))
		}, refusal{401, "signature"}},
		{"a token signed by an unknown key without a kid", func() string {
			return iss.Sign(honest, oidcfake.UnknownKey(), oidcfake.KID(""))
		}, refusal{401, "signature"}},
		{"an unsigned token (alg none)", func() string {
			return iss.Sign(honest, oidcfake.AlgNone())
		}, refusal{401, "alg"}},
		{"an HS256 token keyed by the public key", func() string {
			return iss.Sign(honest, oidcfake.HS256WithPublicKey())
		}, refusal{401, "alg"}},
		{"garbage", func() string { return "not.a.jwt" }, refusal{401, "token"}},
		{"a token whose header says no algorithm", func() string {
			return "eyJ0eXAiOiJKV1QifQ." + strings.Split(iss.Sign(honest), ".")[1] + "."
		}, refusal{401, "alg"}},
		{"a runner of another repository", func() string {
			return iss.Sign(iss.ActionsClaims("mallory/infra", "666", "main", "gantry.yml", "production", audience))
		}, refusal{403, "repository"}},
		{"a runner of a recreated repository of the same name", func() string {
			return iss.Sign(with(honest, oidcfake.Claims{"repository_id": "43"}))
		}, refusal{403, "repository_id"}},
		{"a run on a pull request's branch", func() string {
			return iss.Sign(iss.ActionsClaims(job.Repository, job.RepositoryID, "feature", job.WorkflowFile, job.Environment, audience))
		}, refusal{403, "ref"}},
		{"a run on a pull request's merge ref", func() string {
			return iss.Sign(with(honest, oidcfake.Claims{"ref": "refs/pull/7/merge"}))
		}, refusal{403, "ref"}},
		{"a workflow file from a branch", func() string {
			return iss.Sign(with(honest, oidcfake.Claims{"workflow_ref": "acme/infra/.github/workflows/gantry.yml@refs/heads/feature"}))
		}, refusal{403, "workflow_ref"}},
		{"another workflow file of the default branch", func() string {
			return iss.Sign(with(honest, oidcfake.Claims{"workflow_ref": "acme/infra/.github/workflows/ci.yml@refs/heads/main"}))
		}, refusal{403, "workflow_ref"}},
		{"another environment", func() string {
			return iss.Sign(with(honest, oidcfake.Claims{"environment": "gantry-plan", "sub": "repo:acme/infra:environment:gantry-plan"}))
		}, refusal{403, "environment"}},
		{"a job outside any environment", func() string {
			return iss.Sign(with(honest, oidcfake.Claims{"environment": nil}))
		}, refusal{403, "environment"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := tc.token()
			_, err := v.Verify(context.Background(), token, job)
			var verr *runner.VerificationError
			var merr *runner.MismatchError
			var got refusal
			switch {
			case errors.As(err, &verr):
				got = refusal{401, verr.Claim}
			case errors.As(err, &merr):
				got = refusal{403, merr.Claim}
			default:
				t.Fatalf("Verify = %v, want a refusal %+v", err, tc.want)
			}
			if got != tc.want {
				t.Errorf("refused with %+v (%v), want %+v", got, err, tc.want)
			}
			if sig := token[strings.LastIndex(token, ".")+1:]; len(sig) > 8 && strings.Contains(err.Error(), sig) {
				t.Errorf("error echoes the token: %v", err)
			}
		})
	}
}

func TestMismatchesSayWhatWasExpected(t *testing.T) {
	t.Parallel()
	iss, v, honest := setup(t)
	_, err := v.Verify(context.Background(), iss.Sign(with(honest, oidcfake.Claims{"ref": "refs/heads/feature"})), job)
	want := `runner: token is not for this job: ref is "refs/heads/feature", want "refs/heads/main"`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestARotatedKeyIsFetchedWithoutRestart(t *testing.T) {
	t.Parallel()
	iss, v, claims := setup(t)
	ctx := context.Background()
	for range 3 {
		if _, err := v.Verify(ctx, iss.Sign(claims), job); err != nil {
			t.Fatal(err)
		}
	}
	if n := iss.JWKSFetches(); n != 1 {
		t.Fatalf("JWKS fetched %d times for three tokens of one key, want once", n)
	}
	iss.Rotate()
	iss.Retire()
	if _, err := v.Verify(ctx, iss.Sign(claims), job); err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
	if n := iss.JWKSFetches(); n != 2 {
		t.Errorf("JWKS fetched %d times after rotation, want 2", n)
	}
}

func TestConcurrentClaimsShareTheKeyFetch(t *testing.T) {
	t.Parallel()
	iss, v, claims := setup(t)
	token := iss.Sign(claims)
	const runners = 16
	errs := make(chan error, runners)
	for range runners {
		go func() {
			_, err := v.Verify(context.Background(), token, job)
			errs <- err
		}()
	}
	for range runners {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	// go-oidc shares one fetch among the callers waiting for it; a caller that arrives as it ends may start one more.
	if n := iss.JWKSFetches(); n > 2 {
		t.Errorf("JWKS fetched %d times for %d concurrent claims", n, runners)
	}
}

func TestAnIncompleteExpectationMatchesNothing(t *testing.T) {
	t.Parallel()
	iss, v, claims := setup(t)
	for _, blank := range []func(*runner.Expect){
		func(e *runner.Expect) { e.Audience = "" },
		func(e *runner.Expect) { e.Repository = "" },
		func(e *runner.Expect) { e.RepositoryID = "" },
		func(e *runner.Expect) { e.DefaultBranch = "" },
		func(e *runner.Expect) { e.WorkflowFile = "" },
		func(e *runner.Expect) { e.Environment = "" },
	} {
		want := job
		blank(&want)
		_, err := v.Verify(context.Background(), iss.Sign(claims), want)
		var verr *runner.VerificationError
		var merr *runner.MismatchError
		if err == nil || errors.As(err, &verr) || errors.As(err, &merr) {
			t.Errorf("Verify with %+v = %v, want a server error", want, err)
		}
	}
}

func TestAnUnreachableIssuerIsTheServersError(t *testing.T) {
	t.Parallel()
	iss, _, claims := setup(t)
	v := runner.NewVerifier("http://127.0.0.1:1", iss.Client())
	_, err := v.Verify(context.Background(), iss.Sign(claims), job)
	var verr *runner.VerificationError
	if err == nil || errors.As(err, &verr) {
		t.Errorf("Verify = %v, want a server error, not a refusal", err)
	}
}

func BenchmarkVerifyWithCachedKeys(b *testing.B) {
	iss, v, claims := setup(b)
	claims["exp"] = time.Now().Add(time.Hour).Unix()
	token := iss.Sign(claims)
	ctx := context.Background()
	if _, err := v.Verify(ctx, token, job); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, token, job); err != nil {
			b.Fatal(err)
		}
	}
	if n := iss.JWKSFetches(); n != 1 {
		b.Fatalf("JWKS fetched %d times", n)
	}
}
