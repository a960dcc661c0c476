package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/classla/gantry/internal/cost"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/job"
	"github.com/classla/gantry/internal/render"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/workdir"
)

// GitHub is what the flows need from GitHub, for one installation. internal/github's Client
// implements it; tests use the shared fake GitHub through that same client.
type GitHub interface {
	Reply(ctx context.Context, repo gh.Repo, pr int, body string) (int64, error)
	UpsertComment(ctx context.Context, repo gh.Repo, pr int, marker, body string) ([]int64, error)
	Permission(ctx context.Context, repo gh.Repo, user string) (gh.Permission, error)
	PullRequestFiles(ctx context.Context, repo gh.Repo, pr int) ([]string, error)
	PullRequest(ctx context.Context, repo gh.Repo, pr int) (gh.PullRequest, error)
	DefaultBranchFile(ctx context.Context, repo gh.Repo, path string) ([]byte, bool, error)
	Tarball(ctx context.Context, repo gh.Repo, ref string, w io.Writer) error
	CreateCheckRun(ctx context.Context, repo gh.Repo, run gh.CheckRun) (int64, error)
	UpdateCheckRun(ctx context.Context, repo gh.Repo, id int64, run gh.CheckRun) error
	CreateDeployment(ctx context.Context, repo gh.Repo, d gh.Deployment) (int64, error)
	CreateDeploymentStatus(ctx context.Context, repo gh.Repo, id int64, state, description, logURL, environmentURL string) error
	PullRequestsOfCommit(ctx context.Context, repo gh.Repo, sha string) ([]int, error)
	Approved(ctx context.Context, repo gh.Repo, pr int, author, sha string) (gh.Approval, error)
	Diverged(ctx context.Context, repo gh.Repo, base, head string) (int, error)
	// CompareFiles and CommitFiles list a direct push's files when its payload may not.
	CompareFiles(ctx context.Context, repo gh.Repo, base, head string) ([]string, error)
	CommitFiles(ctx context.Context, repo gh.Repo, sha string) ([]string, error)
}

// Clients gives the GitHub client of an installation.
type Clients func(installationID int64) GitHub

// AppClients adapts a GitHub App to Clients.
func AppClients(app *gh.App) Clients {
	return func(id int64) GitHub { return app.Installation(id) }
}

// Deps are the adapters the job handlers work through.
type Deps struct {
	Store     store.Store
	GitHub    Clients
	Terraform Terraform
	Workdirs  Workdirs
	// Catalog prices plans; nil leaves the cost section out.
	Catalog *cost.Catalog
	// Credentials assumes projects' roles; nil when the server has no web identity token.
	Credentials Credentials
	// Shipper builds and deploys services; nil when the server cannot.
	Shipper Shipper
	// Remote, when set, runs Terraform in the repository's GitHub Actions runners instead of here
	// (GANTRY_EXECUTOR=actions).
	Remote Remote
	Policy Policy
	// PublicURL is GANTRY_PUBLIC_URL without a trailing slash; when set, check runs, deployment
	// statuses and comments link to the job's and the service's pages on the status page.
	PublicURL string
	Log       *slog.Logger
}

// Handlers returns the handler of every job kind Intake queues.
func Handlers(d Deps) job.Registry {
	return job.Registry{
		KindPullRequest:       handler(d, runPullRequest),
		KindPullRequestClosed: handler(d, runPullRequestClosed),
		KindForkNote:          handler(d, runForkNote),
		KindCommand:           handler(d, runCommand),
		KindInstallation:      handler(d, runInstallation),
		KindPlan:              handler(d, runPlan),
		KindApply:             handler(d, runApply),
		KindPush:              handler(d, runPush),
		KindDeploy:            handler(d, runDeploy),
		KindRollback:          handler(d, runRollback),
		KindRunCompleted:      handler(d, runRunCompleted),
	}
}

// task is one job's context: its spec decoded, the repository and the installation's client.
type task[S any] struct {
	Deps
	Job  store.Job
	Spec S
	Repo gh.Repo
	GH   GitHub
	Log  *slog.Logger
}

// handler decodes a job's spec and runs fn with it.
func handler[S any](d Deps, fn func(ctx context.Context, t *task[S]) (any, error)) job.Handler {
	return job.HandlerFunc(func(ctx context.Context, j store.Job, log *slog.Logger) ([]byte, error) {
		t := &task[S]{Deps: d, Job: j, Log: log}
		if err := json.Unmarshal(j.Spec, &t.Spec); err != nil {
			return nil, fmt.Errorf("job %d (%s) has an unreadable spec: %w", j.ID, j.Kind, err)
		}
		if j.Repo != "" {
			r, err := gh.ParseRepo(j.Repo)
			if err != nil {
				return nil, fmt.Errorf("job %d: %w", j.ID, err)
			}
			t.Repo = r
		}
		if d.GitHub != nil && j.InstallationID != 0 {
			t.GH = d.GitHub(j.InstallationID)
			if d.Store != nil && j.ID != 0 {
				t.GH = recordingGitHub{GitHub: t.GH, st: d.Store, job: j.ID, log: log}
			}
		}
		res, err := fn(ctx, t)
		if err != nil || res == nil {
			return nil, err
		}
		b, err := json.Marshal(res)
		if err != nil {
			return nil, fmt.Errorf("encoding the result of job %d: %w", j.ID, err)
		}
		return b, nil
	})
}

