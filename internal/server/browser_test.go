//go:build browser

// The status pages as a browser shows them: Debian's Chromium, headless, renders the job and
// service pages of a server on a real store, and the test reads the DOM it built. Run with
// `make test-browser`; GANTRY_UPDATE_SCREENSHOT=1 also rewrites the screenshots in docs/.

package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/server"
)

// chromiumPath is Debian's chromium package's binary; GANTRY_CHROMIUM names another one.
func chromiumPath(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("GANTRY_CHROMIUM")
	if bin == "" {
		bin = "/usr/bin/chromium"
	}
	if _, err := os.Stat(bin); err != nil {
		// A missing browser fails: a browser test that skips passes without testing anything.
		t.Fatalf("no Chromium at %s (%v): install Debian's chromium package (apt-get update && apt-get install -y --no-install-recommends chromium), or set GANTRY_CHROMIUM to a Chromium or Chrome binary", bin, err)
	}
	return bin
}

// chromium runs headless Chromium once with args after the flags every run needs, and returns
// what it printed on standard output. The flags keep it off the network (this machine's is
// closed, and a test must not phone home) and give it a profile of its own.
func chromium(t *testing.T, bin string, args ...string) string {
	t.Helper()
	flags := []string{"--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}
	if os.Geteuid() == 0 {
		// Chromium refuses to run its sandbox as root; CI runs as root in a throwaway machine.
		flags = append(flags, "--no-sandbox")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(flags, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Chromium starts helper processes: a timeout kills the whole group, not only the browser.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // helpers left behind, if any
	}
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("%w: no answer within 30 s", err)
		}
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// element returns the serialized element whose id attribute is id, up to its closing tag.
func element(t *testing.T, dom, tag, id string) string {
	t.Helper()
	start := strings.Index(dom, fmt.Sprintf(`<%s id="%s"`, tag, id))
	if start < 0 {
		start = strings.Index(dom, fmt.Sprintf(`id="%s"`, id))
		if start < 0 {
			t.Fatalf("the DOM has no element with id %q:\n%s", id, dom)
		}
		start = strings.LastIndex(dom[:start], "<"+tag)
	}
	end := strings.Index(dom[start:], "</"+tag+">")
	if end < 0 {
		t.Fatalf("element %q is not closed:\n%s", id, dom[start:])
	}
	return dom[start : start+end]
}

func contains(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(s, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, s)
		}
	}
}

func TestStatusPagesInChromium(t *testing.T) {
	bin := chromiumPath(t)
	s, f := pagesServer(t)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	jobURL := srv.URL + server.JobPath(f.Failed.ID)
	serviceURL := srv.URL + server.ServicePath("classla/lms", "backend")

	t.Run("the job page shows the job, its error and its redacted log as text", func(t *testing.T) {
		dom := chromium(t, bin, "--dump-dom", jobURL)
		// The log and the error print markup: it must stay text, and no script must run (one
		// that did would have renamed the page).
		contains(t, "the DOM", dom, fmt.Sprintf("<title>job %d · apply · classla/lms · gantry</title>", f.Failed.ID))
		if n := strings.Count(dom, "<script"); n != 0 {
			t.Errorf("the DOM has %d script elements: text from the job became markup", n)
		}
		if strings.Contains(dom, "<img") {
			t.Error("the job's error became an img element")
		}
		contains(t, "the state", element(t, dom, "span", "state"), ">failed")
		contains(t, "the pull request cell", element(t, dom, "td", "pr"), `href="https://github.com/classla/lms/pull/42">#42</a>`)
		contains(t, "the attempts", element(t, dom, "td", "attempts"), "1 of 2")
		contains(t, "the error", element(t, dom, "pre", "error"),
			"exit status 1 &lt;img src=x onerror=alert(1)&gt; with "+redact.Replacement)
		log := element(t, dom, "pre", "log")
		contains(t, "the log", log, "the token is "+redact.Replacement, "&lt;script&gt;document.title='pwned'&lt;/script&gt;",
			"Error: creating ECS Service: InvalidParameterException")
		if strings.Contains(dom, leakedSecret) {
			t.Error("the page shows a secret the server knows")
		}
		contains(t, "the runner", element(t, dom, "td", "runner"), "environment <code>production</code>", "/actions/runs/8812")
	})

	t.Run("the service page lists deployments newest first with rollback targets", func(t *testing.T) {
		dom := chromium(t, bin, "--dump-dom", serviceURL)
		d := f.Deployments
		rows := make([]string, len(d))
		at := make([]int, len(d))
		for i := range d {
			id := fmt.Sprintf("deployment-%d", d[i].ID)
			rows[i] = element(t, dom, "tr", id)
			at[i] = strings.Index(dom, `id="`+id+`"`)
		}
		if !(at[3] < at[2] && at[2] < at[1] && at[1] < at[0]) {
			t.Errorf("rows are not newest first: %v", at)
		}
		contains(t, "the running deployment", element(t, dom, "p", "current"), fmt.Sprintf("Running now: deployment %d", d[3].ID), "lms-backend:41")
		contains(t, "the rollback's row", rows[3], "running now", fmt.Sprintf(`rollback of <a href="#deployment-%d">%d</a>`, d[1].ID, d[1].ID))
		contains(t, "the failed deployment's row", rows[2], "failure", "Target.ResponseCodeMismatch &lt;b&gt;502&lt;/b&gt;")
		contains(t, "the target's row", rows[1], fmt.Sprintf("/rollback backend --to %d", d[1].ID), "lms-backend:42", "3m12s")
		contains(t, "the same revision's row", rows[0], "same revision as now")
		if strings.Contains(rows[2], "--to") || strings.Contains(rows[0], "--to") {
			t.Error("a deployment /rollback refuses is offered as a target")
		}
	})

	t.Run("both pages render at desktop size", func(t *testing.T) {
		for name, url := range map[string]string{"status-job.png": jobURL, "status-service.png": serviceURL} {
			shot := filepath.Join(t.TempDir(), name)
			chromium(t, bin, "--screenshot="+shot, "--window-size=1280,900", url)
			checkScreenshot(t, shot)
			if os.Getenv("GANTRY_UPDATE_SCREENSHOT") == "1" {
				b, err := os.ReadFile(shot)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join("..", "..", "docs", name), b, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote docs/%s", name)
			}
		}
	})
}

// checkScreenshot fails unless path is a 1280×900 PNG with something drawn on it: text in
// several colours, not a blank or error page.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot: %v", err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 900 {
		t.Errorf("screenshot is %dx%d, want 1280x900", b.Dx(), b.Dy())
	}
	colours := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			colours[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)] = true
		}
	}
	if len(colours) < 20 {
		t.Errorf("screenshot %s has %d colours: the page looks blank", path, len(colours))
	}
}
