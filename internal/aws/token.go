// Package aws obtains AWS credentials by OIDC web identity (sts:AssumeRoleWithWebIdentity) for the
// roles of projects and services, and hands them to the Terraform and AWS steps that need them.
package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	redaction "github.com/classla/gantry/internal/redact"
)

// STSAudience is the audience AWS STS expects in GitHub's OIDC tokens.
const STSAudience = "sts.amazonaws.com"

// ErrNoTokenSource means neither GitHub Actions' OIDC endpoint nor a token file is configured.
var ErrNoTokenSource = errors.New("no web identity token source")

// TokenSource gives the OIDC token presented to STS. It is asked again for every assumption, because
// tokens are short-lived.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// ActionsToken asks GitHub Actions' OIDC endpoint of the running job for an ID token.
type ActionsToken struct {
	RequestURL   string       // ACTIONS_ID_TOKEN_REQUEST_URL
	RequestToken string       // ACTIONS_ID_TOKEN_REQUEST_TOKEN
	Audience     string       // default STSAudience
	HTTPClient   *http.Client // default: a client with a 30 s timeout
	// Redact, when not nil, learns RequestToken and every ID token received.
	Redact *redaction.Filter
}

// maxTokenResponse bounds what is read from the token endpoint; GitHub's answers are a few KB.
const maxTokenResponse = 1 << 20

// Token implements TokenSource.
func (a ActionsToken) Token(ctx context.Context) (string, error) {
	a.Redact.Add(a.RequestToken)
	u, err := url.Parse(a.RequestURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("ACTIONS_ID_TOKEN_REQUEST_URL is not an http(s) URL: it is set by GitHub Actions for jobs with `permissions: id-token: write`; do not set it by hand")
	}
	audience := a.Audience
	if audience == "" {
		audience = STSAudience
	}
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("building the GitHub Actions OIDC token request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+a.RequestToken)
	req.Header.Set("Accept", "application/json")
	client := a.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("requesting an OIDC token from GitHub Actions: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return "", fmt.Errorf("reading GitHub Actions' OIDC token answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GitHub Actions' OIDC token endpoint answered %s: check that the workflow grants `permissions: id-token: write` and that the job is still running", resp.Status)
	}
	var answer struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Value == "" {
		return "", fmt.Errorf("GitHub Actions' OIDC token endpoint answered without a token in {\"value\": …}: check ACTIONS_ID_TOKEN_REQUEST_URL")
	}
	a.Redact.Add(answer.Value)
	return answer.Value, nil
}

// FileToken reads the token from a file, such as AWS_WEB_IDENTITY_TOKEN_FILE. The file is read on
// every call, because whoever provides it replaces it before the token inside expires.
type FileToken struct {
	Path string
	// Redact, when not nil, learns every token read.
	Redact *redaction.Filter
}

// Token implements TokenSource.
func (f FileToken) Token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	b, err := os.ReadFile(f.Path)
	if err != nil {
		return "", fmt.Errorf("reading the web identity token: %w: check AWS_WEB_IDENTITY_TOKEN_FILE", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("the web identity token file %s is empty: it must hold an OIDC token (a JWT) and be refreshed before the token expires", f.Path)
	}
	f.Redact.Add(token)
	return token, nil
}

// TokenSourceFromEnv chooses the token source of this process: GitHub Actions' OIDC endpoint when
// both ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are set (inside a runner),
// else AWS_WEB_IDENTITY_TOKEN_FILE. getenv is os.Getenv outside tests. The source teaches f (which may be
// nil) every token it reads, and a runner's request token.
func TokenSourceFromEnv(getenv func(string) string, f *redaction.Filter) (TokenSource, error) {
	reqURL, reqToken := getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	if reqURL != "" && reqToken != "" {
		f.Add(reqToken)
		return ActionsToken{RequestURL: reqURL, RequestToken: reqToken, Audience: STSAudience, Redact: f}, nil
	}
	if path := getenv("AWS_WEB_IDENTITY_TOKEN_FILE"); path != "" {
		return FileToken{Path: path, Redact: f}, nil
	}
	if reqURL != "" || reqToken != "" {
		return nil, fmt.Errorf("%w: only one of ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN is set: GitHub Actions sets both for jobs with `permissions: id-token: write`", ErrNoTokenSource)
	}
	return nil, fmt.Errorf("%w: in GitHub Actions, grant the workflow `permissions: id-token: write` (it sets ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN); on a server, set AWS_WEB_IDENTITY_TOKEN_FILE to a file holding an OIDC token for sts.amazonaws.com", ErrNoTokenSource)
}