// checkout downloads the repository at sha into a work directory of the job's own; release it
// with t.remove.
func (t *task[S]) checkout(ctx context.Context, sha string) (*workdir.Dir, error) {
	dir, err := t.Workdirs.Checkout(ctx, fmt.Sprintf("job-%d", t.Job.ID), func(ctx context.Context, w io.Writer) error {
		return t.GH.Tarball(ctx, t.Repo, sha, w)
	})
	if err != nil {
		return nil, fmt.Errorf("checking out %s at %s: %w", t.Repo, short(sha), err)
	}
	return dir, nil
}

// remove deletes a work directory; a failure is only logged (the next start sweeps leftovers).
func (t *task[S]) remove(dir *workdir.Dir) {
	if err := dir.Remove(); err != nil {
		t.Log.Warn("removing the work directory failed", "dir", dir.Path, "err", err)
	}
}

// AbandonedReporter ends what a job cut off had opened on GitHub and tells its pull request.
type AbandonedReporter struct {
	GitHub Clients
	// Store has what each job opened on GitHub; nil closes nothing.
	Store store.Store
	// PublicURL, when set, links the report to the job's page (GANTRY_PUBLIC_URL).
	PublicURL string
}

// ReportAbandoned implements job.Reporter: a job that died with its worker (or was stopped by a
// shutdown, or panicked) gets its check runs and deployments ended and a comment saying so.
func (r *AbandonedReporter) ReportAbandoned(ctx context.Context, j store.Job) error {
	if j.Repo == "" || j.InstallationID == 0 {
		return nil
	}
	repo, err := gh.ParseRepo(j.Repo)
	if err != nil {
		return err
	}
	retry := retryAdvice(j.Kind)
	client := r.GitHub(j.InstallationID)
	closeErr := r.CloseOpened(ctx, j)
	if j.PR == 0 || j.State == store.Canceled {
		return closeErr
	}
	body := render.AbandonedMarkdown(render.Abandoned{Kind: j.Kind, Error: j.Error, JobID: j.ID, Retry: retry})
	body = withJobLink(body, r.PublicURL, j.ID)
	// The job's own comment (a plan's or an apply's, by its marker) is updated in place, so the
	// pull request shows one report of the job; a job that had written none gets a reply.
	var id int64
	if marker := r.lastMarker(ctx, j.ID); marker != "" {
		var ids []int64
		if ids, err = client.UpsertComment(ctx, repo, j.PR, marker, body); len(ids) > 0 {
			id = ids[0]
		}
	} else {
		id, err = client.Reply(ctx, repo, j.PR, body)
	}
	if err == nil && id != 0 && r.Store != nil {
		// Recorded, so that a sweep after a crash here reports the job once, not twice.
		err = r.Store.RecordGitHubObject(ctx, store.GitHubObject{JobID: j.ID, Kind: store.GitHubComment, ID: id,
			Name: store.CutOffReport, Closed: true})
	}
	return errors.Join(closeErr, err)
}

// lastMarker is the marker of the last comment job id wrote by marker, "" for none.
func (r *AbandonedReporter) lastMarker(ctx context.Context, id int64) string {
	if r.Store == nil {
		return ""
	}
	objs, err := r.Store.GitHubObjects(ctx, id)
	if err != nil {
		return ""
	}
	marker := ""
	for _, o := range objs {
		if o.Kind == store.GitHubComment && strings.HasPrefix(o.Name, "<!--") {
			marker = o.Name
		}
	}
	return marker
}

// CloseLeftOpen implements job.Sweeper: jobs failed or canceled with GitHub objects still open —
// their reporter died too — are reported now: a job cut off by its worker's end gets its report
// (once), the others have what they opened ended.
func (r *AbandonedReporter) CloseLeftOpen(ctx context.Context) error {
	if r.Store == nil {
		return nil
	}
	jobs, err := r.Store.LeftOpen(ctx, 100)
	if err != nil {
		return err
	}
	var errs []error
	for _, j := range jobs {
		objs, err := r.Store.GitHubObjects(ctx, j.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		reported := slices.ContainsFunc(objs, func(o store.GitHubObject) bool { return o.Name == store.CutOffReport })
		if j.State == store.Failed && !reported && cutOffByItsWorker(j.Error) {
			errs = append(errs, r.ReportAbandoned(ctx, j))
			continue
		}
		errs = append(errs, r.CloseOpened(ctx, j))
	}
	return errors.Join(errs...)
}

// cutOffByItsWorker reports whether a job's error is the store's or the pool's word for a job
// whose worker or server stopped under it.
func cutOffByItsWorker(errText string) bool {
	return slices.ContainsFunc(store.CutOffPhrases, func(p string) bool { return strings.Contains(errText, p) })
}

// CloseOpened implements job.Closer: whatever the job opened on GitHub and did not end itself
// is ended now (check runs failure or cancelled, deployments error).
func (r *AbandonedReporter) CloseOpened(ctx context.Context, j store.Job) error {
	if r.Store == nil || j.Repo == "" || j.InstallationID == 0 {
		return nil
	}
	logURL := ""
	if r.PublicURL != "" {
		logURL = r.PublicURL + JobPath(j.ID)
	}
	return closeOpened(ctx, r.Store, r.GitHub(j.InstallationID), j, retryAdvice(j.Kind), logURL)
}

// retryAdvice says how a user runs a job of kind again.
func retryAdvice(kind string) string {
	switch kind {
	case KindApply:
		return "The project stays locked by this pull request. Comment `/apply` to apply again"
	case KindDeploy, KindRollback:
		return "Check the service's state in ECS, then run `gantry deploy` or comment `/rollback`"
	}
	return "Comment `/plan` to plan again"
}
