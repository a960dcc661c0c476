package aws_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/classla/gantry/internal/aws"
	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/testing/awsfake"
)

// redacted says whether f hides secret.
func redacted(f *redact.Filter, secret string) bool { return f.String(secret) == redact.Replacement }

func TestEveryCredentialSTSIssuesIsLearnedByTheFilter(t *testing.T) {
	t.Parallel()
	s := awsfake.NewSTS(t)
	const webIdentity = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmNsYXNzbGEvbG1zIn0.c2lnbmF0dXJl"
	s.AllowRole(role, webIdentity)
	f := redact.New()
	o := options(s, staticToken(webIdentity))
	o.Redact = f

	env, err := newProvider(t, o).Env(context.Background())
	if err != nil {
		t.Fatalf("Env: %v", err)
	}
	issued := s.Issued()[0]
	for name, secret := range map[string]string{
		"the secret access key": issued.SecretAccessKey, "the session token": issued.SessionToken,
		"the web identity token presented": webIdentity,
	} {
		if !redacted(f, secret) {
			t.Errorf("%s is not redacted", name)
		}
	}
	if env["AWS_SECRET_ACCESS_KEY"] != issued.SecretAccessKey {
		t.Errorf("the environment holds a redacted or other key: %q", env["AWS_SECRET_ACCESS_KEY"])
	}
	// The access key ID names the session in CloudTrail and grants nothing alone: it stays readable.
	if redacted(f, issued.AccessKeyID) {
		t.Errorf("the access key ID %s is redacted; it is no secret", issued.AccessKeyID)
	}
}

func TestAWebIdentityTokenIsLearnedEvenWhenSTSRefusesIt(t *testing.T) {
	t.Parallel()
	s := awsfake.NewSTS(t)
	const refused = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmF0dGFja2VyL3JlcG8ifQ.c2lnbmF0dXJl"
	f := redact.New()
	o := options(s, staticToken(refused))
	o.Redact = f
	if _, err := newProvider(t, o).Env(context.Background()); err == nil {
		t.Fatal("Env succeeded with a token the role does not trust")
	}
	if !redacted(f, refused) {
		t.Errorf("the refused token is not redacted")
	}
}

func TestTheRunnersTokensAreLearnedWhenTheSourceIsChosen(t *testing.T) {
	t.Parallel()
	_, url, bearer := runnerOIDC(t)
	f := redact.New()
	src, err := aws.TokenSourceFromEnv(env(map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL": url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": bearer,
	}), f)
	if err != nil {
		t.Fatal(err)
	}
	// Known before any token is asked for, so the first log line already hides it.
	if !redacted(f, bearer) {
		t.Errorf("the runner's request token is not redacted")
	}
	got, err := src.Token(context.Background())
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if !redacted(f, got) {
		t.Errorf("the ID token from GitHub Actions is not redacted")
	}
}

func TestATokenFileIsLearnedWhenRead(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "token")
	const token = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2dhbnRyeSJ9.c2lnbmF0dXJl"
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := redact.New()
	src, err := aws.TokenSourceFromEnv(env(map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": path}), f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatalf("Token: %v", err)
	}
	if !redacted(f, token) {
		t.Errorf("the token read from %s is not redacted", path)
	}
}
