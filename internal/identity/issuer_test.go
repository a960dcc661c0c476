package identity

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/sqlite"
)

// clock is a settable time for the issuer.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }
func newClock(t time.Time) *clock    { return &clock{t: t} }
func secret(b byte) []byte           { return bytes.Repeat([]byte{b}, 64) }
func openStore(t *testing.T) store.Store {
	return openStoreAt(t, filepath.Join(t.TempDir(), "gantry.db"))
}

func openStoreAt(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// served is an issuer behind a real HTTP server at its own URL, as AWS reaches it.
type served struct {
	*Issuer
	srv *httptest.Server
}

// serve starts an issuer on st whose URL is its test server's.
func serve(t *testing.T, st Keys, c Config) served {
	t.Helper()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	c.URL, c.Keys = srv.URL+"/", st
	if c.Secret == nil {
		c.Secret = secret(7)
	}
	i, err := New(c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h = i.Handler()
	if err := i.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return served{i, srv}
}

// verify checks token as an OIDC relying party that fetches discovery and keys afresh at time
// at (go-oidc, the library AWS-like verifiers use), and returns its claims.
func (s served) verify(t *testing.T, token string, at time.Time) (map[string]any, error) {
	t.Helper()
	ctx := oidc.InsecureIssuerURLContext(t.Context(), s.URL())
	p, err := oidc.NewProvider(ctx, s.URL())
	if err != nil {
		t.Fatalf("discovery of %s: %v", s.URL(), err)
	}
	v := p.Verifier(&oidc.Config{ClientID: Audience, Now: func() time.Time { return at }})
	idt, err := v.Verify(t.Context(), token)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatalf("claims: %v", err)
	}
	return claims, nil
}

// kids returns the key ids the issuer's JWKS endpoint serves.
func (s served) kids(t *testing.T) []string {
	t.Helper()
	resp, err := http.Get(s.srv.URL + JWKSPath)
	if err != nil {
		t.Fatalf("GET jwks: %v", err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || resp.StatusCode != 200 {
		t.Fatalf("jwks answered %s, %v", resp.Status, err)
	}
	var out []string
	for _, k := range set.Keys {
		if !k.IsPublic() {
			t.Fatalf("the JWKS serves a private key: %s", k.KeyID)
		}
		out = append(out, k.KeyID)
	}
	return out
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	return jws.Signatures[0].Header.KeyID
}

var planClaims = Claims{Subject: Subject("acme/lms", "project", "staging", "plan"), Repository: "acme/lms",
	PullRequest: 7, SHA: "0123456789abcdef0123456789abcdef01234567", JobID: 42}

func TestATokenCarriesTheJobAndVerifiesAgainstTheServedKeys(t *testing.T) {
	c := newClock(time.Now())
	s := serve(t, openStore(t), Config{Now: c.Now})
	token, err := s.Sign(t.Context(), planClaims)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	claims, err := s.verify(t, token, c.Now())
	if err != nil {
		t.Fatalf("a fresh token does not verify: %v", err)
	}
	want := map[string]any{
		"iss": strings.TrimSuffix(s.srv.URL, "/"), "aud": Audience, "sub": "repo:acme/lms:project:staging:phase:plan",
		"repository": "acme/lms", "pull_request": float64(7), "sha": planClaims.SHA, "job_id": float64(42),
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %#v, want %#v", k, claims[k], v)
		}
	}
	iat, exp := claims["iat"].(float64), claims["exp"].(float64)
	if life := time.Duration(exp-iat) * time.Second; life <= 0 || life > 15*time.Minute {
		t.Errorf("the token lives %v, want at most 15 minutes", life)
	}
	other, _ := s.Sign(t.Context(), planClaims)
	if otherClaims, err := s.verify(t, other, c.Now()); err != nil || claims["jti"] == "" || otherClaims["jti"] == claims["jti"] {
		t.Errorf("two tokens share jti %v (%v)", claims["jti"], err)
	}
	// Past its expiry the token is refused.
	if _, err := s.verify(t, token, c.Now().Add(DefaultTokenLifetime+2*time.Minute)); err == nil {
		t.Error("an expired token verifies")
	}
}

func TestACommitWithoutAPullRequestHasNoPullRequestClaim(t *testing.T) {
	s := serve(t, openStore(t), Config{})
	c := planClaims
	c.PullRequest, c.Subject = 0, Subject("acme/lms", "service", "backend", "deploy")
	token, err := s.Sign(t.Context(), c)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	claims, err := s.verify(t, token, time.Now())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if _, ok := claims["pull_request"]; ok {
		t.Errorf("a push's token has pull_request %v", claims["pull_request"])
	}
	if claims["sub"] != "repo:acme/lms:service:backend:phase:deploy" {
		t.Errorf("sub = %v", claims["sub"])
	}
}

func TestATokenOfAnotherIssuerOrKeyDoesNotVerify(t *testing.T) {
	st := openStore(t)
	s := serve(t, st, Config{})
	stranger := serve(t, openStore(t), Config{})
	token, err := stranger.Sign(t.Context(), planClaims)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if _, err := s.verify(t, token, time.Now()); err == nil {
		t.Error("a token of another issuer verifies against this one's keys")
	}
}

func TestRotationPublishesTheNextKeyAheadAndTheOldOneUntilItsTokensExpire(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c := newClock(t0)
	st := openStore(t)
	s := serve(t, st, Config{Now: c.Now})
	first := s.kids(t)
	if len(first) != 1 {
		t.Fatalf("after the first start the JWKS serves %v, want one key", first)
	}

	// Two hours before the rotation is due nothing changes.
	c.Set(t0.Add(DefaultRotation - 2*time.Hour))
	if got := s.kids(t); len(got) != 1 {
		t.Fatalf("before the rotation the JWKS serves %v, want only %v", got, first)
	}
	// Within Prepublish of it, the next key is published but does not sign yet.
	c.Set(t0.Add(DefaultRotation - DefaultPrepublish))
	both := s.kids(t)
	if len(both) != 2 || both[0] != first[0] {
		t.Fatalf("an hour before the rotation the JWKS serves %v, want %v and the next key", both, first)
	}
	next := both[1]
	// A token signed just before the rotation uses the old key…
	c.Set(t0.Add(DefaultRotation - time.Minute))
	old, err := s.Sign(t.Context(), planClaims)
	if err != nil || kidOf(t, old) != first[0] {
		t.Fatalf("a token a minute before the rotation: kid %s, %v; want the old key %s", kidOf(t, old), err, first[0])
	}
	// …and from the rotation on tokens use the new key,
	c.Set(t0.Add(DefaultRotation))
	fresh, err := s.Sign(t.Context(), planClaims)
	if err != nil || kidOf(t, fresh) != next {
		t.Fatalf("a token after the rotation: kid %s, %v; want the new key %s", kidOf(t, fresh), err, next)
	}
	// while the old key's last token still verifies until it expires.
	c.Set(t0.Add(DefaultRotation - time.Minute + DefaultTokenLifetime - time.Second))
	if _, err := s.verify(t, old, c.Now()); err != nil {
		t.Errorf("a token of the previous key, not expired yet, does not verify: %v", err)
	}
	if got := s.kids(t); len(got) != 2 {
		t.Errorf("while the old key's tokens live the JWKS serves %v, want both keys", got)
	}
	// After that only the new key is served, and the old one is gone from the database.
	c.Set(t0.Add(DefaultRotation + DefaultTokenLifetime + clockSkew))
	if got := s.kids(t); len(got) != 1 || got[0] != next {
		t.Errorf("after the old key's tokens expired the JWKS serves %v, want only %s", got, next)
	}
	if _, err := s.verify(t, old, c.Now().Add(-DefaultTokenLifetime)); err == nil {
		t.Error("a token of the retired key verifies after its key was withdrawn")
	}
	keys, err := st.SigningKeys(t.Context())
	if err != nil || len(keys) != 1 || keys[0].ID != next {
		t.Errorf("stored keys after the rotation: %+v, %v; want only %s", keys, err, next)
	}
	if _, err := s.verify(t, fresh, t0.Add(DefaultRotation+time.Minute)); err != nil {
		t.Errorf("a token of the new key does not verify: %v", err)
	}
}

func TestAServerDownForLongerThanARotationStillPublishesAheadOfSigning(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c := newClock(t0)
	s := serve(t, openStore(t), Config{Now: c.Now})
	first := s.kids(t)[0]
	// Nobody asked for a token or the keys for a month: the old key keeps signing until the
	// new one has been published for Prepublish.
	c.Set(t0.Add(30 * 24 * time.Hour))
	token, err := s.Sign(t.Context(), planClaims)
	if err != nil || kidOf(t, token) != first {
		t.Fatalf("the first token after a month: kid %s, %v; want the old key %s while the new one is published", kidOf(t, token), err, first)
	}
	c.Add(DefaultPrepublish)
	token, _ = s.Sign(t.Context(), planClaims)
	if kidOf(t, token) == first {
		t.Errorf("a Prepublish later the old key still signs")
	}
}

func TestKeysAreSealedAtRestAndAnotherSecretStartsAfresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gantry.db")
	st := openStoreAt(t, path)
	s := serve(t, st, Config{Secret: secret(1)})
	token, err := s.Sign(t.Context(), planClaims)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	kid := kidOf(t, token)
	// The database file holds neither the key in PKCS#8 nor in PEM.
	s.mu.Lock()
	priv := s.opened[kid]
	s.mu.Unlock()
	raw := readFile(t, path)
	if priv == nil || bytes.Contains(raw, priv.D.Bytes()) || bytes.Contains(raw, []byte("PRIVATE KEY")) {
		t.Fatal("the database holds the signing key's private exponent or a PEM key")
	}

	// A server whose secret (the GitHub App key) changed cannot open the key: it says so and
	// signs with a key of its own, and does not publish one it cannot use.
	var logs bytes.Buffer
	other := serve(t, st, Config{Secret: secret(2), Log: slog.New(slog.NewTextHandler(&logs, nil))})
	token2, err := other.Sign(t.Context(), planClaims)
	if err != nil {
		t.Fatalf("Sign with another secret: %v", err)
	}
	if kidOf(t, token2) == kid {
		t.Error("a server with another secret signed with the key it cannot open")
	}
	if !strings.Contains(logs.String(), "cannot be opened") || !strings.Contains(logs.String(), kid) {
		t.Errorf("the log does not say which key cannot be opened: %s", logs.String())
	}
	if got := other.kids(t); len(got) != 1 || got[0] != kidOf(t, token2) {
		t.Errorf("JWKS of the server with another secret = %v, want only its own key", got)
	}
}

func TestASealedKeyMovedToAnotherRowDoesNotOpen(t *testing.T) {
	st := openStore(t)
	s := serve(t, st, Config{})
	keys, _ := st.SigningKeys(t.Context())
	moved := store.SigningKey{Generation: 9, ID: "moved", Sealed: keys[0].Sealed, ActiveFrom: time.Now()}
	if _, err := s.open(moved); err == nil {
		t.Error("a sealed key copied into another row opens")
	}
}

func TestReplicasStartingTogetherShareOneKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gantry.db")
	st := openStoreAt(t, path)
	const n = 4
	issuers := make([]*Issuer, n)
	for k := range issuers {
		i, err := New(Config{URL: "https://gantry.example.com", Keys: openStoreAt(t, path), Secret: secret(3)})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		issuers[k] = i
	}
	var wg sync.WaitGroup
	kids := make([]string, n)
	for k, i := range issuers {
		wg.Go(func() {
			token, err := i.Sign(context.Background(), planClaims)
			if err != nil {
				t.Errorf("Sign: %v", err)
				return
			}
			kids[k] = kidOf(t, token)
		})
	}
	wg.Wait()
	keys, err := st.SigningKeys(t.Context())
	if err != nil || len(keys) != 1 {
		t.Fatalf("after %d replicas started together the store holds %+v, %v; want one key", n, keys, err)
	}
	for _, kid := range kids {
		if kid != keys[0].ID {
			t.Errorf("a replica signed with %s, want the shared key %s", kid, keys[0].ID)
		}
	}
}

