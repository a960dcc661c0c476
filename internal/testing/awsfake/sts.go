package awsfake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// stsNamespace is the XML namespace of every STS Query API answer.
const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// STS is a fake AWS Security Token Service speaking the Query protocol (form-encoded POST /, XML
// answers). It serves AssumeRoleWithWebIdentity only: a role accepts the tokens AllowRole registered for
// it and the tokens of the identity providers TrustOIDC made it trust, every call gets fresh random
// credentials, and what it issued is kept for Issued. The operation needs no signature, so none is
// checked; Requests shows whether the client sent one. It is safe for concurrent use.
type STS struct {
	t   testing.TB
	srv *httptest.Server
	idp *http.Client // reaches the identity providers' discovery documents and key sets

	mu       sync.Mutex
	allowed  map[string]map[string]bool // role ARN → tokens accepted for it
	trusts   map[string][]oidcTrust     // role ARN → identity providers its trust policy names
	jwks     map[string]*jose.JSONWebKeySet
	failures []*stsError
	issued   []IssuedCredentials
	requests []Request
	served   int // requests started, numbering their request ids
}

// IssuedCredentials is one successful AssumeRoleWithWebIdentity: what was asked and what was answered.
type IssuedCredentials struct {
	RoleARN         string
	SessionName     string
	Token           string
	DurationSeconds int
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	// Subject and Audience are the token's `sub` and the audience that got it the role (for a token
	// accepted by AllowRole, its first `aud`); empty when the token is not a JWT.
	Subject  string
	Audience string
}

// stsError is an error in the Query protocol's shape.
type stsError struct {
	Status  int
	Code    string
	Message string
}

// NewSTS starts a fake STS; it is shut down when the test ends. Point a client at URL()
// (AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL).
func NewSTS(t testing.TB) *STS {
	t.Helper()
	s := &STS{
		t: t, idp: &http.Client{Timeout: 10 * time.Second},
		allowed: map[string]map[string]bool{}, trusts: map[string][]oidcTrust{}, jwks: map[string]*jose.JSONWebKeySet{},
	}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the endpoint, e.g. http://127.0.0.1:PORT.
func (s *STS) URL() string { return s.srv.URL }

// AllowRole makes roleARN assumable with token. A role may accept several tokens.
func (s *STS) AllowRole(roleARN, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.allowed[roleARN] == nil {
		s.allowed[roleARN] = map[string]bool{}
	}
	s.allowed[roleARN][token] = true
}

// FailNext makes the next well-formed request fail with status and STS's error code (for example 400,
// "ExpiredTokenException") and message, whatever its role and token.
func (s *STS) FailNext(status int, code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, &stsError{Status: status, Code: code, Message: message})
}

// Issued lists the credentials handed out so far, oldest first.
func (s *STS) Issued() []IssuedCredentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]IssuedCredentials(nil), s.issued...)
}

// Requests lists the requests received so far, oldest first.
func (s *STS) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// The refusals of AssumeRoleWithWebIdentity, worded as STS words them.
var (
	errAccessDenied = &stsError{http.StatusForbidden, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"}
	errInvalidToken = &stsError{http.StatusBadRequest, "InvalidIdentityToken",
		"The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request."}
	errIDPCommunication = &stsError{http.StatusBadRequest, "IDPCommunicationError",
		"Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements"}
)

func (s *STS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		logRequest(&s.requests, r, "", body, rec)
	}()

	reqID, in, tokenAllowed, trusts, e := s.admit(r, body)
	if e != nil {
		writeSTSError(rec, e, reqID)
		return
	}
	var id identity
	switch {
	case tokenAllowed:
		claims := jwtClaims(in.token)
		id = identity{subject: claims.Subject}
		if len(claims.Audience) > 0 {
			id.audience = claims.Audience[0]
		}
	case len(trusts) > 0:
		// The identity provider is asked without holding s.mu, so a slow one holds up no other request.
		if id, e = s.verifyWebIdentity(r.Context(), in.token, trusts); e != nil {
			writeSTSError(rec, e, reqID)
			return
		}
	default:
		writeSTSError(rec, errInvalidToken, reqID)
		return
	}
	issued := IssuedCredentials{
		RoleARN: in.roleARN, SessionName: in.sessionName, Token: in.token, DurationSeconds: in.duration,
		AccessKeyID:     "ASIA" + randomCode(16),
		SecretAccessKey: randomBase64(30),
		SessionToken:    "IQoJb3JpZ2luX2Vj" + randomBase64(180),
		Expiration:      time.Now().UTC().Add(time.Duration(in.duration) * time.Second).Truncate(time.Second),
		Subject:         id.subject,
		Audience:        id.audience,
	}
	s.mu.Lock()
	s.issued = append(s.issued, issued)
	s.mu.Unlock()
	issuedKeys.Store(issued.AccessKeyID, issued.SecretAccessKey)
	writeXML(rec, http.StatusOK, reqID, assumeRoleResponse(issued, reqID))
}

