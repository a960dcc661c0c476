package aws_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/aws"
	"github.com/classla/gantry/internal/testing/awsfake"
)

const (
	role    = "arn:aws:iam::111111111111:role/gantry-terraform-production"
	session = "gantry-octo-org-octo-repo-42-production"
)

// staticToken is a token source that always gives the same token.
type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }

// options point a provider at fake STS through AWS_ENDPOINT_URL_STS; MaxAttempts 1 keeps the SDK
// from retrying refusals with back-off.
func options(s *awsfake.STS, token aws.TokenSource) aws.Options {
	return aws.Options{
		RoleARN: role, Region: "eu-west-1", SessionName: session, Token: token, MaxAttempts: 1,
		Getenv: env(map[string]string{"AWS_ENDPOINT_URL_STS": s.URL()}),
	}
}

func newProvider(t *testing.T, o aws.Options) *aws.Provider {
	t.Helper()
	p, err := aws.NewProvider(context.Background(), o)
	if err != nil {
		t.Fatalf("NewProvider: %v", err)
	}
	return p
}

// form is the AssumeRoleWithWebIdentity request STS received, decoded.
func form(t *testing.T, r awsfake.Request) url.Values {
	t.Helper()
	f, err := url.ParseQuery(string(r.Body))
	if err != nil {
		t.Fatalf("request body %q: %v", r.Body, err)
	}
	return f
}

func TestProviderAssumesTheRoleAskedFor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := awsfake.NewSTS(t)
	s.AllowRole(role, "token-of-the-run")
	p := newProvider(t, options(s, staticToken("token-of-the-run")))

	got, err := p.Env(ctx)
	if err != nil {
		t.Fatalf("Env: %v", err)
	}
	issued := s.Issued()
	if len(issued) != 1 {
		t.Fatalf("STS issued %d credentials, want 1", len(issued))
	}

	t.Run("STS receives exactly the role, session name, token and one hour asked for, unsigned", func(t *testing.T) {
		reqs := s.Requests()
		f := form(t, reqs[0])
		gotAsked := []string{f.Get("RoleArn"), f.Get("RoleSessionName"), f.Get("WebIdentityToken"), f.Get("DurationSeconds")}
		if diff := cmp.Diff([]string{role, session, "token-of-the-run", "3600"}, gotAsked); diff != "" {
			t.Errorf("RoleArn, RoleSessionName, WebIdentityToken, DurationSeconds (-want +got):\n%s", diff)
		}
		if a := reqs[0].Header.Get("Authorization"); a != "" {
			t.Errorf("the call was signed (%q); AssumeRoleWithWebIdentity must go unsigned", a)
		}
	})

	t.Run("Terraform's environment is exactly the issued credentials and the region", func(t *testing.T) {
		want := map[string]string{
			"AWS_ACCESS_KEY_ID":     issued[0].AccessKeyID,
			"AWS_SECRET_ACCESS_KEY": issued[0].SecretAccessKey,
			"AWS_SESSION_TOKEN":     issued[0].SessionToken,
			"AWS_REGION":            "eu-west-1",
			"AWS_DEFAULT_REGION":    "eu-west-1",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Env (-want +got):\n%s", diff)
		}
	})

	t.Run("further calls within the credentials' lifetime reuse them", func(t *testing.T) {
		var wg sync.WaitGroup
		envs := make([]map[string]string, 8)
		for i := range envs {
			wg.Go(func() { envs[i], _ = p.Env(ctx) })
		}
		wg.Wait()
		for i, e := range envs {
			if diff := cmp.Diff(got, e); diff != "" {
				t.Errorf("call %d differs from the first (-first +call):\n%s", i, diff)
			}
		}
		// They count as expired, and are replaced, when a quarter of their hour is left.
		refresh := issued[0].Expiration.Add(-15 * time.Minute)
		creds, err := p.Retrieve(ctx)
		if err != nil || creds.AccessKeyID != issued[0].AccessKeyID || !creds.Expires.Equal(refresh) {
			t.Errorf("Retrieve = %s expiring %v, %v; want the issued %s expiring %v", creds.AccessKeyID, creds.Expires, err, issued[0].AccessKeyID, refresh)
		}
		if n := len(s.Requests()); n != 1 {
			t.Errorf("STS was called %d times, want once", n)
		}
	})
}

func TestProviderDuration(t *testing.T) {
	t.Parallel()
	s := awsfake.NewSTS(t)
	s.AllowRole(role, "tok-duration")
	o := options(s, staticToken("tok-duration"))
	o.Duration = 2 * time.Hour
	if _, err := newProvider(t, o).Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := form(t, s.Requests()[0]).Get("DurationSeconds"); got != "7200" {
		t.Errorf("DurationSeconds = %s, want 7200 (2 h)", got)
	}
}

