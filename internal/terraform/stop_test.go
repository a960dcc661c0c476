package terraform_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classla/gantry/internal/terraform"
)

func TestATimedOutRunStopsTheWholeProcessGroup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		ignoreInterrupt bool
	}{
		{name: "a step that stops on interrupt gets it, and its grandchild is killed", ignoreInterrupt: false},
		{name: "a step that ignores interrupt is killed with its grandchild after the grace period", ignoreInterrupt: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			settings := map[string]string{"FAKE_HANG": "plan"}
			if tt.ignoreInterrupt {
				settings["FAKE_IGNORE_INT"] = "1"
			}
			f := newFake(t, settings)
			r, err := terraform.New(f.bin, terraform.Options{Timeout: 700 * time.Millisecond, StopGrace: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = r.Plan(context.Background(), terraform.PlanRequest{Dir: t.TempDir(), PlanFile: "p"})
			elapsed := time.Since(start)

			var runErr *terraform.RunError
			if !errors.As(err, &runErr) || runErr.Step != "plan" {
				t.Fatalf("error = %v, want a RunError of the plan step", err)
			}
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out after 700ms") {
				t.Errorf("error = %q, want it to say the run timed out after 700ms", err)
			}
			// The grandchild sleeps 300 s; the run must end around timeout + grace, far sooner.
			if elapsed > 10*time.Second {
				t.Errorf("Plan returned after %s: it waited for the grandchild", elapsed)
			}
			pid, ok := f.file("grandchild.pid")
			if !ok {
				t.Fatal("the fake never started its grandchild")
			}
			if !waitGone(t, strings.TrimSpace(pid)) {
				t.Errorf("grandchild %s is still running after the run was stopped", strings.TrimSpace(pid))
			}
			_, interrupted := f.file("interrupted")
			if interrupted == tt.ignoreInterrupt {
				t.Errorf("the step recorded an interrupt: %v, want %v: it must be interrupted before it is killed",
					interrupted, !tt.ignoreInterrupt)
			}
		})
	}
}

func TestACanceledRunSaysItWasCanceledAndWhy(t *testing.T) {
	t.Parallel()
	f := newFake(t, map[string]string{"FAKE_HANG": "init"})
	r, err := terraform.New(f.bin, terraform.Options{StopGrace: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		// Cancel once init is running, as a newer push superseding the plan would.
		for {
			if _, ok := f.file("grandchild.pid"); ok {
				cancel(errors.New("superseded by a newer commit"))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	_, err = r.Plan(ctx, terraform.PlanRequest{Dir: t.TempDir(), PlanFile: "p"})
	var runErr *terraform.RunError
	if !errors.As(err, &runErr) || runErr.Step != "init" {
		t.Fatalf("error = %v, want a RunError of the init step", err)
	}
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "canceled (superseded by a newer commit)") {
		t.Errorf("error = %q, want it to say the run was canceled and why", err)
	}
	if n := len(f.calls()); n != 2 {
		t.Errorf("%d calls, want version and init only: %v", n, f.calls())
	}
}

func TestInitsSharingAPluginCacheRunOneAtATime(t *testing.T) {
	t.Parallel()
	f := newFake(t, map[string]string{"FAKE_INIT_SLEEP": "0.2"})
	r, err := terraform.New(f.bin, terraform.Options{PluginCacheDir: filepath.Join(t.TempDir(), "cache")})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, err := r.Plan(context.Background(), terraform.PlanRequest{Dir: t.TempDir(), PlanFile: "p"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	data, err := os.ReadFile(filepath.Join(f.dir, "init.log"))
	if err != nil {
		t.Fatal(err)
	}
	// Serialized inits log start, end, start, end...: each start is followed by its own end.
	lines := strings.Fields(strings.ReplaceAll(string(data), "\n", " "))
	if len(lines) != 12 {
		t.Fatalf("init.log has %d words, want 3 inits × start/end with a pid each:\n%s", len(lines), data)
	}
	for i := 0; i < len(lines); i += 4 {
		if lines[i] != "start" || lines[i+2] != "end" || lines[i+1] != lines[i+3] {
			t.Fatalf("inits overlapped:\n%s", data)
		}
	}
}
