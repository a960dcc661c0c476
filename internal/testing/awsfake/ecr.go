package awsfake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// ECR's AWS JSON 1.1 targets the fake serves.
const (
	ECRTargetPrefix           = "AmazonEC2ContainerRegistry_V20150921."
	ECRGetAuthorizationToken  = ECRTargetPrefix + "GetAuthorizationToken"
	ECRDescribeRepositories   = ECRTargetPrefix + "DescribeRepositories"
	ECRRegion                 = "us-east-1"
	ECRAccountID              = "123456789012"
	ecrTokenLifetime          = 12 * time.Hour // what ECR issues
	ecrRepositoryNotFoundType = "RepositoryNotFoundException"
)

// ECR is a fake Amazon ECR API (service "ecr", region ECRRegion) speaking AWS JSON 1.1. Its
// authorization tokens open the registry at the host it was given, and its repositories live there.
// It is safe for concurrent use.
type ECR struct {
	t        testing.TB
	srv      *httptest.Server
	host     string
	password string

	mu       sync.Mutex
	repos    map[string]time.Time // name → createdAt
	denied   map[string]bool      // target → AccessDeniedException
	requests []Request
}

// NewECR starts a fake ECR API whose registry is registryHost ("127.0.0.1:PORT"); it is shut down when
// the test ends. Its password is random; give it to the registry (registry.SetPassword(e.Password())).
func NewECR(t testing.TB, registryHost string) *ECR {
	t.Helper()
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	e := &ECR{
		t: t, host: registryHost, password: "ecr-" + hex.EncodeToString(b),
		repos: map[string]time.Time{}, denied: map[string]bool{},
	}
	e.srv = httptest.NewServer(e)
	t.Cleanup(e.srv.Close)
	return e
}

// URL is the API endpoint, e.g. http://127.0.0.1:PORT (ecr.Options.BaseEndpoint).
func (e *ECR) URL() string { return e.srv.URL }

// Password is the registry password inside the tokens GetAuthorizationToken issues.
func (e *ECR) Password() string { return e.password }

// AddRepository creates a repository; its URI is HOST/name.
func (e *ECR) AddRepository(name string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.repos[name] = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	return e.host + "/" + name
}

// Deny makes every call of operation ("GetAuthorizationToken", "DescribeRepositories") fail with
// AccessDeniedException, as for a role whose policy lacks ecr:<operation>.
func (e *ECR) Deny(operation string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.denied[ECRTargetPrefix+operation] = true
}

// Requests lists the requests received so far, oldest first.
func (e *ECR) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Request(nil), e.requests...)
}

func (e *ECR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	target := r.Header.Get("X-Amz-Target")

	e.mu.Lock()
	defer e.mu.Unlock()
	defer logRequest(&e.requests, r, target, body, rec)

	if ae := verifySigV4(r, body, "ecr", ECRRegion); ae != nil {
		writeJSONError(rec, ae)
		return
	}
	if ae := ecrCheckEnvelope(r, target, ECRGetAuthorizationToken, ECRDescribeRepositories); ae != nil {
		e.t.Errorf("awsfake: ecr cannot answer %s %s (target %q): %s", r.Method, r.URL.Path, target, ae.Message)
		writeJSONError(rec, ae)
		return
	}
	if e.denied[target] {
		action := "ecr:" + strings.TrimPrefix(target, ECRTargetPrefix)
		writeJSONError(rec, &awsError{http.StatusBadRequest, "AccessDeniedException", fmt.Sprintf(
			"User: arn:aws:sts::%s:assumed-role/gantry-deploy/gantry is not authorized to perform: %s on resource: * because no identity-based policy allows the %s action",
			ECRAccountID, action, action)})
		return
	}
	var (
		out any
		ae  *awsError
	)
	switch target {
	case ECRGetAuthorizationToken:
		out = e.getAuthorizationToken()
	case ECRDescribeRepositories:
		out, ae = e.describeRepositories(body)
	}
	if ae != nil {
		writeJSONError(rec, ae)
		return
	}
	writeJSON(rec, http.StatusOK, out)
}

// ecrCheckEnvelope checks what AWS JSON 1.1 requires of every request and that target is one of targets.
func ecrCheckEnvelope(r *http.Request, target string, targets ...string) *awsError {
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		return &awsError{http.StatusNotFound, "com.amazon.coral.service#UnknownOperationException",
			"AWS JSON 1.1 requests are POST /, not " + r.Method + " " + r.URL.Path}
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		return &awsError{http.StatusBadRequest, "com.amazon.coral.service#SerializationException",
			"Content-Type must be application/x-amz-json-1.1, not " + r.Header.Get("Content-Type")}
	}
	for _, t := range targets {
		if target == t {
			return nil
		}
	}
	return &awsError{http.StatusBadRequest, "com.amazon.coral.service#UnknownOperationException",
		"the fake serves only " + strings.Join(targets, ", ")}
}

func (e *ECR) getAuthorizationToken() any {
	return map[string]any{"authorizationData": []map[string]any{{
		"authorizationToken": base64.StdEncoding.EncodeToString([]byte("AWS:" + e.password)),
		"expiresAt":          float64(time.Now().Add(ecrTokenLifetime).Unix()),
		"proxyEndpoint":      "https://" + e.host,
	}}}
}

func (e *ECR) describeRepositories(body []byte) (any, *awsError) {
	var in struct {
		RegistryID      string   `json:"registryId"`
		RepositoryNames []string `json:"repositoryNames"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, &awsError{http.StatusBadRequest, "com.amazon.coral.service#SerializationException", err.Error()}
	}
	if in.RegistryID != "" && in.RegistryID != ECRAccountID {
		return nil, &awsError{http.StatusBadRequest, "RegistryNotFoundException",
			fmt.Sprintf("The registry with id '%s' does not exist", in.RegistryID)}
	}
	names := in.RepositoryNames
	if len(names) == 0 {
		for n := range e.repos {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	repos := []map[string]any{}
	for _, n := range names {
		created, ok := e.repos[n]
		if !ok {
			return nil, &awsError{http.StatusBadRequest, ecrRepositoryNotFoundType, fmt.Sprintf(
				"The repository with name '%s' does not exist in the registry with id '%s'", n, ECRAccountID)}
		}
		repos = append(repos, map[string]any{
			"repositoryArn":              fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", ECRRegion, ECRAccountID, n),
			"registryId":                 ECRAccountID,
			"repositoryName":             n,
			"repositoryUri":              e.host + "/" + n,
			"createdAt":                  float64(created.Unix()),
			"imageTagMutability":         "MUTABLE",
			"imageScanningConfiguration": map[string]any{"scanOnPush": false},
			"encryptionConfiguration":    map[string]any{"encryptionType": "AES256"},
		})
	}
	return map[string]any{"repositories": repos}, nil
}
