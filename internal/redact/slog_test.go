package redact_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/redact"
)

// sessionToken stands for an AWS session token: base64, with "/" and "+".
const sessionToken = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+abc/def=="

type credentials struct{ Key, Token string }

// credentialsValuer logs as a group, as config.Server does.
type credentialsValuer struct{ key string }

func (c credentialsValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("secret_access_key", c.key), slog.Int("n", 1))
}

type tokenStringer string

func (s tokenStringer) String() string { return "token(" + string(s) + ")" }

func TestALogLineCarryingCredentialsIsRedacted(t *testing.T) {
	t.Parallel()
	f := redact.New()
	var out bytes.Buffer
	base := slog.New(redact.Handler(slog.NewJSONHandler(&out, nil), f))
	// A logger made before the secrets were learned, carrying one of them.
	early := base.With("token", installationToken).WithGroup("job").With("delivery", "d-1", "key", secretKey)
	early.Info("job started")
	f.Add(installationToken, secretKey, webhookSecret, sessionToken)
	out.Reset()

	early.Error("plan failed: output holds "+sessionToken,
		"err", fmt.Errorf("terraform plan: %w", errors.New("AWS_SECRET_ACCESS_KEY="+secretKey)),
		"webhook_secret", webhookSecret,
		slog.Group("aws", slog.String("session_token", sessionToken), slog.Int("attempt", 2)),
		"creds", credentialsValuer{key: secretKey},
		"struct", credentials{Key: secretKey, Token: sessionToken},
		"stringer", tokenStringer(installationToken),
		"raw", []byte("token="+installationToken),
		"duration_ms", 1500,
	)
	line := out.String()
	for name, secret := range map[string]string{"installation token": installationToken, "secret key": secretKey,
		"webhook secret": webhookSecret, "session token": sessionToken} {
		if strings.Contains(line, secret) || strings.Contains(line, strings.ReplaceAll(secret, "/", `\/`)) {
			t.Errorf("the log line shows the %s: %s", name, line)
		}
	}

	var rec map[string]any
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatalf("the log line is not JSON: %v\n%s", err, line)
	}
	job, _ := rec["job"].(map[string]any)
	want := map[string]any{
		"msg":   "plan failed: output holds [redacted]",
		"token": "[redacted]",
	}
	wantJob := map[string]any{
		"delivery":       "d-1",
		"key":            "[redacted]",
		"err":            "terraform plan: AWS_SECRET_ACCESS_KEY=[redacted]",
		"webhook_secret": "[redacted]",
		"aws":            map[string]any{"session_token": "[redacted]", "attempt": float64(2)},
		"creds":          map[string]any{"secret_access_key": "[redacted]", "n": float64(1)},
		"struct":         "{Key:[redacted] Token:[redacted]}",
		"stringer":       "token([redacted])",
		"raw":            "token=[redacted]",
		"duration_ms":    float64(1500),
	}
	for k, v := range want {
		if fmt.Sprint(rec[k]) != fmt.Sprint(v) {
			t.Errorf("%s = %v, want %v", k, rec[k], v)
		}
	}
	for k, v := range wantJob {
		if fmt.Sprint(job[k]) != fmt.Sprint(v) {
			t.Errorf("job.%s = %v, want %v", k, job[k], v)
		}
	}
}

func TestALogLineWithoutSecretsIsWrittenAsIs(t *testing.T) {
	t.Parallel()
	f := redact.New()
	f.Add(installationToken)
	var plain, filtered bytes.Buffer
	opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	for _, l := range []*slog.Logger{
		slog.New(slog.NewTextHandler(&plain, opts)),
		slog.New(redact.Handler(slog.NewTextHandler(&filtered, opts), f)),
	} {
		l.With("repo", "classla/lms").WithGroup("job").Info("job finished", "state", "succeeded", "ids", []int{1, 2}, "err", errors.New("none"))
	}
	if plain.String() != filtered.String() {
		t.Errorf("filtering changed a line without secrets:\n got %s\nwant %s", filtered.String(), plain.String())
	}
}
