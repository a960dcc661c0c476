package awsfake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The only credentials the fakes accept. They are not secrets: they open nothing but these fakes.
const (
	AccessKeyID     = "AKIAGANTRYAWSFAKE001"
	SecretAccessKey = "gantry-awsfake-secret-access-key"
)

// Request is one request a fake received, with its answer.
type Request struct {
	Method string
	Path   string
	Target string // X-Amz-Target, e.g. "AWSPriceListService.GetProducts"
	Header http.Header
	Body   []byte

	Status   int
	Response []byte
}

// awsError is an error in the AWS JSON protocols' shape. Type is the namespaced shape id AWS puts in
// __type ("com.amazonaws.pricing#InvalidParameterException"); the SDK keeps what follows the '#'.
type awsError struct {
	Status  int
	Type    string
	Message string
}

func (e *awsError) Error() string { return e.Type + ": " + e.Message }

// writeJSONError answers in AWS JSON 1.0/1.1's error shape.
func writeJSONError(w http.ResponseWriter, e *awsError) {
	writeJSON(w, e.Status, map[string]string{"__type": e.Type, "message": e.Message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("awsfake: encoding a response: %v", err)) // only values built here are encoded
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", requestID(body))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func requestID(body []byte) string {
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// recorder keeps a copy of the answer for the request log.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// verifySigV4 checks that r was signed with the fakes' key pair for service in region, by signing the
// same request again and comparing signatures, as AWS does. Errors are the ones AWS answers with.
func verifySigV4(r *http.Request, body []byte, service, region string) *awsError {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return &awsError{http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token"}
	}
	fields, err := parseAuthorization(auth)
	if err != nil {
		return &awsError{http.StatusBadRequest, "IncompleteSignatureException", err.Error()}
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return &awsError{http.StatusBadRequest, "IncompleteSignatureException", "Credential is not KEY/DATE/REGION/SERVICE/aws4_request"}
	}
	secret, known := secretOf(scope[0])
	if !known {
		return &awsError{http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid."}
	}
	if scope[2] != region || scope[3] != service {
		return &awsError{http.StatusBadRequest, "InvalidSignatureException",
			fmt.Sprintf("Credential should be scoped to a valid region (%s) and service (%s), not %s/%s", region, service, scope[2], scope[3])}
	}
	signedAt, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return &awsError{http.StatusBadRequest, "IncompleteSignatureException", "X-Amz-Date is missing or not YYYYMMDD'T'HHMMSS'Z'"}
	}
	want, err := resign(r, body, strings.Split(fields["SignedHeaders"], ";"), aws.Credentials{AccessKeyID: scope[0], SecretAccessKey: secret}, service, region, signedAt)
	if err != nil {
		return &awsError{http.StatusBadRequest, "IncompleteSignatureException", err.Error()}
	}
	if want != fields["Signature"] {
		return &awsError{http.StatusBadRequest, "InvalidSignatureException",
			"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."}
	}
	return nil
}

// parseAuthorization splits "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…".
func parseAuthorization(auth string) (map[string]string, error) {
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return nil, errors.New("Authorization header requires the AWS4-HMAC-SHA256 algorithm")
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			fields[k] = v
		}
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			return nil, fmt.Errorf("Authorization header requires a %s parameter", k)
		}
	}
	return fields, nil
}

// resign signs a copy of r holding only the headers the client signed and returns the signature.
func resign(r *http.Request, body []byte, signedHeaders []string, creds aws.Credentials, service, region string, at time.Time) (string, error) {
	req, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Host = r.Host
	for _, h := range signedHeaders {
		switch h {
		case "host", "content-length", "x-amz-date":
			// host and content-length come from the request itself; x-amz-date is set by the signer.
		default:
			for _, v := range r.Header.Values(h) {
				req.Header.Add(h, v)
			}
		}
	}
	sum := sha256.Sum256(body)
	if tok := r.Header.Get("X-Amz-Security-Token"); tok != "" {
		creds.SessionToken = tok
	}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, req, hex.EncodeToString(sum[:]), service, region, at); err != nil {
		return "", err
	}
	fields, err := parseAuthorization(req.Header.Get("Authorization"))
	if err != nil {
		return "", err
	}
	return fields["Signature"], nil
}

// issuedKeys holds the temporary key pairs the STS fake handed out: like real AWS, every fake
// accepts them, so credentials obtained by assuming a role work against ECR, ECS and the rest.
var issuedKeys sync.Map // access key id → secret access key

// secretOf is the secret of a key the fakes know: the fixed test pair or one STS issued.
func secretOf(accessKeyID string) (string, bool) {
	if accessKeyID == AccessKeyID {
		return SecretAccessKey, true
	}
	v, ok := issuedKeys.Load(accessKeyID)
	if !ok {
		return "", false
	}
	return v.(string), true
}

// logRequest appends a request and the answer it got to a fake's log; the caller holds the
// fake's lock, and defers the call so the answer is complete.
func logRequest(log *[]Request, r *http.Request, target string, body []byte, rec *recorder) {
	*log = append(*log, Request{Method: r.Method, Path: r.URL.Path, Target: target, Header: r.Header.Clone(), Body: body,
		Status: rec.status, Response: rec.body.Bytes()})
}
