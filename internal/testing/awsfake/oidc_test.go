package awsfake_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/testing/awsfake"
)

// fetch asks the fake endpoint as a runner would and returns the status and the token in "value".
func fetch(t *testing.T, rawURL, bearer string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Value string `json:"value"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Value
}

func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not header.payload.signature", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("payload is not base64url: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("payload is not JSON: %v", err)
	}
	return c
}

func TestActionsOIDC(t *testing.T) {
	t.Parallel()

	t.Run("a runner with the request token gets a JWT for the audience it asked", func(t *testing.T) {
		t.Parallel()
		a := awsfake.NewActionsOIDC(t)
		if !strings.Contains(a.RequestURL(), "?api-version=") {
			t.Errorf("RequestURL %q has no query; GitHub's has one, so clients must append &audience", a.RequestURL())
		}
		status, token := fetch(t, a.RequestURL()+"&audience=sts.amazonaws.com", a.RequestToken())
		if status != http.StatusOK {
			t.Fatalf("status %d, want 200", status)
		}
		c := claimsOf(t, token)
		got := []any{c["iss"], c["aud"], c["sub"], c["repository"]}
		want := []any{"https://token.actions.githubusercontent.com", "sts.amazonaws.com", "repo:octo-org/octo-repo:ref:refs/heads/main", "octo-org/octo-repo"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("claims iss, aud, sub, repository (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]awsfake.IssuedToken{{Audience: "sts.amazonaws.com", Token: token}}, a.Issued()); diff != "" {
			t.Errorf("Issued() (-want +got):\n%s", diff)
		}
	})

	t.Run("without an audience the token is for the repository owner, as GitHub does", func(t *testing.T) {
		t.Parallel()
		a := awsfake.NewActionsOIDC(t)
		_, token := fetch(t, a.RequestURL(), a.RequestToken())
		if aud := claimsOf(t, token)["aud"]; aud != "https://github.com/octo-org" {
			t.Errorf("aud = %v, want https://github.com/octo-org", aud)
		}
	})

	t.Run("another bearer token is refused and gets nothing", func(t *testing.T) {
		t.Parallel()
		a := awsfake.NewActionsOIDC(t)
		status, token := fetch(t, a.RequestURL()+"&audience=sts.amazonaws.com", "not-the-request-token")
		if status != http.StatusUnauthorized || token != "" || len(a.Issued()) != 0 {
			t.Errorf("status %d, token %q, %d issued; want 401 and nothing issued", status, token, len(a.Issued()))
		}
	})

	t.Run("a request for another path fails the test", func(t *testing.T) {
		t.Parallel()
		rec := &recordingTB{TB: t}
		a := awsfake.NewActionsOIDC(rec)
		status, _ := fetch(t, strings.Replace(a.RequestURL(), "/idtoken", "/other", 1), a.RequestToken())
		if status != http.StatusNotFound || len(rec.errors()) != 1 {
			t.Errorf("status %d, test errors %q; want 404 and one test error", status, rec.errors())
		}
	})
}
