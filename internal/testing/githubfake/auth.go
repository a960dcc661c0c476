package githubfake

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	jwt "github.com/golang-jwt/jwt/v4"
)

// appKey is generated once per test binary: RSA key generation is slow and tests only need the fake
// and the client to agree.
var appKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("githubfake: generating the App key: " + err.Error())
	}
	return k
})

// AppID is the App ID the fake expects as the issuer of App JWTs.
func (s *Server) AppID() int64 { return s.appID }

// PrivateKeyPEM is the App's private key (PKCS #1 PEM), as GitHub would let one download it.
func (s *Server) PrivateKeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey())})
}

// Slug is the App's slug.
func (s *Server) Slug() string { return s.slug }

// BotLogin is the login of the App's bot user, the author of what the App writes.
func (s *Server) BotLogin() string { return s.slug + "[bot]" }

// TokenKind says which credential a request carried, as Request records it.
type TokenKind string

const (
	TokenNone         TokenKind = ""             // no credential the fake knows (or none at all)
	TokenApp          TokenKind = "app"          // the App's JWT
	TokenInstallation TokenKind = "installation" // an installation token minted for the App
	TokenActions      TokenKind = "actions"      // a workflow run's GITHUB_TOKEN (ActionsToken)
)

type token struct {
	kind         TokenKind
	installation int64  // for installation tokens
	repo         string // for Actions tokens: the lower-case full name of the one repository they may read
	expires      time.Time
}

// maxJWTLifetime is GitHub's limit on exp - iat of an App JWT.
const maxJWTLifetime = 10 * time.Minute

func (s *Server) verifyJWT(header string) error {
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return errors.New("no Bearer token")
	}
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		if t.Method != jwt.SigningMethodRS256 {
			return nil, fmt.Errorf("signed with %v, not RS256", t.Header["alg"])
		}
		return &appKey().PublicKey, nil
	})
	switch {
	case err != nil:
		return err
	case claims.Issuer != strconv.FormatInt(s.appID, 10):
		return fmt.Errorf("issuer %q is not the App ID %d", claims.Issuer, s.appID)
	case claims.IssuedAt == nil || claims.ExpiresAt == nil:
		return errors.New("iat and exp are required")
	case claims.ExpiresAt.Sub(claims.IssuedAt.Time) > maxJWTLifetime:
		return errors.New("exp is more than 10 minutes after iat")
	}
	return nil
}

// tokenFor accepts "token T" and "Bearer T" for a token the fake minted and that has not expired.
func (s *Server) tokenFor(header string) (token, bool) {
	scheme, value, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "token") && !strings.EqualFold(scheme, "bearer") {
		return token{}, false
	}
	t, ok := s.tokens[value]
	if !ok || time.Now().After(t.expires) {
		return token{}, false
	}
	return t, true
}

// tokenKind names the credential header carries, for the request log.
func (s *Server) tokenKind(header string) TokenKind {
	if t, ok := s.tokenFor(header); ok {
		return t.kind
	}
	if s.verifyJWT(header) == nil {
		return TokenApp
	}
	return TokenNone
}

// ActionsToken mints the GITHUB_TOKEN of a workflow run in repo, as GitHub hands it to the run's jobs:
// valid for the token lifetime (one hour unless WithTokenLifetime), with the permissions contents: read and
// metadata: read, in repo only. It reads repo's contents, tarball, commits and comparisons; every other
// call, and every call on another repository, answers 403 "Resource not accessible by integration".
func (s *Server) ActionsToken(repo string) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	value := "ghs_" + randomString(36)
	s.tokens[value] = token{kind: TokenActions, repo: strings.ToLower(r.fullName()), expires: time.Now().Add(s.tokenLifetime)}
	return value
}

// contentsRead are the routes a token with contents: read and metadata: read may call, in its repository.
// The Git database reads are listed for when the fake serves them.
var contentsRead = map[string]bool{
	"GET /repos/{owner}/{repo}":                          true,
	"GET /repos/{owner}/{repo}/contents/{path}":          true,
	"GET /repos/{owner}/{repo}/tarball/{ref}":            true,
	"GET /repos/{owner}/{repo}/commits/{ref}":            true,
	"GET /repos/{owner}/{repo}/compare/{basehead}":       true,
	"GET /repos/{owner}/{repo}/git/blobs/{file_sha}":     true,
	"GET /repos/{owner}/{repo}/git/commits/{commit_sha}": true,
	"GET /repos/{owner}/{repo}/git/ref/{ref}":            true,
	"GET /repos/{owner}/{repo}/git/matching-refs/{ref}":  true,
	"GET /repos/{owner}/{repo}/git/trees/{tree_sha}":     true,
}

// mayCall reports whether an Actions token may call rt with params.
func (t token) mayCall(rt *route, params map[string]string) bool {
	return contentsRead[rt.method+" "+rt.path] && strings.EqualFold(params["owner"]+"/"+params["repo"], t.repo)
}

// notAccessible is GitHub's answer to a token without the permission a call needs.
const notAccessible = "Resource not accessible by integration"

func (s *Server) createToken(c *call) {
	id, ok := c.intParam("installation_id")
	if !ok {
		return
	}
	value := "ghs_" + randomString(36)
	expires := time.Now().Add(s.tokenLifetime).UTC().Truncate(time.Second)
	s.tokens[value] = token{kind: TokenInstallation, installation: id, expires: expires}
	c.json(http.StatusCreated, map[string]any{
		"token":                value,
		"expires_at":           expires.Format(time.RFC3339),
		"permissions":          appPermissions,
		"repository_selection": "all",
	})
}

func (s *Server) getApp(c *call) {
	c.json(http.StatusOK, s.appJSON())
}

var appPermissions = map[string]string{
	"checks": "write", "contents": "read", "deployments": "write", "issues": "write",
	"metadata": "read", "pull_requests": "write", "actions": "write",
}

const alphanumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphanumeric[int(b[i])%len(alphanumeric)]
	}
	return string(b)
}
