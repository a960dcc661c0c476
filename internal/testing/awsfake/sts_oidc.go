package awsfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// oidcClockSkew is how far STS lets the token's times and its own clock disagree.
const oidcClockSkew = time.Minute

// oidcTrust is one statement of a role's trust policy: the identity provider issuerURL is trusted for
// tokens whose `aud` contains audience and whose `sub` is subject (StringEquals on HOST:aud and HOST:sub).
type oidcTrust struct {
	issuer, audience, subject string
}

// identity is who a token proved to be: its subject and the audience the role was assumed for.
type identity struct {
	subject, audience string
}

// TrustOIDC makes roleARN assumable with the tokens of the OpenID Connect provider issuerURL whose `aud`
// contains audience and whose `sub` is subject, as a role whose trust policy names that provider with
// StringEquals conditions on aud and sub. The token is verified as AWS does: the provider's discovery
// document and JWKS are fetched over HTTP from issuerURL (cached per issuer, refetched once for an unknown
// kid), the signature must be RS256 by a published key, `iss` must be issuerURL, and `exp`, `nbf` and `iat`
// are checked with a minute of skew. A role may trust several providers, audiences and subjects (any one
// matching accepts), besides the tokens AllowRole registered.
func (s *STS) TrustOIDC(roleARN, issuerURL, audience, subject string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trusts[roleARN] = append(s.trusts[roleARN], oidcTrust{issuer: issuerURL, audience: audience, subject: subject})
}

// verifyWebIdentity checks token against the providers a role trusts and returns the identity it proves, or
// STS's refusal. It must be called without s.mu held: it may fetch the provider's keys.
func (s *STS) verifyWebIdentity(ctx context.Context, token string, trusts []oidcTrust) (identity, *stsError) {
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(tok.Headers) != 1 {
		return identity{}, errInvalidToken
	}
	// The unverified `iss` only picks the provider whose keys must verify the signature; a token claiming
	// an issuer the role does not trust is refused before anything is fetched.
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return identity{}, errInvalidToken
	}
	var candidates []oidcTrust
	for _, t := range trusts {
		if t.issuer == unverified.Issuer {
			candidates = append(candidates, t)
		}
	}
	if len(candidates) == 0 {
		return identity{}, errInvalidToken
	}
	issuer := candidates[0].issuer

	keys, err := s.issuerKeys(ctx, issuer, tok.Headers[0].KeyID)
	if err != nil {
		return identity{}, errIDPCommunication
	}
	var claims jwt.Claims
	verified := false
	for _, k := range keys {
		if tok.Claims(k, &claims) == nil {
			verified = true
			break
		}
	}
	if !verified || claims.Issuer != issuer {
		return identity{}, errInvalidToken
	}
	if e := checkTimes(&claims, time.Now()); e != nil {
		return identity{}, e
	}
	for _, t := range candidates {
		if claims.Audience.Contains(t.audience) && claims.Subject == t.subject {
			return identity{subject: claims.Subject, audience: t.audience}, nil
		}
	}
	return identity{}, errAccessDenied
}

// checkTimes refuses a token without `exp`, past its `exp`, or used before its `nbf` or `iat`.
func checkTimes(c *jwt.Claims, now time.Time) *stsError {
	if c.Expiry == nil {
		return errInvalidToken
	}
	if exp := c.Expiry.Time(); !now.Before(exp.Add(oidcClockSkew)) {
		return &stsError{http.StatusBadRequest, "ExpiredTokenException",
			fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), exp.Unix())}
	}
	for _, t := range []*jwt.NumericDate{c.NotBefore, c.IssuedAt} {
		if t != nil && t.Time().After(now.Add(oidcClockSkew)) {
			return errInvalidToken
		}
	}
	return nil
}

// issuerKeys returns the keys of issuer that may have signed a token with kid (all of them when kid is
// empty). Keys are cached per issuer; a kid the cache lacks makes one fetch of the provider's key set.
// An error means the provider's keys could not be fetched.
func (s *STS) issuerKeys(ctx context.Context, issuer, kid string) ([]jose.JSONWebKey, error) {
	s.mu.Lock()
	cached := s.jwks[issuer]
	s.mu.Unlock()
	if keys := keysFor(cached, kid); len(keys) > 0 {
		return keys, nil
	}
	set, err := fetchJWKS(ctx, s.idp, issuer)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.jwks[issuer] = set
	s.mu.Unlock()
	return keysFor(set, kid), nil
}

func keysFor(set *jose.JSONWebKeySet, kid string) []jose.JSONWebKey {
	switch {
	case set == nil:
		return nil
	case kid == "":
		return set.Keys
	default:
		return set.Key(kid)
	}
}

// fetchJWKS reads the provider's key set as AWS finds it: the discovery document under issuer names its
// jwks_uri.
func fetchJWKS(ctx context.Context, client *http.Client, issuer string) (*jose.JSONWebKeySet, error) {
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := fetchJSON(ctx, client, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &doc); err != nil {
		return nil, err
	}
	if doc.JWKSURI == "" {
		return nil, fmt.Errorf("the discovery document of %s names no jwks_uri", issuer)
	}
	var set jose.JSONWebKeySet
	if err := fetchJSON(ctx, client, doc.JWKSURI, &set); err != nil {
		return nil, err
	}
	return &set, nil
}

func fetchJSON(ctx context.Context, client *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return errors.Join(fmt.Errorf("GET %s: the answer is not the JSON expected", url), err)
	}
	return nil
}
