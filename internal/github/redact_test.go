package github_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/classla/gantry/internal/aws"
	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/testing/awsfake"
	"github.com/classla/gantry/internal/testing/githubfake"
)

// A webhook secret with characters JSON escapes, so that it reaches the API only in its escaped form.
const webhookSecret = `wh"s3cret<&>/value`

// leak is what a pull request's Terraform managed to print, and the secrets in it by name.
type leak struct {
	secrets map[string]string
	filter  *redact.Filter
	app     *github.App
	client  *github.Client
}

// newLeak sets up what serve does: a filter knowing the webhook secret, an App learning its key and
// tokens through it, and AWS credentials obtained through internal/aws from the fake STS.
func newLeak(t *testing.T, fake *githubfake.Server) *leak {
	t.Helper()
	f := redact.New()
	f.Add(webhookSecret)
	app, err := github.NewApp(github.AppConfig{AppID: fake.AppID(), PrivateKey: fake.PrivateKeyPEM(), BaseURL: fake.URL(), Redact: f})
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	c := app.Installation(installationID)
	if _, err := c.PullRequest(t.Context(), lms, 7); err != nil { // mints the installation token
		t.Fatalf("PullRequest: %v", err)
	}

	sts := awsfake.NewSTS(t)
	const role = "arn:aws:iam::111111111111:role/gantry-apply"
	sts.AllowRole(role, "web-identity-token-of-the-server")
	p, err := aws.NewProvider(context.Background(), aws.Options{
		RoleARN: role, Region: "eu-west-1", SessionName: "gantry-classla-lms-7-production", MaxAttempts: 1,
		Token: fileLike("web-identity-token-of-the-server"), Redact: f,
		Getenv: func(k string) string { return map[string]string{"AWS_ENDPOINT_URL_STS": sts.URL()}[k] },
	})
	if err != nil {
		t.Fatalf("NewProvider: %v", err)
	}
	env, err := p.Env(context.Background())
	if err != nil {
		t.Fatalf("Env: %v", err)
	}

	return &leak{
		filter: f, app: app, client: c,
		secrets: map[string]string{
			"installation token":    mintedTokens(t, fake)[0],
			"AWS secret access key": env["AWS_SECRET_ACCESS_KEY"],
			"AWS session token":     env["AWS_SESSION_TOKEN"],
			"web identity token":    "web-identity-token-of-the-server",
			"a line of the App key": pemLine(t, fake.PrivateKeyPEM(), 5),
			"webhook secret":        webhookSecret,
		},
	}
}

type fileLike string

func (f fileLike) Token(context.Context) (string, error) { return string(f), nil }

// output is a plan output holding every secret, as /proc/self/environ read into an output would.
func (l *leak) output() string {
	var b strings.Builder
	b.WriteString("Changes to Outputs:\n")
	for name, s := range l.secrets {
		b.WriteString("  + env = \"" + s + "\" # " + name + "\n")
	}
	return b.String()
}

// checkRedacted fails for every secret, as is or JSON-escaped, found in text, and when text shows no
// [redacted] in their place.
func (l *leak) checkRedacted(t *testing.T, where, text string) {
	t.Helper()
	l.checkNoSecret(t, where, text)
	if !strings.Contains(text, "[redacted]") {
		t.Errorf("%s redacts nothing: %q", where, text)
	}
}

// checkNoSecret fails for every secret, as is or JSON-escaped, found in text.
func (l *leak) checkNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for name, s := range l.secrets {
		j, _ := json.Marshal(s)
		escaped := strings.Trim(string(j), `"`)
		if strings.Contains(text, s) || strings.Contains(text, escaped) || strings.Contains(text, strings.ReplaceAll(escaped, "/", `\/`)) {
			t.Errorf("%s shows the %s", where, name)
		}
	}
}

// checkRequests fails when a request gantry sent to the API after minting carries a secret in its body.
func (l *leak) checkRequests(t *testing.T, fake *githubfake.Server) {
	t.Helper()
	for _, r := range fake.Requests() {
		if len(r.Body) > 0 && r.Route != tokenRoute {
			l.checkNoSecret(t, r.Method+" "+r.Path+" body", string(r.Body))
		}
	}
}

func mintedTokens(t *testing.T, fake *githubfake.Server) []string {
	t.Helper()
	var tokens []string
	for _, r := range requestsTo(fake, "POST", tokenRoute) {
		var answer struct{ Token string }
		if err := json.Unmarshal(r.Response, &answer); err != nil || answer.Token == "" {
			t.Fatalf("token answer %q: %v", r.Response, err)
		}
		tokens = append(tokens, answer.Token)
	}
	return tokens
}

func pemLine(t *testing.T, key []byte, n int) string {
	t.Helper()
	lines := strings.Split(string(key), "\n")
	if len(lines) <= n || strings.HasPrefix(lines[n], "-----") {
		t.Fatalf("the key has no body line %d", n)
	}
	return lines[n]
}

func TestAPlanPrintingCredentialsIsRedactedInItsComment(t *testing.T) {
	t.Parallel()
	fake, _ := newPRFake(t)
	l := newLeak(t, fake)

	body := marker + "\n```\n" + l.output() + "```\nPlan: 0 to add, 0 to change, 0 to destroy."
	if _, err := l.client.UpsertComment(t.Context(), lms, 7, marker, body); err != nil {
		t.Fatalf("UpsertComment: %v", err)
	}
	comments := fake.Comments("classla/lms", 7)
	if len(comments) != 1 {
		t.Fatalf("%d comments, want 1", len(comments))
	}
	l.checkRedacted(t, "the plan comment", comments[0].Body)
	if !strings.HasPrefix(comments[0].Body, marker) || !strings.HasSuffix(comments[0].Body, "Plan: 0 to add, 0 to change, 0 to destroy.") {
		t.Errorf("the comment lost its text around the secrets: %q", comments[0].Body)
	}
	l.checkRequests(t, fake)
}

