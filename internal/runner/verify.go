// Package runner holds the runner API's identity checks: whether a GitHub Actions OIDC token presented to claim
// a job was issued for this server to a run of the job's repository, on its default branch, of gantry's
// workflow, in the job's environment; the job tokens a claimed job's runner uses afterwards; and the runner
// API's HTTP handlers (API) that make those checks against the store.
package runner

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// DefaultIssuer is the issuer of GitHub.com's Actions tokens (GANTRY_ACTIONS_OIDC_ISSUER's default).
const DefaultIssuer = "https://token.actions.githubusercontent.com"

// clockSkew is how far exp and nbf may be off between GitHub's clock and ours.
const clockSkew = time.Minute

// Expect is what a claim token must say for the job it claims. Every field is required.
type Expect struct {
	Audience      string // the server's GANTRY_PUBLIC_URL
	Repository    string // "owner/name"
	RepositoryID  string // GitHub's numeric id, as a string: a deleted and recreated repository has a new one
	DefaultBranch string // "main", not "refs/heads/main"
	WorkflowFile  string // GANTRY_ACTIONS_WORKFLOW, e.g. "gantry.yml"
	Environment   string // the GitHub environment the job was dispatched into
}

// Claims are the claims of a verified token that the server uses or logs.
type Claims struct {
	Issuer          string
	Subject         string
	Audience        []string
	IssuedAt        time.Time
	NotBefore       time.Time
	Expiry          time.Time
	Repository      string
	RepositoryID    string
	RepositoryOwner string
	Ref             string
	SHA             string
	WorkflowRef     string
	JobWorkflowRef  string
	Environment     string
	EventName       string
	Actor           string
	RunID           string
	RunAttempt      string
}

// Verifier checks claim tokens against one issuer. It finds the issuer's keys through its discovery document
// on first use, caches them, and fetches them again when a token names a key it does not know (a rotation). It
// is safe for concurrent use.
type Verifier struct {
	issuer string
	client *http.Client
	now    func() time.Time

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier // nil until discovery succeeds
}

// NewVerifier returns a verifier of tokens issued by issuer (any http(s) base URL), reached with client (nil:
// http.DefaultClient). It makes no request until the first Verify.
func NewVerifier(issuer string, client *http.Client) *Verifier {
	if client == nil {
		client = http.DefaultClient
	}
	return &Verifier{issuer: strings.TrimSuffix(issuer, "/"), client: client, now: time.Now}
}

// Verify checks rawToken and returns its claims. A *VerificationError means the token is not a valid token of
// the issuer for this server (the API answers 401); a *MismatchError means a valid token whose claims are not
// the job's (403); any other error is the server's (the issuer unreachable, an incomplete Expect).
func (v *Verifier) Verify(ctx context.Context, rawToken string, want Expect) (Claims, error) {
	if err := want.validate(); err != nil {
		return Claims{}, err
	}
	switch alg, ok := headerAlg(rawToken); {
	case !ok:
		return Claims{}, &VerificationError{Claim: "token", Reason: "not a JWT with a JSON header"}
	case alg != "RS256":
		return Claims{}, &VerificationError{Claim: "alg", Reason: fmt.Sprintf("want RS256, got %q", clip(alg))}
	}
	idv, err := v.idTokenVerifier(ctx)
	if err != nil {
		return Claims{}, err
	}
	// go-oidc checks the signature, with RS256 as the only algorithm and keys from the issuer's JWKS; the
	// checks it would make of iss, aud and times are made below, where each failure can say which claim.
	tok, err := idv.Verify(ctx, rawToken)
	if err != nil {
		return Claims{}, &VerificationError{Claim: "signature", Reason: "no key of " + v.issuer + " verifies it", Err: err}
	}
	var raw rawClaims
	if err := tok.Claims(&raw); err != nil {
		return Claims{}, &VerificationError{Claim: "token", Reason: "claims are not a JSON object of the expected shape"}
	}
	c := raw.claims()
	if err := v.checkValidity(c, want.Audience); err != nil {
		return Claims{}, err
	}
	if err := checkJob(c, want); err != nil {
		return Claims{}, err
	}
	return c, nil
}

