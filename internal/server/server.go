// Package server assembles gantry's HTTP surface: the webhook intake, health and readiness
// probes, Prometheus metrics, the read-only status pages (overview, one page per job, one per
// service's deployments), and the runner and workload identity endpoints mounted beside them.
package server

import (
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/classla/gantry/internal/identity"
	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/store"
)

// Server routes gantry's endpoints.
type Server struct {
	Store   store.Store
	Webhook http.Handler
	Metrics http.Handler
	// Runner serves the runner API (/api/runner/v1/…) of the Actions executor; nil with the local one.
	Runner http.Handler
	// Identity serves the OIDC discovery document and key set (/.well-known/…) of gantry's
	// workload identity; nil when GANTRY_WORKLOAD_IDENTITY is off.
	Identity http.Handler
	// IdentityStatus, when set, gives the issuer and its published keys for the status page.
	IdentityStatus func(ctx context.Context) (issuer string, keys []identity.KeyStatus, err error)
	Log            *slog.Logger
	// Version is shown on the status page.
	Version string
	// Warnings are shown at the top of the status page: settings that leave gantry less safe than
	// it should be, such as a sandbox that is off.
	Warnings []string
	// Redact filters every stored text the pages show (job errors, runner logs, deployment
	// errors): a runner's log is stored as the runner sent it. nil shows them unfiltered.
	Redact *redact.Filter
	// WebURL is GitHub's web address the pages link pull requests and commits to:
	// https://github.com/ (the default when empty) or a GitHub Enterprise Server host's.
	WebURL string
}

// Handler returns the mux of SPEC §3.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/github", s.Webhook)
	mux.HandleFunc("/webhooks/github", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "webhooks must be POSTed", http.StatusMethodNotAllowed)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.ready)
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics)
	}
	if s.Runner != nil {
		mux.Handle("/api/runner/v1/", s.Runner)
	}
	if s.Identity != nil {
		mux.Handle("/.well-known/", s.Identity)
	}
	mux.HandleFunc("GET /{$}", s.status)
	mux.HandleFunc("GET /jobs/{id}", s.job)
	mux.HandleFunc("GET /services/{owner}/{repo}/{service}", s.service)
	return mux
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.Log.Warn("readiness check failed: database does not answer", "err", err)
		http.Error(w, "database does not answer", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

//go:embed templates/*.html
var templates embed.FS

// page parses one page with the layout its pages share.
func page(name string) *template.Template {
	return template.Must(template.New(name).Funcs(template.FuncMap{
		"ago": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return time.Since(t).Round(time.Second).String() + " ago"
		},
		"utc": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"at":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"short": func(sha string) string {
			if len(sha) > 7 {
				return sha[:7]
			}
			return sha
		},
		"jobPath":     JobPath,
		"servicePath": ServicePath,
	}).ParseFS(templates, "templates/layout.html", "templates/"+name))
}

var (
	statusPage  = page("status.html")
	jobPage     = page("job.html")
	servicePage = page("service.html")
	missingPage = page("missing.html")
)

type statusData struct {
	Version     string
	Warnings    []string
	Issuer      string // "" when workload identity is off
	Keys        []identity.KeyStatus
	Locks       []store.Lock
	Jobs        []store.Job
	Deployments []store.Deployment
	Errors      []string
}

// status renders the read-only status page: what is locked, what runs, what was deployed.
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	d := statusData{Version: s.Version, Warnings: s.Warnings}
	var err error
	if d.Locks, err = s.Store.ListLocks(ctx, ""); err != nil {
		d.Errors = append(d.Errors, "locks: "+err.Error())
	}
	if d.Jobs, err = s.Store.ListJobs(ctx, store.JobFilter{States: []store.JobState{store.Queued, store.Running}, Limit: 200}); err != nil {
		d.Errors = append(d.Errors, "jobs: "+err.Error())
	}
	if d.Deployments, err = s.Store.ListDeployments(ctx, "", "", 50); err != nil {
		d.Errors = append(d.Errors, "deployments: "+err.Error())
	}
	if s.IdentityStatus != nil {
		if d.Issuer, d.Keys, err = s.IdentityStatus(ctx); err != nil {
			d.Errors = append(d.Errors, "workload identity: "+err.Error())
		}
	}
	code := http.StatusOK
	if len(d.Errors) > 0 {
		code = http.StatusServiceUnavailable
	}
	s.render(w, code, statusPage, d)
}

// render writes a page with its status code.
func (s *Server) render(w http.ResponseWriter, code int, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := t.Execute(w, data); err != nil {
		s.Log.Error("rendering a status page failed", "page", t.Name(), "err", err)
	}
}
