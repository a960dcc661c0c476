// Package identity makes gantry an OIDC issuer of its own (SPEC §10, "Workload identity"): it
// signs a short-lived token per job whose subject names the repository, the project or service
// and the phase, so that AWS can tell a pull request's plan from a production apply, and it
// serves the discovery document and key set AWS STS fetches to verify those tokens. The signing
// keys live in the database, encrypted, and are rotated: a new key is published before it signs,
// and the previous one stays published until the last token it signed has expired.
package identity

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/store"
)

// Audience is the audience of every token: AWS STS.
const Audience = "sts.amazonaws.com"

// Defaults of the Issuer's schedule (docs/security.md, "Workload identity").
const (
	// DefaultTokenLifetime is how long a token is good for. STS needs it only when a role is
	// assumed; the credentials it gives last their session.
	DefaultTokenLifetime = 10 * time.Minute
	// DefaultRotation is how long a key signs before the next one takes over.
	DefaultRotation = 7 * 24 * time.Hour
	// DefaultPrepublish is how long a new key is published before it signs, so that a verifier
	// that cached the key set (jwksMaxAge) knows it by the time it sees its first token.
	DefaultPrepublish = time.Hour
	// keySize is the RSA modulus size of the signing keys.
	keySize = 2048
	// clockSkew is how long past a token's expiry its key stays published, for verifiers whose
	// clock runs behind.
	clockSkew = time.Minute
)

// Keys is where the signing keys are kept: the store.
type Keys interface {
	AddSigningKey(ctx context.Context, k store.SigningKey) (store.SigningKey, error)
	SigningKeys(ctx context.Context) ([]store.SigningKey, error)
	DeleteSigningKeys(ctx context.Context, below int64) error
}

// Config is what an Issuer is made from.
type Config struct {
	// URL is the issuer: GANTRY_PUBLIC_URL. It must be https, except on a loopback address.
	URL string
	// Keys stores the signing keys.
	Keys Keys
	// Secret seals the signing keys at rest; see NewSealer. Required.
	Secret []byte
	// Redact learns every token signed and every signing key; nil learns nothing.
	Redact *redact.Filter
	// Log receives rotations and keys that cannot be opened; nil discards.
	Log *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// TokenLifetime, Rotation and Prepublish default to the Default… constants. TokenLifetime
	// is at most 15 minutes (SPEC §10).
	TokenLifetime, Rotation, Prepublish time.Duration
}

// Issuer signs job tokens and serves its keys. It is safe for concurrent use, and several
// processes may share its Keys: each rotation adds one generation, whoever adds it first.
type Issuer struct {
	url                            string
	keys                           Keys
	sealer                         *sealer
	redact                         *redact.Filter
	log                            *slog.Logger
	now                            func() time.Time
	lifetime, rotation, prepublish time.Duration
	mu                             sync.Mutex
	opened                         map[string]*rsa.PrivateKey // by kid: unsealing and parsing is slow
	unreadable                     map[string]bool            // kids already logged as unreadable
	rotateMu                       sync.Mutex                 // one rotation at a time in this process
}

// New checks c and returns its Issuer. It touches no key: Start does.
func New(c Config) (*Issuer, error) {
	issuer, err := IssuerURL(c.URL)
	if err != nil {
		return nil, err
	}
	if c.Keys == nil {
		return nil, errors.New("workload identity needs a store for its signing keys")
	}
	s, err := newSealer(c.Secret)
	if err != nil {
		return nil, err
	}
	i := &Issuer{url: issuer, keys: c.Keys, sealer: s, redact: c.Redact, log: c.Log, now: c.Now,
		lifetime: c.TokenLifetime, rotation: c.Rotation, prepublish: c.Prepublish,
		opened: map[string]*rsa.PrivateKey{}, unreadable: map[string]bool{}}
	if i.log == nil {
		i.log = slog.New(slog.DiscardHandler)
	}
	if i.now == nil {
		i.now = time.Now
	}
	if i.lifetime == 0 {
		i.lifetime = DefaultTokenLifetime
	}
	if i.rotation == 0 {
		i.rotation = DefaultRotation
	}
	if i.prepublish == 0 {
		i.prepublish = DefaultPrepublish
	}
	switch {
	case i.lifetime < 0 || i.lifetime > 15*time.Minute:
		return nil, fmt.Errorf("token lifetime %v: it must be positive and at most 15 minutes", i.lifetime)
	case i.prepublish < 0 || i.rotation <= i.prepublish+i.lifetime:
		return nil, fmt.Errorf("key rotation every %v with keys published %v ahead: the rotation must be longer than that and the token lifetime together",
			i.rotation, i.prepublish)
	}
	return i, nil
}

