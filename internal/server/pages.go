package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/classla/gantry/internal/store"
)

// JobPath is the path of a job's page: GANTRY_PUBLIC_URL + JobPath(id) is the address GitHub
// links to.
func JobPath(id int64) string { return "/jobs/" + strconv.FormatInt(id, 10) }

// ServicePath is the path of the page of service's deployments in repo ("owner/name"), each
// segment escaped.
func ServicePath(repo, service string) string {
	owner, name, _ := strings.Cut(repo, "/")
	return "/services/" + url.PathEscape(owner) + "/" + url.PathEscape(name) + "/" + url.PathEscape(service)
}

const (
	// maxLogShown is how much of a runner's log a job page shows: its end, where a failure is.
	// The store keeps up to the runner API's MaxLog (4 MiB by default); a page of that size is
	// slow to open on a phone.
	maxLogShown = 1 << 20
	// serviceHistory is how many deployments a service page lists.
	serviceHistory = 100
)

// missingData is the page of a job or service gantry has no record of, or cannot read.
type missingData struct {
	Title   string
	Message string
}

func (s *Server) missing(w http.ResponseWriter, code int, title, message string) {
	s.render(w, code, missingPage, missingData{Title: title, Message: message})
}

// jobData is what the job page shows. Texts that come from a job's own output (Error, Log) are
// redacted before they get here.
type jobData struct {
	Job         store.Job
	Links       links
	State       string
	MaxAttempts int
	Waited      string // queued → started
	Duration    string // started → finished, or → now while running
	Error       string
	// Runner is the Actions side of the job, nil for a job of the server's own workers.
	Runner *store.RunnerJob
	RunURL string
	Log    string
	// LogOmitted is how many bytes of the start of the log are not shown; LogTruncated says the
	// runner sent more than the server keeps, so the log's end is missing.
	LogOmitted   int
	LogTruncated bool
	Errors       []string
}

// job renders the page of one job: what it is about, its state and times, its error and log.
func (s *Server) job(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.missing(w, http.StatusNotFound, "No such job", fmt.Sprintf("%q is not a job number.", r.PathValue("id")))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	j, err := s.Store.GetJob(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.missing(w, http.StatusNotFound, "No such job", fmt.Sprintf("gantry has no job %d.", id))
		return
	case err != nil:
		s.Log.Warn("reading a job for its page failed", "job_id", id, "err", err)
		s.missing(w, http.StatusServiceUnavailable, "Job unavailable", fmt.Sprintf("Could not read job %d: %s", id, s.Redact.String(err.Error())))
		return
	}
	d := jobData{Job: j, Links: links{s.WebURL}, State: string(j.State), MaxAttempts: max(j.MaxAttempts, 1), Error: s.Redact.String(j.Error)}
	if j.CancelRequested && !j.State.Done() {
		d.State += " (cancel requested)"
	}
	if !j.StartedAt.IsZero() {
		d.Waited = duration(j.StartedAt.Sub(j.CreatedAt))
		switch {
		case !j.FinishedAt.IsZero():
			d.Duration = duration(j.FinishedAt.Sub(j.StartedAt))
		case j.State == store.Running:
			d.Duration = duration(time.Since(j.StartedAt)) + " so far"
		}
	}
	switch rj, err := s.Store.RunnerJob(ctx, id); {
	case errors.Is(err, store.ErrNotFound): // run by the server's own workers: no log is kept
	case err != nil:
		d.Errors = append(d.Errors, "the runner of this job: "+err.Error())
	default:
		d.Runner = &rj
		d.RunURL = d.Links.run(j.Repo, rj)
		log, truncated, err := s.Store.RunnerLog(ctx, id)
		if err != nil {
			d.Errors = append(d.Errors, "the job's log: "+err.Error())
			break
		}
		d.Log, d.LogOmitted = tail(s.Redact.Bytes(log), maxLogShown)
		d.LogTruncated = truncated
	}
	code := http.StatusOK
	if len(d.Errors) > 0 {
		code = http.StatusServiceUnavailable
	}
	s.render(w, code, jobPage, d)
}

