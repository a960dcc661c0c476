package registry_test

import (
	"net/http"
	"testing"

	"github.com/classla/gantry/internal/testing/registry"
)

func TestRegistryAsksForTheCurrentPassword(t *testing.T) {
	t.Parallel()
	reg := registry.New(t)
	reg.SetPassword("new-password")
	ref := reg.PushRandomBase(t, "base/python", "3") // pushes with the new password

	cases := []struct {
		name       string
		user, pass string
		wantStatus int
	}{
		{"the current password opens the registry", "AWS", "new-password", http.StatusOK},
		{"the previous password is refused", "AWS", registry.DefaultPassword, http.StatusUnauthorized},
		{"another user is refused", "admin", "new-password", http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, "http://"+reg.Host()+"/v2/base/python/tags/list", nil)
			req.SetBasicAuth(tc.user, tc.pass)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if tc.wantStatus == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate: clients would not know to send basic auth")
			}
		})
	}

	t.Run("the pushed base holds its file and PATH", func(t *testing.T) {
		if got := reg.Layers(t, ref)[0][registry.BaseFile].Content; got != registry.BaseFileContent {
			t.Errorf("%s = %q, want %q", registry.BaseFile, got, registry.BaseFileContent)
		}
		if env := reg.Config(t, ref).Config.Env; len(env) != 1 || env[0] != registry.BaseEnv {
			t.Errorf("Env = %q, want [%s]", env, registry.BaseEnv)
		}
	})
}