// IssuerURL checks GANTRY_PUBLIC_URL as an issuer and returns it as tokens carry it, without a
// trailing slash. AWS fetches the issuer's keys over HTTPS only; plain http is accepted for a
// loopback host, which only a test's STS can reach.
func IssuerURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("GANTRY_WORKLOAD_IDENTITY=on needs GANTRY_PUBLIC_URL: the https URL AWS fetches gantry's signing keys from")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("GANTRY_PUBLIC_URL %q is not a URL an OIDC issuer can have: use https://HOST[/PATH], without user, query or fragment", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback(u.Hostname()) {
			return "", fmt.Errorf("GANTRY_PUBLIC_URL %q is http: with GANTRY_WORKLOAD_IDENTITY=on it must be https, because AWS fetches the issuer's keys over HTTPS only", raw)
		}
	default:
		return "", fmt.Errorf("GANTRY_PUBLIC_URL %q must be an https URL", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// URL is the issuer, the value of every token's iss.
func (i *Issuer) URL() string { return i.url }

// Start makes sure a key can sign: on the first start it generates one. A server calls it
// before it serves, so that a database it cannot use stops it at once.
func (i *Issuer) Start(ctx context.Context) error {
	_, _, err := i.current(ctx)
	return err
}

// Claims are what a job's token says besides issuer, audience and times.
type Claims struct {
	Subject     string // see Subject
	Repository  string // OWNER/REPO
	PullRequest int    // 0 for a commit without a pull request
	SHA         string
	JobID       int64
}

// tokenClaims is the token's JSON.
type tokenClaims struct {
	jwt.Claims
	Repository  string `json:"repository"`
	PullRequest int    `json:"pull_request,omitempty"`
	SHA         string `json:"sha,omitempty"`
	JobID       int64  `json:"job_id"`
}

// Sign returns a token for c, signed with the current key. The redaction filter learns it
// until it expires.
func (i *Issuer) Sign(ctx context.Context, c Claims) (string, error) {
	if c.Subject == "" || c.Repository == "" || c.JobID == 0 {
		return "", fmt.Errorf("a job token needs a subject, a repository and a job id (got %q, %q, %d)", c.Subject, c.Repository, c.JobID)
	}
	k, priv, err := i.current(ctx)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: k.ID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("workload identity: %w", err)
	}
	now := i.now()
	jti := make([]byte, 16)
	rand.Read(jti)
	exp := now.Add(i.lifetime)
	token, err := jwt.Signed(signer).Claims(tokenClaims{
		Claims: jwt.Claims{Issuer: i.url, Subject: c.Subject, Audience: jwt.Audience{Audience}, IssuedAt: jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(exp), ID: hex.EncodeToString(jti)},
		Repository: c.Repository, PullRequest: c.PullRequest, SHA: c.SHA, JobID: c.JobID,
	}).Serialize()
	if err != nil {
		return "", fmt.Errorf("workload identity: signing a token: %w", err)
	}
	i.redact.AddUntil(exp, token)
	return token, nil
}

// Subject is a token's sub (SPEC §10): repo:OWNER/REPO:project:NAME:phase:plan|apply for a
// project, repo:OWNER/REPO:service:NAME:phase:deploy for a service.
func Subject(repo, owner, name, phase string) string {
	return fmt.Sprintf("repo:%s:%s:%s:phase:%s", repo, owner, name, phase)
}

// TokenSource is the token of one job, for internal/aws's web identity provider.
type TokenSource struct {
	Issuer *Issuer
	Claims Claims
}

// Token signs a new token for the job: each assumption of its role gets a fresh one.
func (s TokenSource) Token(ctx context.Context) (string, error) { return s.Issuer.Sign(ctx, s.Claims) }