// admit numbers the request, parses it, and reads under s.mu what decides it: an injected failure, whether
// AllowRole registered the token for the role, and the identity providers the role trusts. An unknown role
// is refused here; e is the refusal.
func (s *STS) admit(r *http.Request, body []byte) (reqID string, in *assumeRoleInput, tokenAllowed bool, trusts []oidcTrust, e *stsError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reqID = requestID(fmt.Appendf(nil, "sts/%d/%s", s.served, body))
	s.served++

	in, e = parseAssumeRoleWithWebIdentity(r, body)
	if e != nil {
		s.t.Errorf("awsfake: STS cannot answer %s %s %q: %s", r.Method, r.URL.Path, body, e.Message)
		return reqID, nil, false, nil, e
	}
	if len(s.failures) > 0 {
		e := s.failures[0]
		s.failures = s.failures[1:]
		return reqID, nil, false, nil, e
	}
	tokens, allowed := s.allowed[in.roleARN]
	trusts = append([]oidcTrust(nil), s.trusts[in.roleARN]...)
	if !allowed && len(trusts) == 0 {
		return reqID, nil, false, nil, errAccessDenied
	}
	return reqID, in, tokens[in.token], trusts, nil
}

// assumeRoleInput is what AssumeRoleWithWebIdentity was asked.
type assumeRoleInput struct {
	roleARN, sessionName, token string
	duration                    int
}

var sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// parseAssumeRoleWithWebIdentity checks the request as STS does and returns its parameters.
func parseAssumeRoleWithWebIdentity(r *http.Request, body []byte) (*assumeRoleInput, *stsError) {
	invalid := func(format string, args ...any) *stsError {
		return &stsError{http.StatusBadRequest, "ValidationError", fmt.Sprintf(format, args...)}
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		return nil, &stsError{http.StatusNotFound, "UnknownOperation", "the Query API is POST /, not " + r.Method + " " + r.URL.Path}
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return nil, invalid("Content-Type must be application/x-www-form-urlencoded, not %q", r.Header.Get("Content-Type"))
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, invalid("the body is not form-encoded: %v", err)
	}
	if form.Get("Action") != "AssumeRoleWithWebIdentity" || form.Get("Version") != "2011-06-15" {
		return nil, &stsError{http.StatusBadRequest, "InvalidAction",
			fmt.Sprintf("the fake serves only Action=AssumeRoleWithWebIdentity&Version=2011-06-15, not %s/%s", form.Get("Action"), form.Get("Version"))}
	}
	in := &assumeRoleInput{roleARN: form.Get("RoleArn"), sessionName: form.Get("RoleSessionName"), token: form.Get("WebIdentityToken"), duration: 3600}
	if n := len(in.roleARN); n < 20 || n > 2048 {
		return nil, invalid("Value '%s' at 'roleArn' failed to satisfy constraint: Member must have length between 20 and 2048", in.roleARN)
	}
	if !sessionNamePattern.MatchString(in.sessionName) {
		return nil, invalid(`Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64 and match [\w+=,.@-]*`, in.sessionName)
	}
	if n := len(in.token); n < 4 || n > 20000 {
		return nil, invalid("the value at 'webIdentityToken' failed to satisfy constraint: Member must have length between 4 and 20000")
	}
	if d := form.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 900 || n > 43200 {
			return nil, invalid("Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must be between 900 and 43200", d)
		}
		in.duration = n
	}
	return in, nil
}

