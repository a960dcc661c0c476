package oidcfake_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/testing/oidcfake"
	"github.com/google/go-cmp/cmp"
)

func getJSON(t *testing.T, c *http.Client, u string, v any) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

type jwks struct {
	Keys []struct{ Kty, Alg, Kid, N, E string }
}

func fetchKeys(t *testing.T, iss *oidcfake.Issuer) map[string]*rsa.PublicKey {
	t.Helper()
	var set jwks
	getJSON(t, iss.Client(), iss.URL()+oidcfake.JWKSPath, &set)
	out := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Alg != "RS256" {
			t.Fatalf("key %s: kty %q alg %q", k.Kid, k.Kty, k.Alg)
		}
		n, _ := base64.RawURLEncoding.DecodeString(k.N)
		e, _ := base64.RawURLEncoding.DecodeString(k.E)
		out[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return out
}

// split returns the decoded header and payload of a compact JWS and checks its RS256 signature against keys.
func split(t *testing.T, token string, keys map[string]*rsa.PublicKey) (header map[string]string, payload map[string]any, sigOK bool) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	p, _ := base64.RawURLEncoding.DecodeString(parts[1])
	s, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if err := json.Unmarshal(h, &header); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(p, &payload); err != nil {
		t.Fatal(err)
	}
	if key := keys[header["kid"]]; key != nil && header["alg"] == "RS256" {
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		sigOK = rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], s) == nil
	}
	return header, payload, sigOK
}

func TestDiscoveryNamesTheIssuerAndItsKeys(t *testing.T) {
	t.Parallel()
	iss := oidcfake.New(t)
	var doc struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	getJSON(t, iss.Client(), iss.URL()+oidcfake.DiscoveryPath, &doc)
	want := []string{iss.URL(), iss.URL() + oidcfake.JWKSPath, "RS256"}
	if diff := cmp.Diff(want, []string{doc.Issuer, doc.JWKSURI, strings.Join(doc.Algs, ",")}); diff != "" {
		t.Error(diff)
	}
}

func TestSignedTokensVerifyAgainstThePublishedKey(t *testing.T) {
	t.Parallel()
	iss := oidcfake.New(t)
	claims := iss.ActionsClaims("acme/infra", "42", "main", "gantry.yml", "prod", "https://gantry.example")
	header, payload, ok := split(t, iss.Sign(claims), fetchKeys(t, iss))
	if !ok {
		t.Fatal("signature does not verify against the JWKS")
	}
	if header["kid"] != iss.KID() || header["alg"] != "RS256" {
		t.Errorf("header = %v", header)
	}
	for k, want := range map[string]any{
		"iss": iss.URL(), "aud": "https://gantry.example", "repository": "acme/infra", "repository_id": "42",
		"repository_owner": "acme", "ref": "refs/heads/main", "environment": "prod",
		"workflow_ref": "acme/infra/.github/workflows/gantry.yml@refs/heads/main",
		"sub":          "repo:acme/infra:environment:prod",
	} {
		if payload[k] != want {
			t.Errorf("%s = %v, want %v", k, payload[k], want)
		}
	}
}

func TestRotationPublishesTheNewKidAndKeepsTheOldUntilRetired(t *testing.T) {
	t.Parallel()
	iss := oidcfake.New(t)
	old := iss.KID()
	kid := iss.Rotate()
	if kid == old || iss.KID() != kid {
		t.Fatalf("Rotate returned %q, old %q, current %q", kid, old, iss.KID())
	}
	keys := fetchKeys(t, iss)
	if keys[old] == nil || keys[kid] == nil {
		t.Fatalf("JWKS after rotation has %v", keys)
	}
	if _, _, ok := split(t, iss.Sign(oidcfake.Claims{"a": 1}), keys); !ok {
		t.Error("token signed after rotation does not verify")
	}
	iss.Retire()
	keys = fetchKeys(t, iss)
	if keys[old] != nil || keys[kid] == nil || len(keys) != 1 {
		t.Errorf("JWKS after Retire has %v", keys)
	}
	if got := iss.JWKSFetches(); got != 2 {
		t.Errorf("JWKSFetches = %d, want 2", got)
	}
}

func TestForgedTokensHaveTheAttackersHeader(t *testing.T) {
	t.Parallel()
	iss := oidcfake.New(t)
	keys := fetchKeys(t, iss)
	claims := oidcfake.Claims{"sub": "x"}
	for name, tc := range map[string]struct {
		opt      oidcfake.SignOption
		alg, kid string
		emptySig bool
	}{
		"an unknown key":                {oidcfake.UnknownKey(), "RS256", "attacker-key", false},
		"an unknown key, a known kid":   {oidcfake.UnknownKeyWithKID(iss.KID()), "RS256", iss.KID(), false},
		"alg none":                      {oidcfake.AlgNone(), "none", iss.KID(), true},
		"HS256 keyed by the public key": {oidcfake.HS256WithPublicKey(), "HS256", iss.KID(), false},
		"no kid":                        {oidcfake.KID(""), "RS256", "", false},
	} {
		t.Run(name, func(t *testing.T) {
			tok := iss.Sign(claims, tc.opt)
			header, _, ok := split(t, tok, keys)
			if header["alg"] != tc.alg || header["kid"] != tc.kid {
				t.Errorf("header = %v, want alg %q kid %q", header, tc.alg, tc.kid)
			}
			if ok && tc.kid != "" {
				t.Error("forged token verifies against the published key")
			}
			if got := strings.HasSuffix(tok, "."); got != tc.emptySig {
				t.Errorf("empty signature = %v, want %v", got, tc.emptySig)
			}
		})
	}
}

func TestTheRunnerEndpointAnswersItsTokenForTheAskedAudience(t *testing.T) {
	t.Parallel()
	iss := oidcfake.New(t)
	reqURL, reqToken := iss.Runner(iss.ActionsClaims("acme/infra", "42", "main", "gantry.yml", "gantry-plan", "ignored"))
	if !strings.Contains(reqURL, "?") {
		t.Fatalf("request URL %q carries no query, unlike GitHub's", reqURL)
	}
	ask := func(bearer, audience string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, reqURL+"&audience="+url.QueryEscape(audience), nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		resp, err := iss.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Value string }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp, body.Value
	}

	resp, tok := ask(reqToken, "https://gantry.example")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s", resp.Status)
	}
	_, payload, ok := split(t, tok, fetchKeys(t, iss))
	if !ok || payload["aud"] != "https://gantry.example" || payload["environment"] != "gantry-plan" {
		t.Errorf("signature ok %v, payload %v", ok, payload)
	}

	if resp, tok := ask("not-the-token", "https://gantry.example"); resp.StatusCode != http.StatusUnauthorized || tok != "" {
		t.Errorf("wrong request token: status %s, token %q", resp.Status, tok)
	}
	want := []oidcfake.TokenRequest{{Audience: "https://gantry.example", Granted: true}, {Audience: "https://gantry.example"}}
	if diff := cmp.Diff(want, iss.Requests()); diff != "" {
		t.Error(diff)
	}

	env := iss.RunnerEnv(oidcfake.Claims{})
	if len(env) != 2 || !strings.HasPrefix(env[0], "ACTIONS_ID_TOKEN_REQUEST_URL=http") || !strings.HasPrefix(env[1], "ACTIONS_ID_TOKEN_REQUEST_TOKEN=") {
		t.Errorf("RunnerEnv = %q", env)
	}
}
