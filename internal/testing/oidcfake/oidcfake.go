// Package oidcfake is a fake OpenID Connect issuer shaped like GitHub Actions' token service, on a local
// httptest server: discovery, a JWKS of RS256 keys that can rotate, tokens minted with any claims (and signed
// wrongly on purpose for attack tests), and the runner's token-request endpoint behind
// ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN.
package oidcfake

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Paths served by the fake, relative to its URL.
const (
	DiscoveryPath    = "/.well-known/openid-configuration"
	JWKSPath         = "/.well-known/jwks"
	TokenRequestPath = "/_apis/actionstoken/generate"
)

// Claims is the payload of a token: any JSON-encodable values under any names.
type Claims map[string]any

// Clone returns a copy that can be changed without changing c.
func (c Claims) Clone() Claims {
	out := make(Claims, len(c))
	for k, v := range c {
		out[k] = v
	}
	return out
}

// Issuer is the fake issuer. Its methods are safe for concurrent use.
type Issuer struct {
	srv *httptest.Server

	mu          sync.Mutex
	keys        []signingKey // published in the JWKS; the last one signs
	nextKID     int
	runners     map[string]Claims // request token -> claims of the tokens it may ask for
	requests    []TokenRequest
	jwksFetches int
	now         func() time.Time
}

type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

// TokenRequest records one call to the token-request endpoint.
type TokenRequest struct {
	Audience string // empty when the runner did not ask for one
	Granted  bool
}

// New starts a fake issuer with one signing key; it stops when the test ends.
func New(t testing.TB) *Issuer {
	t.Helper()
	i := &Issuer{runners: map[string]Claims{}, now: time.Now}
	i.Rotate()
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DiscoveryPath, i.serveDiscovery)
	mux.HandleFunc("GET "+JWKSPath, i.serveJWKS)
	mux.HandleFunc("GET "+TokenRequestPath, i.serveTokenRequest)
	i.srv = httptest.NewServer(mux)
	t.Cleanup(i.srv.Close)
	return i
}

// URL is the issuer: the `iss` of its tokens and the base of its discovery document.
func (i *Issuer) URL() string { return i.srv.URL }

// Client is an HTTP client that reaches the fake.
func (i *Issuer) Client() *http.Client { return i.srv.Client() }

// Rotate makes a new key with a new `kid` the signing key and returns its kid. Earlier keys stay published
// until Retire, as a real issuer keeps the previous key while its tokens live.
func (i *Issuer) Rotate() string {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.nextKID++
	kid := fmt.Sprintf("fake-key-%d", i.nextKID)
	i.keys = append(i.keys, signingKey{kid: kid, key: key})
	return kid
}

// Retire stops publishing every key but the current signing key.
func (i *Issuer) Retire() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = i.keys[len(i.keys)-1:]
}

// KID is the kid of the current signing key.
func (i *Issuer) KID() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.keys[len(i.keys)-1].kid
}

// JWKSFetches counts the requests for the key set, so tests can tell cached keys from fetched ones.
func (i *Issuer) JWKSFetches() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.jwksFetches
}

// ActionsClaims are the claims GitHub Actions puts in a token for a workflow_dispatch run of workflowFile on
// branch of repo ("owner/name"), in environment, asked for with audience; valid from a minute ago for five
// minutes. Tests change or delete entries to make the token they need.
func (i *Issuer) ActionsClaims(repo, repoID, branch, workflowFile, environment, audience string) Claims {
	owner, _, _ := strings.Cut(repo, "/")
	now := i.now().Truncate(time.Second)
	ref := "refs/heads/" + branch
	workflowRef := repo + "/.github/workflows/" + workflowFile + "@" + ref
	sub := "repo:" + repo + ":ref:" + ref
	if environment != "" {
		sub = "repo:" + repo + ":environment:" + environment
	}
	c := Claims{
		"iss":                   i.URL(),
		"aud":                   audience,
		"sub":                   sub,
		"jti":                   fmt.Sprintf("jti-%d", now.UnixNano()),
		"iat":                   now.Add(-time.Minute).Unix(),
		"nbf":                   now.Add(-time.Minute).Unix(),
		"exp":                   now.Add(4 * time.Minute).Unix(),
		"repository":            repo,
		"repository_id":         repoID,
		"repository_owner":      owner,
		"repository_owner_id":   "1000",
		"repository_visibility": "private",
		"ref":                   ref,
		"ref_type":              "branch",
		"sha":                   "0123456789abcdef0123456789abcdef01234567",
		"workflow":              "gantry",
		"workflow_ref":          workflowRef,
		"workflow_sha":          "0123456789abcdef0123456789abcdef01234567",
		"job_workflow_ref":      workflowRef,
		"job_workflow_sha":      "0123456789abcdef0123456789abcdef01234567",
		"event_name":            "workflow_dispatch",
		"actor":                 "octocat",
		"actor_id":              "1",
		"run_id":                "4242",
		"run_number":            "7",
		"run_attempt":           "1",
		"runner_environment":    "github-hosted",
	}
	if environment != "" {
		c["environment"] = environment
	}
	return c
}