// The answer's XML, in the element order of the STS API reference.
type (
	assumeRoleXML struct {
		XMLName   xml.Name        `xml:"AssumeRoleWithWebIdentityResponse"`
		Namespace string          `xml:"xmlns,attr"`
		Result    assumeResultXML `xml:"AssumeRoleWithWebIdentityResult"`
		RequestID string          `xml:"ResponseMetadata>RequestId"`
	}
	assumeResultXML struct {
		Subject     string `xml:"SubjectFromWebIdentityToken"`
		Audience    string `xml:"Audience,omitempty"`
		RoleUserARN string `xml:"AssumedRoleUser>Arn"`
		RoleUserID  string `xml:"AssumedRoleUser>AssumedRoleId"`
		Credentials credentialsXML
		Provider    string `xml:"Provider,omitempty"`
	}
	credentialsXML struct {
		SessionToken    string
		SecretAccessKey string
		Expiration      string
		AccessKeyID     string `xml:"AccessKeyId"`
	}
	errorResponseXML struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Namespace string   `xml:"xmlns,attr"`
		Type      string   `xml:"Error>Type"`
		Code      string   `xml:"Error>Code"`
		Message   string   `xml:"Error>Message"`
		RequestID string   `xml:"RequestId"`
	}
)

func assumeRoleResponse(c IssuedCredentials, reqID string) *assumeRoleXML {
	subject := c.Subject
	if subject == "" {
		subject = "awsfake-subject-" + code(c.Token, 8)
	}
	// arn:aws:iam::ACCOUNT:role/PATH/NAME → arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION
	account, name := "000000000000", c.RoleARN
	if parts := strings.SplitN(c.RoleARN, ":", 6); len(parts) == 6 {
		account, name = parts[4], parts[5][strings.LastIndex(parts[5], "/")+1:]
	}
	return &assumeRoleXML{
		Namespace: stsNamespace,
		Result: assumeResultXML{
			Subject:     subject,
			Audience:    c.Audience,
			RoleUserARN: "arn:aws:sts::" + account + ":assumed-role/" + name + "/" + c.SessionName,
			RoleUserID:  "AROA" + code(c.RoleARN, 17) + ":" + c.SessionName,
			Credentials: credentialsXML{
				SessionToken: c.SessionToken, SecretAccessKey: c.SecretAccessKey,
				Expiration: c.Expiration.Format(time.RFC3339), AccessKeyID: c.AccessKeyID,
			},
			Provider: strings.TrimPrefix(jwtClaims(c.Token).Issuer, "https://"),
		},
		RequestID: reqID,
	}
}

// tokenClaims are the claims of a JWT-shaped token that STS echoes back. The signature is not checked:
// which tokens a role accepts is what AllowRole says, or verifyWebIdentity checks.
type tokenClaims struct {
	Subject  string       `json:"sub"`
	Audience jwt.Audience `json:"aud"` // a string or an array of them
	Issuer   string       `json:"iss"`
}

func jwtClaims(token string) tokenClaims {
	var c tokenClaims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err == nil {
		_ = json.Unmarshal(payload, &c) // a token that is not a JWT just has no claims to echo
	}
	return c
}

func writeSTSError(w http.ResponseWriter, e *stsError, reqID string) {
	kind := "Sender"
	if e.Status >= 500 {
		kind = "Receiver"
	}
	writeXML(w, e.Status, reqID, &errorResponseXML{Namespace: stsNamespace, Type: kind, Code: e.Code, Message: e.Message, RequestID: reqID})
}

func writeXML(w http.ResponseWriter, status int, reqID string, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("awsfake: encoding a response: %v", err)) // only values built here are encoded
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", reqID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// randomCode returns n random characters of [A-Z0-9], the alphabet of access key ids.
func randomCode(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func randomBase64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