// tail returns the last max bytes of log as valid UTF-8 (a log is whatever bytes the runner
// sent), starting at a character, and how many bytes before it are left out. The log is
// redacted before it is cut, so that no secret is cut in two and escapes the filter.
func tail(log []byte, max int) (string, int) {
	omitted := 0
	if len(log) > max {
		omitted = len(log) - max
		for omitted < len(log) && !utf8.RuneStart(log[omitted]) {
			omitted++
		}
	}
	return strings.ToValidUTF8(string(log[omitted:]), "\uFFFD"), omitted
}

func duration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// serviceData is what the service page shows.
type serviceData struct {
	Repo, Service string
	Links         links
	Current       *deploymentRow // nil when no deployment succeeded
	Deployments   []deploymentRow
	More          bool // older deployments exist than those listed
	Targets       int  // how many deployments a rollback can return to
}

// deploymentRow is one deployment of the service page.
type deploymentRow struct {
	store.Deployment
	Error    string // redacted
	Revision string // family:revision of the task definition the deployment left running
	Duration string
	Current  bool
	// Target: `/rollback SERVICE --to ID` would return the service to this deployment.
	Target bool
	// SameRevision: the deployment succeeded but left the revision that runs now, so rolling
	// back to it changes nothing.
	SameRevision bool
}

// service renders the deployment history of one service, newest first, with the deployments a
// rollback can return to.
func (s *Server) service(w http.ResponseWriter, r *http.Request) {
	repo, service := r.PathValue("owner")+"/"+r.PathValue("repo"), r.PathValue("service")
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	ledger, err := s.Store.ListDeployments(ctx, repo, service, serviceHistory+1)
	if err != nil {
		s.Log.Warn("reading deployments for a service page failed", "repo", repo, "service", service, "err", err)
		s.missing(w, http.StatusServiceUnavailable, "Deployments unavailable",
			fmt.Sprintf("Could not read the deployments of %s in %s: %s", service, repo, s.Redact.String(err.Error())))
		return
	}
	if len(ledger) == 0 {
		s.missing(w, http.StatusNotFound, "No deployments",
			fmt.Sprintf("gantry has recorded no deployment of service %q in %s.", service, repo))
		return
	}
	d := serviceData{Repo: repo, Service: service, Links: links{s.WebURL}}
	if len(ledger) > serviceHistory {
		ledger, d.More = ledger[:serviceHistory], true
	}
	current := -1
	for i, dep := range ledger {
		if dep.State == store.DeploymentSuccess {
			current = i
			break
		}
	}
	for i, dep := range ledger {
		row := deploymentRow{Deployment: dep, Error: s.Redact.String(dep.Error), Revision: revision(dep.TaskDefAfter)}
		if !dep.StartedAt.IsZero() && !dep.FinishedAt.IsZero() {
			row.Duration = duration(dep.FinishedAt.Sub(dep.StartedAt))
		}
		switch {
		case i == current:
			row.Current = true
		case current >= 0 && dep.State == store.DeploymentSuccess:
			// As /rollback decides (flow.RollbackTarget): a deployment that left the
			// revision running now is no target.
			row.SameRevision = dep.SameRelease(ledger[current])
			row.Target = !row.SameRevision
		}
		if row.Target {
			d.Targets++
		}
		d.Deployments = append(d.Deployments, row)
	}
	if current >= 0 {
		d.Current = &d.Deployments[current]
	}
	s.render(w, http.StatusOK, servicePage, d)
}

// revision shortens a task definition ARN to its family:revision.
func revision(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// links builds addresses on GitHub's web site (github.com or an Enterprise Server host).
type links struct{ web string }

func (l links) base() string {
	if l.web == "" {
		return "https://github.com/"
	}
	return strings.TrimSuffix(l.web, "/") + "/"
}

// Repo, PR and Commit are the pages of a repository ("owner/name"), one of its pull requests
// and one of its commits.
func (l links) Repo(repo string) string { return l.base() + repo }

func (l links) PR(repo string, n int) string { return l.Repo(repo) + "/pull/" + strconv.Itoa(n) }

func (l links) Commit(repo, sha string) string {
	return l.Repo(repo) + "/commit/" + url.PathEscape(sha)
}

// run is the page of the workflow run that ran a job, "" while GitHub has not said which.
func (l links) run(repo string, rj store.RunnerJob) string {
	switch {
	case rj.RunURL != "":
		return rj.RunURL
	case rj.RunID != 0:
		return l.Repo(repo) + "/actions/runs/" + strconv.FormatInt(rj.RunID, 10)
	}
	return ""
}
