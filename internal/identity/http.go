package identity

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Paths of the issuer's documents, below its URL.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/.well-known/jwks.json"
)

// How long verifiers may cache the documents. The key set's age is well below DefaultPrepublish,
// so a cached key set always holds a new key before its first token.
const (
	discoveryMaxAge = time.Hour
	jwksMaxAge      = 5 * time.Minute
)

// discovery is the OpenID Provider metadata AWS reads: where the keys are and how tokens are
// signed.
type discovery struct {
	Issuer                           string   `json:"issuer"`
	JWKSURI                          string   `json:"jwks_uri"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	ScopesSupported                  []string `json:"scopes_supported"`
	ClaimsSupported                  []string `json:"claims_supported"`
}

// Handler serves the discovery document and the key set at DiscoveryPath and JWKSPath.
func (i *Issuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DiscoveryPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, discoveryMaxAge, discovery{
			Issuer:                           i.url,
			JWKSURI:                          i.url + JWKSPath,
			ResponseTypesSupported:           []string{"id_token"},
			SubjectTypesSupported:            []string{"public"},
			IDTokenSigningAlgValuesSupported: []string{string(jose.RS256)},
			ScopesSupported:                  []string{"openid"},
			ClaimsSupported: []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti",
				"repository", "pull_request", "sha", "job_id"},
		})
	})
	mux.HandleFunc("GET "+JWKSPath, func(w http.ResponseWriter, r *http.Request) {
		set, err := i.JWKS(r.Context())
		if err != nil {
			i.log.Error("serving the workload identity key set", "error", err.Error())
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "the signing keys cannot be read now; try again", http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, jwksMaxAge, set)
	})
	return mux
}

// JWKS returns the published keys' public halves, rotating first when a rotation is due.
func (i *Issuer) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	s, err := i.rotate(ctx)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range i.published(s) {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.ID, Algorithm: string(jose.RS256), Use: "sig"})
	}
	return set, nil
}

func writeJSON(w http.ResponseWriter, maxAge time.Duration, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(maxAge.Seconds())))
	w.Write(b)
}

// KeyStatus is one published key as the status page shows it.
type KeyStatus struct {
	ID         string
	Generation int64
	// State is "signing", "next" (published ahead, signs from ActiveFrom) or "retired"
	// (published until Until, for the tokens it signed).
	State      string
	ActiveFrom time.Time
	Until      time.Time
}

// Status returns the issuer's URL and its published keys, oldest first, without rotating.
func (i *Issuer) Status(ctx context.Context) (string, []KeyStatus, error) {
	s, err := i.load(ctx)
	if err != nil {
		return i.url, nil, err
	}
	if s.signer < 0 && len(s.keys) > 0 {
		s.signer = 0
	}
	var out []KeyStatus
	for _, k := range i.published(s) {
		ks := KeyStatus{ID: k.ID, Generation: k.Generation, ActiveFrom: k.ActiveFrom, State: "signing"}
		for n, other := range s.keys {
			if other.Generation != k.Generation {
				continue
			}
			switch {
			case n < s.signer:
				ks.State, ks.Until = "retired", s.keys[n+1].ActiveFrom.Add(i.lifetime+clockSkew)
			case n > s.signer:
				ks.State = "next"
			}
		}
		out = append(out, ks)
	}
	return i.url, out, nil
}