// checkValidity makes the checks that decide whether the token is for this server and current: 401.
func (v *Verifier) checkValidity(c Claims, audience string) error {
	if c.Issuer != v.issuer {
		return &VerificationError{Claim: "iss", Reason: fmt.Sprintf("want %q, got %q", v.issuer, clip(c.Issuer))}
	}
	if !slices.Contains(c.Audience, audience) {
		return &VerificationError{Claim: "aud", Reason: fmt.Sprintf("want %q, got %q", audience, clipAll(c.Audience))}
	}
	now := v.now()
	if !now.Before(c.Expiry.Add(clockSkew)) { // a missing exp is the zero time: long expired
		reason := "expired at " + c.Expiry.UTC().Format(time.RFC3339)
		if c.Expiry.IsZero() {
			reason = "missing"
		}
		return &VerificationError{Claim: "exp", Reason: reason}
	}
	if !c.NotBefore.IsZero() && now.Add(clockSkew).Before(c.NotBefore) {
		return &VerificationError{Claim: "nbf", Reason: "not valid before " + c.NotBefore.UTC().Format(time.RFC3339)}
	}
	return nil
}

// checkJob makes the checks that decide whether a valid token belongs to the job: 403.
func checkJob(c Claims, want Expect) error {
	ref := "refs/heads/" + want.DefaultBranch
	for _, check := range []struct{ claim, want, got string }{
		{"repository", want.Repository, c.Repository},
		{"repository_id", want.RepositoryID, c.RepositoryID},
		{"ref", ref, c.Ref},
		{"workflow_ref", want.Repository + "/.github/workflows/" + want.WorkflowFile + "@" + ref, c.WorkflowRef},
		{"environment", want.Environment, c.Environment},
	} {
		if check.got != check.want {
			return &MismatchError{Claim: check.claim, Want: check.want, Got: clip(check.got)}
		}
	}
	return nil
}

// idTokenVerifier returns the go-oidc verifier, discovering the issuer's JWKS on first success. A failed
// discovery is retried on the next call rather than remembered.
func (v *Verifier) idTokenVerifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.verifier != nil {
		return v.verifier, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, v.client), v.issuer)
	if err != nil {
		return nil, fmt.Errorf("runner: discovering the OIDC issuer %s: %w", v.issuer, err)
	}
	v.verifier = p.Verifier(&oidc.Config{
		SupportedSigningAlgs: []string{oidc.RS256},
		SkipClientIDCheck:    true, // checked in checkValidity
		SkipIssuerCheck:      true, // checked in checkValidity
		SkipExpiryCheck:      true, // checked in checkValidity
	})
	return v.verifier, nil
}

func (e Expect) validate() error {
	for name, val := range map[string]string{
		"Audience": e.Audience, "Repository": e.Repository, "RepositoryID": e.RepositoryID,
		"DefaultBranch": e.DefaultBranch, "WorkflowFile": e.WorkflowFile, "Environment": e.Environment,
	} {
		if val == "" {
			return fmt.Errorf("runner: Expect.%s is empty: a claim would match any token", name)
		}
	}
	return nil
}

// headerAlg reads the `alg` of a compact JWS before anything else in it is trusted; ok is false when the
// header cannot be read at all.
func headerAlg(raw string) (alg string, ok bool) {
	h, _, found := strings.Cut(raw, ".")
	if !found {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return "", false
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(b, &header) != nil {
		return "", false
	}
	return header.Alg, true
}

// clip keeps a claim's value short enough to quote in an error: the values come from whoever sent the token.
func clip(s string) string {
	const limit = 200
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}

func clipAll(ss []string) string { return clip(strings.Join(ss, ",")) }