func TestProviderEndpoint(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		vars func(sts, other string) map[string]string
	}{
		{"AWS_ENDPOINT_URL_STS points STS at the endpoint", func(sts, _ string) map[string]string {
			return map[string]string{"AWS_ENDPOINT_URL_STS": sts}
		}},
		{"AWS_ENDPOINT_URL serves STS when no STS endpoint is set", func(sts, _ string) map[string]string {
			return map[string]string{"AWS_ENDPOINT_URL": sts}
		}},
		{"AWS_ENDPOINT_URL_STS wins over AWS_ENDPOINT_URL", func(sts, other string) map[string]string {
			return map[string]string{"AWS_ENDPOINT_URL_STS": sts, "AWS_ENDPOINT_URL": other}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, other := awsfake.NewSTS(t), awsfake.NewSTS(t)
			s.AllowRole(role, "tok-endpoint")
			other.AllowRole(role, "tok-endpoint")
			o := options(s, staticToken("tok-endpoint"))
			o.Getenv = env(tc.vars(s.URL(), other.URL()))
			if _, err := newProvider(t, o).Env(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(s.Requests()) != 1 || len(other.Requests()) != 0 {
				t.Errorf("the endpoint got %d requests and the other %d, want 1 and 0", len(s.Requests()), len(other.Requests()))
			}
		})
	}
}

// The SDK reads the process environment itself. Credentials, a role or a web identity of that
// environment must not take part in the call: the role is always the project's.
func TestProviderIgnoresTheProcessCredentials(t *testing.T) {
	s := awsfake.NewSTS(t)
	dir := t.TempDir()
	envTokenFile := filepath.Join(dir, "env-token")
	if err := os.WriteFile(envTokenFile, []byte("token-of-the-environment"), 0o600); err != nil {
		t.Fatal(err)
	}
	const envRole = "arn:aws:iam::222222222222:role/from-the-environment"
	s.AllowRole(envRole, "token-of-the-environment") // would answer, and show, a call the SDK made on its own
	s.AllowRole(role, "token-of-the-run")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIAPROCESSENVIRON01", "AWS_SECRET_ACCESS_KEY": "process-secret", "AWS_SESSION_TOKEN": "process-session",
		"AWS_ROLE_ARN": envRole, "AWS_WEB_IDENTITY_TOKEN_FILE": envTokenFile, "AWS_ROLE_SESSION_NAME": "from-the-environment",
		"AWS_ENDPOINT_URL_STS": s.URL(), "AWS_REGION": "us-west-2", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
	} {
		t.Setenv(k, v)
	}

	p := newProvider(t, aws.Options{RoleARN: role, SessionName: session, Token: staticToken("token-of-the-run"), MaxAttempts: 1})
	got, err := p.Env(context.Background())
	if err != nil {
		t.Fatalf("Env: %v", err)
	}
	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("STS got %d requests, want only the project's", len(reqs))
	}
	f := form(t, reqs[0])
	if f.Get("RoleArn") != role || f.Get("WebIdentityToken") != "token-of-the-run" || f.Get("RoleSessionName") != session {
		t.Errorf("STS was asked for %s with token %q as %s, want %s with the run's token as %s", f.Get("RoleArn"), f.Get("WebIdentityToken"), f.Get("RoleSessionName"), role, session)
	}
	for _, h := range []string{"Authorization", "X-Amz-Security-Token"} {
		if v := reqs[0].Header.Get(h); v != "" {
			t.Errorf("the call carried %s %q from the process credentials", h, v)
		}
	}
	issued := s.Issued()[0]
	want := map[string]string{
		"AWS_ACCESS_KEY_ID": issued.AccessKeyID, "AWS_SECRET_ACCESS_KEY": issued.SecretAccessKey, "AWS_SESSION_TOKEN": issued.SessionToken,
		"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "us-west-2", // no region configured: AWS_REGION's
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Env (-want +got):\n%s", diff)
	}
}

func TestNewProviderRefusesIncompleteOptions(t *testing.T) {
	t.Parallel()
	valid := aws.Options{RoleARN: role, Region: "eu-west-1", SessionName: session, Token: staticToken("t"), Getenv: env(nil)}
	cases := []struct {
		name   string
		change func(*aws.Options)
		want   string
	}{
		{"a role that is not an IAM role ARN", func(o *aws.Options) { o.RoleARN = "gantry-terraform" }, "set aws.role_arn to arn:aws:iam::ACCOUNT:role/NAME"},
		{"a session name STS would refuse", func(o *aws.Options) { o.SessionName = "octo-org/octo-repo" }, "build it with SessionName"},
		{"no token source", func(o *aws.Options) { o.Token = nil }, "no web identity token source"},
		{"credentials shorter than STS's 15 minutes", func(o *aws.Options) { o.Duration = 5 * time.Minute }, "outside STS's 15m–12h"},
		{"an endpoint that is not a URL", func(o *aws.Options) {
			o.Getenv = env(map[string]string{"AWS_ENDPOINT_URL": "localhost:4566"})
		}, `AWS_ENDPOINT_URL="localhost:4566" is not an http(s) URL`},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is refused with what to set", func(t *testing.T) {
			t.Parallel()
			o := valid
			tc.change(&o)
			_, err := aws.NewProvider(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestNewProviderWithoutARegion(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	_, err := aws.NewProvider(context.Background(), aws.Options{RoleARN: role, SessionName: session, Token: staticToken("t")})
	if err == nil || !strings.Contains(err.Error(), "set aws.region of the project or service in .gantry.yaml, or AWS_REGION") {
		t.Errorf("err = %v, want one saying where to set the region", err)
	}
}
