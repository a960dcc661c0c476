package awsfake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The claims of the tokens ActionsOIDC issues, as GitHub sets them for a workflow run on main.
const (
	ActionsOIDCIssuer     = "https://token.actions.githubusercontent.com"
	ActionsOIDCRepository = "octo-org/octo-repo"
	ActionsOIDCSubject    = "repo:octo-org/octo-repo:ref:refs/heads/main"
)

const actionsOIDCPath = "/_apis/distributedtask/hubs/Actions/plans/7f1c1a44-0b5e-4e0c-9a8e-2c6f0d3b9a11/jobs/0b4e7c9e-6a7d-5d2b-8f3c-1e9a2b4c6d80/idtoken"

// ActionsOIDC is a fake of the token endpoint GitHub Actions gives a job with `id-token: write`
// (ACTIONS_ID_TOKEN_REQUEST_URL): GET with `Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN` and
// an audience parameter, answered with {"value": "<JWT>"}. The JWTs look like GitHub's (issuer,
// subject, audience claims) but are not signed by anyone. It is safe for concurrent use.
type ActionsOIDC struct {
	t            testing.TB
	srv          *httptest.Server
	requestToken string

	mu     sync.Mutex
	issued []IssuedToken
}

// IssuedToken is one ID token the fake handed out and the audience it was asked for.
type IssuedToken struct {
	Audience string
	Token    string
}

// NewActionsOIDC starts the fake token endpoint; it is shut down when the test ends.
func NewActionsOIDC(t testing.TB) *ActionsOIDC {
	t.Helper()
	a := &ActionsOIDC{t: t, requestToken: "awsfake-actions-request-" + randomCode(20)}
	a.srv = httptest.NewServer(a)
	t.Cleanup(a.srv.Close)
	return a
}

// RequestURL is the value of ACTIONS_ID_TOKEN_REQUEST_URL; like GitHub's it already has a query.
func (a *ActionsOIDC) RequestURL() string { return a.srv.URL + actionsOIDCPath + "?api-version=2.0" }

// RequestToken is the value of ACTIONS_ID_TOKEN_REQUEST_TOKEN, the only bearer token accepted.
func (a *ActionsOIDC) RequestToken() string { return a.requestToken }

// Issued lists the tokens handed out so far, oldest first.
func (a *ActionsOIDC) Issued() []IssuedToken {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]IssuedToken(nil), a.issued...)
}

func (a *ActionsOIDC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != actionsOIDCPath || r.URL.Query().Get("api-version") == "" {
		a.t.Errorf("awsfake: the Actions token endpoint cannot answer %s %s", r.Method, r.URL)
		writeMessage(w, http.StatusNotFound, "not found")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+a.requestToken {
		writeMessage(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	audience := r.URL.Query().Get("audience")
	if audience == "" {
		audience = "https://github.com/" + strings.Split(ActionsOIDCRepository, "/")[0] // GitHub's default
	}
	token := actionsJWT(audience)
	a.mu.Lock()
	a.issued = append(a.issued, IssuedToken{Audience: audience, Token: token})
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]string{"value": token})
}

func writeMessage(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": message})
}

// actionsJWT builds a token shaped like GitHub's: RS256 header, GitHub's claims, 256 random bytes of
// "signature".
func actionsJWT(audience string) string {
	now := time.Now().Unix()
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": "awsfake", "typ": "JWT", "x5t": "awsfake"})
	claims, _ := json.Marshal(map[string]any{
		"jti": randomCode(16), "iss": ActionsOIDCIssuer, "aud": audience, "sub": ActionsOIDCSubject,
		"repository": ActionsOIDCRepository, "repository_owner": strings.Split(ActionsOIDCRepository, "/")[0],
		"ref": "refs/heads/main", "event_name": "push", "iat": now, "nbf": now - 5, "exp": now + 300,
	})
	sig := make([]byte, 256)
	_, _ = rand.Read(sig) // crypto/rand.Read never fails
	enc := base64.RawURLEncoding
	return enc.EncodeToString(header) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(sig)
}