// Runner registers a runner whose token requests are answered with tokens carrying claims (their `aud`
// replaced by the requested audience, their times made fresh), and returns the environment a runner of GitHub
// Actions has: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN.
func (i *Issuer) Runner(claims Claims) (requestURL, requestToken string) {
	requestToken = randomString()
	i.mu.Lock()
	i.runners[requestToken] = claims.Clone()
	i.mu.Unlock()
	// The real URL already carries a query, so a client must append `&audience=`, not `?audience=`.
	return i.URL() + TokenRequestPath + "?api-version=2.0", requestToken
}

// RunnerEnv is Runner as "NAME=value" entries for a subprocess's environment.
func (i *Issuer) RunnerEnv(claims Claims) []string {
	u, tok := i.Runner(claims)
	return []string{"ACTIONS_ID_TOKEN_REQUEST_URL=" + u, "ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + tok}
}

// Requests lists the calls to the token-request endpoint so far.
func (i *Issuer) Requests() []TokenRequest {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]TokenRequest(nil), i.requests...)
}

func (i *Issuer) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"issuer":                                i.URL(),
		"jwks_uri":                              i.URL() + JWKSPath,
		"subject_types_supported":               []string{"public", "pairwise"},
		"response_types_supported":              []string{"id_token"},
		"claims_supported":                      []string{"sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "repository", "repository_id", "repository_owner", "run_id", "workflow_ref", "job_workflow_ref", "environment"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid"},
	})
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	i.mu.Lock()
	i.jwksFetches++
	keys := make([]map[string]string, 0, len(i.keys))
	for _, k := range i.keys {
		keys = append(keys, publicJWK(k.kid, &k.key.PublicKey))
	}
	i.mu.Unlock()
	writeJSON(w, map[string]any{"keys": keys})
}

func (i *Issuer) serveTokenRequest(w http.ResponseWriter, r *http.Request) {
	audience := r.URL.Query().Get("audience")
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	i.mu.Lock()
	var claims Claims
	for tok, c := range i.runners {
		if ok && subtle.ConstantTimeCompare([]byte(tok), []byte(bearer)) == 1 {
			claims = c.Clone()
		}
	}
	i.requests = append(i.requests, TokenRequest{Audience: audience, Granted: claims != nil})
	i.mu.Unlock()
	if claims == nil {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	if audience == "" {
		// GitHub's default audience is the URL of the repository owner.
		audience = "https://github.com/" + fmt.Sprint(claims["repository_owner"])
	}
	now := i.now().Truncate(time.Second)
	claims["aud"] = audience
	claims["iat"] = now.Unix()
	claims["nbf"] = now.Add(-5 * time.Second).Unix()
	claims["exp"] = now.Add(5 * time.Minute).Unix()
	writeJSON(w, map[string]any{"count": 1, "value": i.Sign(claims)})
}

func publicJWK(kid string, pub *rsa.PublicKey) map[string]string {
	return map[string]string{
		"kty": "RSA",
		"alg": "RS256",
		"use": "sig",
		"kid": kid,
		"n":   b64(pub.N.Bytes()),
		"e":   b64(big.NewInt(int64(pub.E)).Bytes()),
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
