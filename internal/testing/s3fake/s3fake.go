// Package s3fake is an in-process S3 for tests: Terraform's S3 backend stores state in it, and tests read
// back what was written. It accepts one fixed fake key pair and refuses any other, so a test also proves
// that the credentials it meant to pass reached the client.
package s3fake

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// The only credentials the fake accepts. They are not secrets: they open nothing but this fake.
const (
	AccessKeyID     = "AKIAGANTRYFAKE000001"
	SecretAccessKey = "gantry-fake-secret-access-key"
	Region          = "us-east-1"
)

// Server is a running fake S3, closed when the test ends.
type Server struct {
	t       testing.TB
	backend *s3mem.Backend
	http    *httptest.Server
}

// New starts a fake S3 on a local port. Requests must be signed (SigV4) with AccessKeyID; others get
// S3's InvalidAccessKeyId error.
func New(t testing.TB) *Server {
	t.Helper()
	backend := s3mem.New()
	// Terraform's clients send x-amz-date from the same clock, so the skew check only adds flakiness.
	faker := gofakes3.New(backend, gofakes3.WithTimeSkewLimit(0))
	s := &Server{t: t, backend: backend}
	s.http = httptest.NewServer(s.requireAccessKey(faker.Server()))
	t.Cleanup(s.http.Close)
	return s
}

// URL is the endpoint clients use, e.g. http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.http.URL }

// Bucket creates a bucket; the test fails if it cannot.
func (s *Server) Bucket(name string) {
	s.t.Helper()
	if err := s.backend.CreateBucket(name); err != nil {
		s.t.Fatalf("s3fake: creating bucket %q: %v", name, err)
	}
}

// Object returns the content of bucket/key and whether it exists.
func (s *Server) Object(bucket, key string) ([]byte, bool) {
	s.t.Helper()
	obj, err := s.backend.GetObject(bucket, key, nil)
	if gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey) {
		return nil, false
	}
	if err != nil {
		s.t.Fatalf("s3fake: reading %s/%s: %v", bucket, key, err)
	}
	defer obj.Contents.Close()
	body, err := io.ReadAll(obj.Contents)
	if err != nil {
		s.t.Fatalf("s3fake: reading %s/%s: %v", bucket, key, err)
	}
	return body, true
}

// Keys lists every key in bucket, sorted.
func (s *Server) Keys(bucket string) []string {
	s.t.Helper()
	list, err := s.backend.ListBucket(bucket, nil, gofakes3.ListBucketPage{})
	if err != nil {
		s.t.Fatalf("s3fake: listing %s: %v", bucket, err)
	}
	keys := make([]string, 0, len(list.Contents))
	for _, c := range list.Contents {
		keys = append(keys, c.Key)
	}
	slices.Sort(keys)
	return keys
}

// Env is the environment a client needs to authenticate to the fake: the way gantry hands credentials
// to Terraform (in the process environment, for one run only).
func (s *Server) Env() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":     AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": SecretAccessKey,
		"AWS_REGION":            Region,
	}
}

// requireAccessKey refuses requests whose SigV4 credential scope names another access key. The
// signature itself is not checked: the point is to catch a client that got no credentials or the
// wrong ones.
func (s *Server) requireAccessKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if key := accessKeyOf(r.Header.Get("Authorization")); key != AccessKeyID {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+
				`<Error><Code>InvalidAccessKeyId</Code><Message>s3fake accepts only access key %s, got %q</Message></Error>`,
				AccessKeyID, key)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// accessKeyOf extracts the key id from "AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/s3/aws4_request, ...".
func accessKeyOf(authorization string) string {
	_, rest, ok := strings.Cut(authorization, "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(rest, "/")
	return key
}
