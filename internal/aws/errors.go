package aws

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
)

// GitHubActionsIssuer is the OIDC provider of GitHub Actions' tokens, as a role's trust policy names it.
const GitHubActionsIssuer = "token.actions.githubusercontent.com"

// AssumeRoleError is STS refusing a web identity: the token is invalid or expired, or the role's trust
// policy does not accept it. Its message is written for a pull-request comment. It never holds the
// token, only claims that a trust policy is compared with.
type AssumeRoleError struct {
	RoleARN string
	Code    string // STS's error code: InvalidIdentityToken, ExpiredTokenException, AccessDenied, IDPRejectedClaim, IDPCommunicationError
	Message string // STS's message

	// Claims of the token presented, when it is a JWT.
	Issuer, Subject, Audience string
	// TokenFile is the file the token was read from; empty when it came from GitHub Actions.
	TokenFile string

	err error
}

func (e *AssumeRoleError) Unwrap() error { return e.err }

func (e *AssumeRoleError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "AWS STS refused the web identity for role %s: %s: %s. ", e.RoleARN, e.Code, strings.TrimRight(e.Message, "."))
	switch e.Code {
	case "ExpiredTokenException":
		b.WriteString("The token had expired. ")
	case "InvalidIdentityToken":
		b.WriteString("STS could not validate the token. ")
	}
	issuer := GitHubActionsIssuer + " (or the issuer of the server's token)"
	if e.Issuer != "" {
		issuer = strings.TrimPrefix(e.Issuer, "https://")
	}
	if e.Code == "IDPCommunicationError" {
		// STS could not fetch the issuer's keys: the trust policy may be right.
		fmt.Fprintf(&b, "STS fetches the keys of %s from its /.well-known/openid-configuration over HTTPS from the internet: "+
			"check that this URL answers publicly with a certificate of a public CA (for gantry's own tokens, GANTRY_PUBLIC_URL "+
			"and its /.well-known/ paths), then run the job again.", issuer)
		return b.String()
	}
	example := "repo:OWNER/REPO:ref:refs/heads/main or repo:OWNER/REPO:environment:NAME"
	if strings.Contains(e.Subject, ":phase:") {
		// gantry's own token (GANTRY_WORKLOAD_IDENTITY=on): the subject names the phase, and
		// each role trusts its phase only.
		example = "repo:OWNER/REPO:project:NAME:phase:plan for a plan role, …:phase:apply for an apply role, " +
			"repo:OWNER/REPO:service:NAME:phase:deploy for a deploy role; a role never trusts another phase's subject"
	}
	fmt.Fprintf(&b, "Check the role's trust policy: it must trust the OIDC provider %s, with the conditions "+
		"aud = %s and sub matching the repository and branch or environment (for example %s)", issuer, STSAudience, example)
	if e.Subject != "" || e.Audience != "" {
		fmt.Fprintf(&b, "; this token has sub %q and aud %q", e.Subject, e.Audience)
	}
	b.WriteString(".")
	if e.TokenFile != "" {
		fmt.Fprintf(&b, " Also check that %s is fresh: it must be replaced before the token in it expires.", e.TokenFile)
	}
	return b.String()
}

// refusals are STS's error codes for a token or trust policy problem, which the user must fix.
var refusals = map[string]bool{
	"InvalidIdentityToken":  true,
	"ExpiredTokenException": true,
	"AccessDenied":          true,
	"IDPRejectedClaim":      true,
	"IDPCommunicationError": true,
}

// explain turns an AssumeRoleWithWebIdentity failure into an *AssumeRoleError for refusals, and
// otherwise into an error naming the role and what to check. The token never reaches the message,
// even if a server echoed it.
func explain(err error, roleARN, token string, src TokenSource) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("assuming %s: %w", roleARN, err)
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && refusals[apiErr.ErrorCode()] {
		claims := claimsOf(token)
		e := &AssumeRoleError{
			RoleARN: roleARN, Code: apiErr.ErrorCode(), Message: redact(apiErr.ErrorMessage(), token),
			Issuer: claims.Issuer, Subject: claims.Subject, Audience: claims.Audience,
			err: &redacted{err, token},
		}
		if f, ok := src.(FileToken); ok {
			e.TokenFile = f.Path
		}
		return e
	}
	return fmt.Errorf("assuming %s by web identity: %w: check that STS answers at AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL or the region's endpoint", roleARN, &redacted{err, token})
}

// redacted is err with the token removed from its message.
type redacted struct {
	err   error
	token string
}

func (r *redacted) Error() string { return redact(r.err.Error(), r.token) }
func (r *redacted) Unwrap() error { return r.err }

func redact(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "[token]")
}

// tokenClaims are the claims of a token that a trust policy is compared with.
type tokenClaims struct{ Issuer, Subject, Audience string }

// claimsOf reads the unverified claims of a JWT, for explaining a refusal; STS did the verifying.
func claimsOf(token string) tokenClaims {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return tokenClaims{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return tokenClaims{}
	}
	var raw struct {
		Issuer   string `json:"iss"`
		Subject  string `json:"sub"`
		Audience any    `json:"aud"` // a string or a list of strings
	}
	if json.Unmarshal(payload, &raw) != nil {
		return tokenClaims{}
	}
	c := tokenClaims{Issuer: raw.Issuer, Subject: raw.Subject}
	switch aud := raw.Audience.(type) {
	case string:
		c.Audience = aud
	case []any:
		var list []string
		for _, a := range aud {
			if s, ok := a.(string); ok {
				list = append(list, s)
			}
		}
		c.Audience = strings.Join(list, ",")
	}
	return c
}
