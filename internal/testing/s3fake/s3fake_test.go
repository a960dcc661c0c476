package s3fake_test

import (
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/testing/s3fake"
	"github.com/google/go-cmp/cmp"
)

// put stores body at bucket/key, authenticating with accessKey in a SigV4-shaped header (the fake
// reads the key id, not the signature).
func put(t *testing.T, s *s3fake.Server, accessKey, bucket, key, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, s.URL()+"/"+bucket+"/"+key, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+accessKey+
		"/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestObjectsWrittenWithTheFakeKeyCanBeReadBack(t *testing.T) {
	t.Parallel()
	s := s3fake.New(t)
	s.Bucket("state")
	for _, key := range []string{"b.tfstate", "env:/staging/a.tfstate"} {
		if resp := put(t, s, s3fake.AccessKeyID, "state", key, "{}"); resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT %s: %s", key, resp.Status)
		}
	}
	if diff := cmp.Diff([]string{"b.tfstate", "env:/staging/a.tfstate"}, s.Keys("state")); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
	if body, ok := s.Object("state", "b.tfstate"); !ok || string(body) != "{}" {
		t.Errorf("Object = %q, %v; want {}, true", body, ok)
	}
	if _, ok := s.Object("state", "missing"); ok {
		t.Error("Object reports a key that was never written")
	}
}

func TestRequestsWithoutTheFakeKeyAreRefused(t *testing.T) {
	t.Parallel()
	s := s3fake.New(t)
	s.Bucket("state")
	for name, key := range map[string]string{"another key": "AKIASOMEONEELSE", "no credentials": ""} {
		t.Run(name+" gets 403 InvalidAccessKeyId", func(t *testing.T) {
			resp := put(t, s, key, "state", "x.tfstate", "{}")
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<Code>InvalidAccessKeyId</Code>") {
				t.Errorf("got %s %s, want 403 InvalidAccessKeyId", resp.Status, body)
			}
		})
	}
	if keys := s.Keys("state"); len(keys) != 0 {
		t.Errorf("refused requests wrote %q", keys)
	}
}

func TestBackendConfigUsesEachFlavorsAttributeNames(t *testing.T) {
	t.Parallel()
	s := s3fake.New(t)
	common := map[string]string{
		"bucket": "state", "key": "app.tfstate", "region": "us-east-1",
		"skip_credentials_validation": "true", "skip_metadata_api_check": "true", "skip_region_validation": "true",
	}
	with := func(extra map[string]string) map[string]string {
		m := maps.Clone(common)
		maps.Copy(m, extra)
		return m
	}
	tests := []struct {
		flavor string
		want   map[string]string
	}{
		{"terraform", with(map[string]string{"endpoint": s.URL(), "force_path_style": "true"})},
		{"tofu", with(map[string]string{"endpoints": `{s3="` + s.URL() + `"}`, "use_path_style": "true", "skip_requesting_account_id": "true"})},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, s.BackendConfig(tt.flavor, "state", "app.tfstate")); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.flavor, diff)
		}
	}
}