func TestTokensAndKeysAreTaughtToTheRedactionFilter(t *testing.T) {
	f := redact.New()
	s := serve(t, openStore(t), Config{Redact: f})
	token, err := s.Sign(t.Context(), planClaims)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if got := f.String("assume failed for " + token); strings.Contains(got, token) {
		t.Errorf("the filter does not hide a signed token: %s", got)
	}
	s.mu.Lock()
	priv := s.opened[kidOf(t, token)]
	s.mu.Unlock()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	printed := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	body := strings.Split(printed, "\n")[1]
	if got := f.String(printed); strings.Contains(got, body) {
		t.Errorf("the filter does not hide the signing key's PEM: %s", got)
	}
}

func TestTheDocumentsAreCacheableJSONAndOnlyServedForGET(t *testing.T) {
	s := serve(t, openStore(t), Config{})
	for _, tt := range []struct {
		path   string
		maxAge string
	}{{DiscoveryPath, "max-age=3600"}, {JWKSPath, "max-age=300"}} {
		resp, err := http.Get(s.srv.URL + tt.path)
		if err != nil {
			t.Fatalf("GET %s: %v", tt.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" ||
			!strings.Contains(resp.Header.Get("Cache-Control"), tt.maxAge) || !json.Valid(body) {
			t.Errorf("GET %s = %s, %q, %q, %s", tt.path, resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), body)
		}
		resp, err = http.Post(s.srv.URL+tt.path, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatalf("POST %s: %v", tt.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST %s = %s, want 405", tt.path, resp.Status)
		}
	}
	var d discovery
	resp, _ := http.Get(s.srv.URL + DiscoveryPath)
	json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if d.Issuer != strings.TrimSuffix(s.srv.URL, "/") || d.JWKSURI != d.Issuer+JWKSPath {
		t.Errorf("discovery = %+v: issuer must be GANTRY_PUBLIC_URL without a trailing slash and jwks_uri below it", d)
	}
}

// brokenKeys fails every read, as a database that went away.
type brokenKeys struct{ Keys }

func (brokenKeys) SigningKeys(context.Context) ([]store.SigningKey, error) {
	return nil, errors.New("connection refused")
}

func TestAnUnreadableDatabaseIsA503ThatIsNotCached(t *testing.T) {
	i, err := New(Config{URL: "https://gantry.example.com", Keys: brokenKeys{}, Secret: secret(1)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := i.Start(t.Context()); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Start on a broken database = %v, want the database's error", err)
	}
	rec := httptest.NewRecorder()
	i.Handler().ServeHTTP(rec, httptest.NewRequest("GET", JWKSPath, nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("JWKS on a broken database = %d, Cache-Control %q; want 503, no-store", rec.Code, rec.Header().Get("Cache-Control"))
	}
}

func TestIssuerURLMustBeHTTPSOutsideLoopback(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{"https://gantry.example.com/", "https://gantry.example.com", ""},
		{"https://example.com/gantry", "https://example.com/gantry", ""},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", ""},
		{"http://localhost:8080/", "http://localhost:8080", ""},
		{"http://[::1]:8080", "http://[::1]:8080", ""},
		{"http://gantry.example.com", "", "must be https"},
		{"", "", "needs GANTRY_PUBLIC_URL"},
		{"gantry.example.com", "", "not a URL"},
		{"https://gantry.example.com/?x=1", "", "not a URL"},
		{"https://user:pw@gantry.example.com", "", "not a URL"},
		{"ftp://gantry.example.com", "", "must be an https URL"},
	} {
		got, err := IssuerURL(tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("IssuerURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("IssuerURL(%q) = %q, %v; want an error saying %q", tt.in, got, err, tt.err)
		}
	}
}

func TestScheduleLimits(t *testing.T) {
	base := Config{URL: "https://gantry.example.com", Keys: brokenKeys{}, Secret: secret(1)}
	for _, c := range []Config{
		{TokenLifetime: 16 * time.Minute},
		{Rotation: time.Hour, Prepublish: time.Hour},
		{Secret: []byte("short")},
	} {
		c.URL, c.Keys = base.URL, base.Keys
		if c.Secret == nil {
			c.Secret = base.Secret
		}
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	if _, err := New(Config{URL: base.URL, Secret: base.Secret}); err == nil {
		t.Error("New without a store accepted")
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, _ := os.ReadFile(p)
		all = append(all, b...)
	}
	return all
}

func TestStatusNamesEachPublishedKeysState(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c := newClock(t0)
	s := serve(t, openStore(t), Config{Now: c.Now})
	states := func() string {
		t.Helper()
		_, keys, err := s.Status(t.Context())
		if err != nil {
			t.Fatalf("Status: %v", err)
		}
		var out []string
		for _, k := range keys {
			st := fmt.Sprintf("%d:%s", k.Generation, k.State)
			if !k.Until.IsZero() {
				st += " until " + k.Until.Sub(t0).String()
			}
			out = append(out, st)
		}
		return strings.Join(out, ", ")
	}
	if got := states(); got != "1:signing" {
		t.Errorf("after the first start: %s", got)
	}
	c.Set(t0.Add(DefaultRotation - DefaultPrepublish))
	s.kids(t) // a key set request rotates
	if got := states(); got != "1:signing, 2:next" {
		t.Errorf("an hour before the rotation: %s", got)
	}
	c.Set(t0.Add(DefaultRotation + time.Minute))
	if got, want := states(), "1:retired until "+(DefaultRotation+DefaultTokenLifetime+clockSkew).String()+", 2:signing"; got != want {
		t.Errorf("after the rotation: %s, want %s", got, want)
	}
}

func TestReplicasRotatingTogetherAddOneKey(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c := newClock(t0)
	path := filepath.Join(t.TempDir(), "gantry.db")
	st := openStoreAt(t, path)
	replicas := []served{serve(t, openStoreAt(t, path), Config{Now: c.Now}), serve(t, openStoreAt(t, path), Config{Now: c.Now}),
		serve(t, openStoreAt(t, path), Config{Now: c.Now})}
	c.Set(t0.Add(DefaultRotation - DefaultPrepublish))
	var wg sync.WaitGroup
	for _, r := range replicas {
		wg.Go(func() {
			if _, err := r.JWKS(context.Background()); err != nil {
				t.Errorf("JWKS: %v", err)
			}
		})
	}
	wg.Wait()
	keys, err := st.SigningKeys(t.Context())
	if err != nil || len(keys) != 2 {
		t.Fatalf("after three replicas rotated at once the store holds %d keys (%v), want two", len(keys), err)
	}
	want := fmt.Sprint([]string{keys[0].ID, keys[1].ID})
	for n, r := range replicas {
		if got := fmt.Sprint(r.kids(t)); got != want {
			t.Errorf("replica %d publishes %s, want %s", n, got, want)
		}
	}
}
