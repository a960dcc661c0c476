package flow

import (
	"context"
	"fmt"
	"log/slog"

	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/render"
	"github.com/classla/gantry/internal/store"
)

// recordingGitHub is a job's GitHub client that records in the store what the job opens —
// check runs, deployments, comments — and what it ends, as it does so. A job cut off midway
// (a crash, a shutdown past its grace, a panic, a newer push) leaves behind what it opened, and
// closeOpened, run by whoever finds it, ends exactly those.
type recordingGitHub struct {
	GitHub
	st  store.Store
	job int64
	log *slog.Logger
}

func (r recordingGitHub) record(ctx context.Context, o store.GitHubObject) {
	o.JobID = r.job
	if err := r.st.RecordGitHubObject(context.WithoutCancel(ctx), o); err != nil {
		// The job goes on: only a later crash report would miss this object.
		r.log.Warn("recording what the job opened on GitHub failed", "kind", o.Kind, "github_id", o.ID, "err", err)
	}
}

func (r recordingGitHub) CreateCheckRun(ctx context.Context, repo gh.Repo, run gh.CheckRun) (int64, error) {
	id, err := r.GitHub.CreateCheckRun(ctx, repo, run)
	if err == nil && id != 0 {
		r.record(ctx, store.GitHubObject{Kind: store.GitHubCheckRun, ID: id, Name: run.Name, Closed: run.Status == "completed"})
	}
	return id, err
}

func (r recordingGitHub) UpdateCheckRun(ctx context.Context, repo gh.Repo, id int64, run gh.CheckRun) error {
	err := r.GitHub.UpdateCheckRun(ctx, repo, id, run)
	if err == nil && run.Status == "completed" {
		r.record(ctx, store.GitHubObject{Kind: store.GitHubCheckRun, ID: id, Name: run.Name, Closed: true})
	}
	return err
}

func (r recordingGitHub) CreateDeployment(ctx context.Context, repo gh.Repo, d gh.Deployment) (int64, error) {
	id, err := r.GitHub.CreateDeployment(ctx, repo, d)
	if err == nil && id != 0 {
		r.record(ctx, store.GitHubObject{Kind: store.GitHubDeployment, ID: id, Name: d.Environment})
	}
	return id, err
}

// finalDeploymentStates end a GitHub Deployment's story.
var finalDeploymentStates = map[string]bool{"success": true, "failure": true, "error": true, "inactive": true}

func (r recordingGitHub) CreateDeploymentStatus(ctx context.Context, repo gh.Repo, id int64, state, description, logURL, environmentURL string) error {
	err := r.GitHub.CreateDeploymentStatus(ctx, repo, id, state, description, logURL, environmentURL)
	if err == nil && finalDeploymentStates[state] {
		r.record(ctx, store.GitHubObject{Kind: store.GitHubDeployment, ID: id, Closed: true})
	}
	return err
}

func (r recordingGitHub) Reply(ctx context.Context, repo gh.Repo, pr int, body string) (int64, error) {
	id, err := r.GitHub.Reply(ctx, repo, pr, body)
	if err == nil && id != 0 {
		r.record(ctx, store.GitHubObject{Kind: store.GitHubComment, ID: id})
	}
	return id, err
}

func (r recordingGitHub) UpsertComment(ctx context.Context, repo gh.Repo, pr int, marker, body string) ([]int64, error) {
	ids, err := r.GitHub.UpsertComment(ctx, repo, pr, marker, body)
	if err == nil && len(ids) > 0 {
		r.record(ctx, store.GitHubObject{Kind: store.GitHubComment, ID: ids[0], Name: marker})
	}
	return ids, err
}

// closeOpened ends what job j opened on GitHub and did not end itself: its check runs complete
// (failure, or cancelled for a job canceled by newer work) with a summary saying the job was cut
// off and how to run it again, and its deployments get an error status with the same text.
// Comments stay as they are; the caller says on the pull request what happened.
func closeOpened(ctx context.Context, st store.Store, client GitHub, j store.Job, retry, logURL string) error {
	objs, err := st.GitHubObjects(ctx, j.ID)
	if err != nil || len(objs) == 0 {
		return err
	}
	repo, err := gh.ParseRepo(j.Repo)
	if err != nil {
		return err
	}
	conclusion, title := "failure", "Cut off before it finished"
	summary := render.AbandonedMarkdown(render.Abandoned{Kind: j.Kind, Error: j.Error, JobID: j.ID, Retry: retry})
	switch j.State {
	case store.Canceled:
		conclusion, title = "cancelled", "Canceled: superseded by newer work"
		summary = fmt.Sprintf("Job %d was canceled before it finished, because newer work superseded it.\n", j.ID)
	case store.Queued:
		// A plan whose worker died is run again; its new run reports on a check run of its own.
		conclusion, title = "cancelled", "Interrupted: running again"
		summary = fmt.Sprintf("The worker running job %d stopped before it finished; the job was queued again "+
			"(attempt %d of %d) and reports anew when it runs.\n", j.ID, j.Attempts+1, j.MaxAttempts)
	}
	var firstErr error
	for _, o := range objs {
		if o.Closed {
			continue
		}
		switch o.Kind {
		case store.GitHubCheckRun:
			err = client.UpdateCheckRun(ctx, repo, o.ID, gh.CheckRun{Name: o.Name, Status: "completed", Conclusion: conclusion,
				Title: title, Summary: summary, DetailsURL: logURL})
		case store.GitHubDeployment:
			err = client.CreateDeploymentStatus(ctx, repo, o.ID, "error", fmt.Sprintf("%s: %s", title, retry), logURL, "")
		default:
			continue
		}
		if err == nil {
			o.Closed = true
			err = st.RecordGitHubObject(ctx, o)
		}
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("closing %s %d of job %d: %w", o.Kind, o.ID, j.ID, err)
		}
	}
	return firstErr
}
