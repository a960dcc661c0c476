package job_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classla/gantry/internal/job"
	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/store"
)

// Credentials as a pull request's Terraform could print them from the server's environment.
var leaked = map[string]string{
	"installation token":    "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
	"AWS secret access key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"AWS session token":     "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6+abc/def==",
	"a line of the App key": "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
	"webhook secret":        "a-webhook-secret-of-32-characters",
}

func leakedFilter() *redact.Filter {
	f := redact.New()
	for _, s := range leaked {
		f.Add(s)
	}
	return f
}

// errorPrinting is what a failed plan's error reads like when the plan printed the environment.
func errorPrinting() error {
	var b strings.Builder
	for name, s := range leaked {
		fmt.Fprintf(&b, "%s=%s\n", strings.ToUpper(strings.ReplaceAll(name, " ", "_")), s)
	}
	return fmt.Errorf("terraform plan: exit status 1: Error: Invalid value\n%s", b.String())
}

func checkRedacted(t *testing.T, where, text string) {
	t.Helper()
	for name, s := range leaked {
		if strings.Contains(text, s) {
			t.Errorf("%s shows the %s", where, name)
		}
	}
	if !strings.Contains(text, "terraform plan: exit status 1") || !strings.Contains(text, "[redacted]") {
		t.Errorf("%s = %q, want the error with [redacted] in place of each secret", where, text)
	}
}

func TestAFailingPlanPrintingCredentialsIsStoredRedacted(t *testing.T) {
	t.Parallel()
	st := openStore(t, filepath.Join(t.TempDir(), "g.db"))
	p := newPool(st, job.Registry{"plan": job.HandlerFunc(func(context.Context, store.Job, *slog.Logger) ([]byte, error) {
		return nil, errorPrinting()
	})})
	p.Redact = leakedFilter()
	j := enqueue(t, st, "plan")
	stop := start(t, p)
	defer stop()

	got := waitDone(t, st, j.ID)
	if got.State != store.Failed {
		t.Fatalf("job %s, want failed", got.State)
	}
	checkRedacted(t, "the stored error", got.Error)
}

func TestAPlanCutOffByShutdownIsReportedRedacted(t *testing.T) {
	t.Parallel()
	st := openStore(t, filepath.Join(t.TempDir(), "g.db"))
	started := make(chan struct{})
	rep := &reporter{}
	p := newPool(st, job.Registry{"plan": job.HandlerFunc(func(ctx context.Context, _ store.Job, _ *slog.Logger) ([]byte, error) {
		close(started)
		<-ctx.Done()
		return nil, errors.Join(ctx.Err(), errorPrinting())
	})})
	p.Drain, p.Reporter, p.Redact = 100*time.Millisecond, rep, leakedFilter()
	j := enqueue(t, st, "plan")
	stop := start(t, p)
	<-started
	stop()

	reported := rep.reported()
	if len(reported) != 1 || reported[0].ID != j.ID {
		t.Fatalf("reported %v, want the job cut off", reported)
	}
	checkRedacted(t, "the reported error", reported[0].Error)
	stored, _ := st.GetJob(context.Background(), j.ID)
	checkRedacted(t, "the stored error", stored.Error)
}