func TestAPlanPrintingCredentialsIsRedactedInItsCheckRun(t *testing.T) {
	t.Parallel()
	fake, _ := newPRFake(t)
	l := newLeak(t, fake)

	id, err := l.client.CreateCheckRun(t.Context(), lms, github.CheckRun{Name: "gantry/plan: production", HeadSHA: sha,
		Status: "in_progress", Title: "Planning", Summary: "Planning production", Text: l.output()})
	if err != nil {
		t.Fatalf("CreateCheckRun: %v", err)
	}
	if err := l.client.UpdateCheckRun(t.Context(), lms, id, github.CheckRun{Name: "gantry/plan: production",
		Status: "completed", Conclusion: "failure", Title: "Plan failed", Summary: "Error: " + l.output(), Text: l.output()}); err != nil {
		t.Fatalf("UpdateCheckRun: %v", err)
	}
	runs := fake.CheckRuns("classla/lms")
	if len(runs) != 1 || runs[0].Conclusion != "failure" {
		t.Fatalf("check runs = %+v, want one failed run", runs)
	}
	l.checkRedacted(t, "the check run's summary", runs[0].Summary)
	l.checkRedacted(t, "the check run's text", runs[0].Text)
	l.checkRequests(t, fake)
}

func TestAnApplyPrintingCredentialsIsRedactedInItsDeploymentStatus(t *testing.T) {
	t.Parallel()
	fake, _ := newPRFake(t)
	l := newLeak(t, fake)
	id, err := l.client.CreateDeployment(t.Context(), lms, github.Deployment{Ref: sha, Environment: "production"})
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	// Deployment descriptions are cut at 140 characters: each holds one secret short enough to fit whole.
	for _, name := range []string{"installation token", "AWS secret access key", "a line of the App key", "webhook secret"} {
		if err := l.client.CreateDeploymentStatus(t.Context(), lms, id, "failure", "Apply failed: "+l.secrets[name], "", ""); err != nil {
			t.Fatalf("CreateDeploymentStatus: %v", err)
		}
	}
	for _, st := range fake.DeploymentStatuses(id) {
		if st.Description != "Apply failed: [redacted]" {
			t.Errorf("deployment status reads %q, want %q", st.Description, "Apply failed: [redacted]")
		}
	}
	l.checkRequests(t, fake)
}

func TestEveryInstallationTokenMintedIsLearned(t *testing.T) {
	t.Parallel()
	// Tokens that expire within the minute are renewed for every call.
	fake := newFake(t, githubfake.WithTokenLifetime(30*time.Second))
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7})
	f := redact.New()
	app, err := github.NewApp(github.AppConfig{AppID: fake.AppID(), PrivateKey: fake.PrivateKeyPEM(), BaseURL: fake.URL(), Redact: f})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := app.Installation(installationID).PullRequest(t.Context(), lms, 7); err != nil {
			t.Fatalf("PullRequest: %v", err)
		}
	}
	tokens := mintedTokens(t, fake)
	if len(tokens) != 2 {
		t.Fatalf("%d tokens minted, want 2", len(tokens))
	}
	for i, tok := range tokens {
		if got := f.String("token " + tok); got != "token [redacted]" {
			t.Errorf("token %d minted is not redacted: %q", i+1, got)
		}
	}
	// The App JWT used to mint them is a credential as well.
	for _, r := range requestsTo(fake, "POST", tokenRoute) {
		jwt := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if f.String(jwt) != "[redacted]" {
			t.Errorf("the App JWT is not redacted")
		}
	}
}

func TestTheDownloadTokenOfATarballRedirectIsLearned(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.SetTarball("classla/lms", sha, map[string]string{"main.tf": "# empty\n"})
	f := redact.New()
	app, err := github.NewApp(github.AppConfig{AppID: fake.AppID(), PrivateKey: fake.PrivateKeyPEM(), BaseURL: fake.URL(), Redact: f})
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if err := app.Installation(installationID).Tarball(t.Context(), lms, sha, &buf); err != nil {
		t.Fatalf("Tarball: %v", err)
	}
	reqs := requestsTo(fake, "GET", "/repos/{owner}/{repo}/tarball/{ref}")
	if len(reqs) != 1 {
		t.Fatalf("%d tarball requests, want 1", len(reqs))
	}
	loc, err := url.Parse(reqs[0].ResponseHeader.Get("Location"))
	if err != nil || loc.Query().Get("token") == "" {
		t.Fatalf("the redirect %q carries no token", reqs[0].ResponseHeader.Get("Location"))
	}
	if got := f.String(loc.Query().Get("token")); got != "[redacted]" {
		t.Errorf("the download token is not redacted: %q", got)
	}
}

func TestARequestBodyWithoutSecretsArrivesUnchanged(t *testing.T) {
	t.Parallel()
	fake, _ := newPRFake(t)
	l := newLeak(t, fake)
	body := marker + "\n" + `Plan: 1 to add. "quotes", <details>, & ampersands, é, and a \ backslash`
	if _, err := l.client.UpsertComment(t.Context(), lms, 7, marker, body); err != nil {
		t.Fatalf("UpsertComment: %v", err)
	}
	if got := fake.Comments("classla/lms", 7)[0].Body; got != body {
		t.Errorf("comment reads %q, want %q", got, body)
	}
}
