// Package amplify deploys a frontend hosted on AWS Amplify: it releases a commit of an app's branch
// (StartJob RELEASE), or finds the job Amplify's own build on push already started for that commit,
// and watches the job (GetJob) until it succeeds, fails, is cancelled or the wait times out. A
// rollback is a release of the earlier commit, watched the same way.
package amplify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsamplify "github.com/aws/aws-sdk-go-v2/service/amplify"
	"github.com/aws/aws-sdk-go-v2/service/amplify/types"
	"github.com/aws/smithy-go"
)

// API is the part of the Amplify client the deployer uses; *amplify.Client implements it.
type API interface {
	StartJob(ctx context.Context, in *awsamplify.StartJobInput, opts ...func(*awsamplify.Options)) (*awsamplify.StartJobOutput, error)
	GetJob(ctx context.Context, in *awsamplify.GetJobInput, opts ...func(*awsamplify.Options)) (*awsamplify.GetJobOutput, error)
	ListJobs(ctx context.Context, in *awsamplify.ListJobsInput, opts ...func(*awsamplify.Options)) (*awsamplify.ListJobsOutput, error)
}

// Defaults used when a Deployer or Request leaves them zero.
const (
	DefaultPoll    = 15 * time.Second
	DefaultTimeout = 10 * time.Minute
)

// Deployer releases commits of Amplify branches. Zero Poll, Log and Now get DefaultPoll, a
// discarding logger and time.Now.
type Deployer struct {
	Client API
	// Region builds Result.ConsoleURL; empty: the client's own region when Client is an
	// *amplify.Client (NewClient's is), else no console URL.
	Region string
	Poll   time.Duration
	Log    *slog.Logger
	// DryRun looks for an existing job (ListJobs only) and says on Out what Deploy or Rollback
	// would start or watch, starting nothing.
	DryRun bool
	Out    io.Writer
	Now    func() time.Time
}

// Request is one release of a commit of an Amplify app's branch.
type Request struct {
	AppID     string // amplify.app_id of .gantry.yaml
	Branch    string // amplify.branch
	CommitSHA string // the commit to release: the merge commit, or for Rollback the earlier one
	// CommitMessage is shown beside the job in Amplify's console; optional.
	CommitMessage string
	WaitTimeout   time.Duration // how long to wait for the job; DefaultTimeout when zero
}

// Result is what a deployment did. It is filled as far as the deployment got, failures included.
type Result struct {
	JobID     string
	JobARN    string
	Status    string // Amplify's job status: SUCCEED, FAILED, CANCELLED, or RUNNING etc. when it timed out
	CommitSHA string
	// Started says gantry started the job; false means it watched the job Amplify's own build
	// on push had started for the commit.
	Started    bool
	StartTime  time.Time // when Amplify started the job
	EndTime    time.Time // zero while it has not ended
	ConsoleURL string    // the branch's deployments in the Amplify console; empty when the region is unknown
	Polls      int       // GetJob calls
}

// Outcome says how a job that did not succeed ended.
type Outcome string

const (
	OutcomeFailed    Outcome = "failed"    // Amplify marked the job FAILED
	OutcomeCancelled Outcome = "cancelled" // the job was cancelled (someone stopped it, or a newer job replaced it)
	OutcomeTimedOut  Outcome = "timed out" // still running when WaitTimeout passed
)

// Failure is a job that did not succeed. Step, Reason and LogURL come from the step that failed,
// as far as Amplify gives them.
type Failure struct {
	Outcome Outcome
	JobID   string
	Step    string        // e.g. BUILD, DEPLOY
	Reason  string        // the step's statusReason
	LogURL  string        // a presigned URL of the step's log; it expires
	Status  string        // the job's last status
	Timeout time.Duration // the wait that passed (OutcomeTimedOut)
}

func (f *Failure) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Amplify job %s %s", f.JobID, f.Outcome)
	switch {
	case f.Outcome == OutcomeTimedOut:
		fmt.Fprintf(&b, ": still %s after %s; see the job in the Amplify console, or raise wait_timeout", f.Status, f.Timeout)
	case f.Step != "":
		fmt.Fprintf(&b, " in step %s", f.Step)
	}
	if f.Reason != "" {
		fmt.Fprintf(&b, ": %s", f.Reason)
	}
	if f.LogURL != "" {
		fmt.Fprintf(&b, " (log: %s)", f.LogURL)
	}
	return b.String()
}

// ErrNotFound is wrapped by the errors of a request naming an app or branch Amplify does not have.
var ErrNotFound = errors.New("Amplify app or branch not found")

// ErrAccessDenied is wrapped by the errors of a request the deploy role may not make.
var ErrAccessDenied = errors.New("access to Amplify denied")

// Deploy releases req.CommitSHA of the branch and waits for the job. When Amplify's own build on push
// already started a job for that commit, Deploy watches that job instead of starting another one. A
// job that does not succeed returns a *Failure.
func (d *Deployer) Deploy(ctx context.Context, req Request) (Result, error) {
	if err := req.check(); err != nil {
		return Result{}, err
	}
	res := Result{CommitSHA: req.CommitSHA, ConsoleURL: d.consoleURL(req)}
	found, err := d.findJob(ctx, req)
	if err != nil {
		return res, err
	}
	if found == nil {
		return d.release(ctx, req, res)
	}
	res.fill(found)
	d.log().InfoContext(ctx, "watching the Amplify job already started for the commit", "app", req.AppID, "branch", req.Branch,
		"job", res.JobID, "type", found.JobType, "status", res.Status, "commit", req.CommitSHA)
	if d.DryRun {
		_, err := fmt.Fprintf(d.out(), "would watch job %s (%s, %s) that Amplify already started for commit %s on branch %s of app %s, starting none\n",
			res.JobID, found.JobType, res.Status, req.CommitSHA, req.Branch, req.AppID)
		return res, err
	}
	return d.watch(ctx, req, res)
}

// Rollback releases the earlier commit req.CommitSHA of the branch, always as a new job (the
// commit's old jobs are history), and waits for it as Deploy does.
func (d *Deployer) Rollback(ctx context.Context, req Request) (Result, error) {
	if err := req.check(); err != nil {
		return Result{}, err
	}
	return d.release(ctx, req, Result{CommitSHA: req.CommitSHA, ConsoleURL: d.consoleURL(req)})
}

func (r Request) check() error {
	switch {
	case r.AppID == "":
		return errors.New("amplify: no app id: set amplify.app_id of the service in .gantry.yaml")
	case r.Branch == "":
		return errors.New("amplify: no branch: set amplify.branch of the service in .gantry.yaml")
	case r.CommitSHA == "":
		return errors.New("amplify: no commit to release")
	}
	return nil
}

// release starts a RELEASE job of the commit and watches it.
func (d *Deployer) release(ctx context.Context, req Request, res Result) (Result, error) {
	if d.DryRun {
		_, err := fmt.Fprintf(d.out(), "would start a RELEASE job of commit %s on branch %s of app %s and wait up to %s for it\n",
			req.CommitSHA, req.Branch, req.AppID, req.timeout())
		return res, err
	}
	in := &awsamplify.StartJobInput{AppId: aws.String(req.AppID), BranchName: aws.String(req.Branch),
		JobType: types.JobTypeRelease, CommitId: aws.String(req.CommitSHA)}
	if req.CommitMessage != "" {
		in.CommitMessage = aws.String(req.CommitMessage)
	}
	out, err := d.Client.StartJob(ctx, in)
	if err != nil {
		return res, d.explain(err, req, "starting a release of commit "+req.CommitSHA, "amplify:StartJob")
	}
	if out.JobSummary == nil || aws.ToString(out.JobSummary.JobId) == "" {
		return res, fmt.Errorf("Amplify started a job for branch %s of app %s but did not say which: see the Amplify console", req.Branch, req.AppID)
	}
	res.fill(out.JobSummary)
	res.Started = true
	d.log().InfoContext(ctx, "started Amplify job", "app", req.AppID, "branch", req.Branch, "job", res.JobID, "commit", req.CommitSHA)
	return d.watch(ctx, req, res)
}

// maxListPages bounds the search for an existing job: Amplify lists jobs newest first, and the job
// its build on push started for a merge commit is among the latest.
const (
	maxListPages = 2
	listPageSize = 50
)

// findJob returns the newest job of the branch for req.CommitSHA, or nil.
func (d *Deployer) findJob(ctx context.Context, req Request) (*types.JobSummary, error) {
	var token *string
	for range maxListPages {
		out, err := d.Client.ListJobs(ctx, &awsamplify.ListJobsInput{AppId: aws.String(req.AppID), BranchName: aws.String(req.Branch),
			MaxResults: listPageSize, NextToken: token})
		if err != nil {
			return nil, d.explain(err, req, "listing the jobs", "amplify:ListJobs")
		}
		for i := range out.JobSummaries {
			if strings.EqualFold(aws.ToString(out.JobSummaries[i].CommitId), req.CommitSHA) {
				return &out.JobSummaries[i], nil
			}
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	return nil, nil
}

// watch polls the job until it ends or the timeout passes; the first look is immediate, since a
// job found for the commit may have ended already.
func (d *Deployer) watch(ctx context.Context, req Request, res Result) (Result, error) {
	poll, timeout := d.Poll, req.timeout()
	if poll <= 0 {
		poll = DefaultPoll
	}
	deadline := d.now().Add(timeout)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("waiting for Amplify job %s of branch %s: %w", res.JobID, req.Branch, ctx.Err())
		case <-timer.C:
		}
		out, err := d.Client.GetJob(ctx, &awsamplify.GetJobInput{AppId: aws.String(req.AppID), BranchName: aws.String(req.Branch), JobId: aws.String(res.JobID)})
		if err != nil {
			return res, d.explain(err, req, "reading job "+res.JobID, "amplify:GetJob")
		}
		res.Polls++
		if out.Job == nil || out.Job.Summary == nil {
			return res, fmt.Errorf("Amplify answered GetJob for job %s of branch %s without the job", res.JobID, req.Branch)
		}
		res.fill(out.Job.Summary)
		switch out.Job.Summary.Status {
		case types.JobStatusSucceed:
			d.log().InfoContext(ctx, "Amplify job succeeded", "app", req.AppID, "branch", req.Branch, "job", res.JobID, "polls", res.Polls)
			return res, nil
		case types.JobStatusFailed:
			return res, failure(OutcomeFailed, res.JobID, res.Status, out.Job.Steps)
		case types.JobStatusCancelled:
			return res, failure(OutcomeCancelled, res.JobID, res.Status, out.Job.Steps)
		}
		if !d.now().Before(deadline) {
			return res, &Failure{Outcome: OutcomeTimedOut, JobID: res.JobID, Status: res.Status, Timeout: timeout}
		}
		timer.Reset(poll)
	}
}

// failure describes an ended job by the first step that did not succeed, else by its last step.
func failure(o Outcome, jobID, status string, steps []types.Step) *Failure {
	f := &Failure{Outcome: o, JobID: jobID, Status: status}
	var step *types.Step
	for i := range steps {
		if steps[i].Status != types.JobStatusSucceed {
			step = &steps[i]
			break
		}
	}
	if step == nil && len(steps) > 0 {
		step = &steps[len(steps)-1]
	}
	if step != nil {
		f.Step, f.Reason, f.LogURL = aws.ToString(step.StepName), aws.ToString(step.StatusReason), aws.ToString(step.LogUrl)
	}
	return f
}

func (r *Result) fill(s *types.JobSummary) {
	r.JobID, r.JobARN, r.Status = aws.ToString(s.JobId), aws.ToString(s.JobArn), string(s.Status)
	if s.StartTime != nil {
		r.StartTime = *s.StartTime
	}
	if s.EndTime != nil {
		r.EndTime = *s.EndTime
	}
}

// explain turns an Amplify API error into one that says what to check.
func (d *Deployer) explain(err error, req Request, doing, action string) error {
	where := fmt.Sprintf("branch %q of Amplify app %q", req.Branch, req.AppID)
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NotFoundException":
			return fmt.Errorf("%s of %s: %w: %s; check amplify.app_id and amplify.branch of the service in .gantry.yaml, "+
				"and that aws.region is the app's region", doing, where, ErrNotFound, apiErr.ErrorMessage())
		case "UnauthorizedException", "AccessDeniedException":
			return fmt.Errorf("%s of %s: %w: %s; the service's deploy role (aws.role_arn) needs %s on "+
				"arn:aws:amplify:REGION:ACCOUNT:apps/%s/branches/* (amplify:StartJob, amplify:GetJob and amplify:ListJobs)",
				doing, where, ErrAccessDenied, apiErr.ErrorMessage(), action, req.AppID)
		}
	}
	return fmt.Errorf("%s of %s: %w", doing, where, err)
}

func (r Request) timeout() time.Duration {
	if r.WaitTimeout <= 0 {
		return DefaultTimeout
	}
	return r.WaitTimeout
}

// ConsoleURL is the page of the branch's deployments in the Amplify console.
func ConsoleURL(region, appID, branch string) string {
	return fmt.Sprintf("https://%s.console.aws.amazon.com/amplify/apps/%s/branches/%s/deployments",
		region, url.PathEscape(appID), url.PathEscape(branch))
}

func (d *Deployer) consoleURL(req Request) string {
	region := d.Region
	if c, ok := d.Client.(*awsamplify.Client); ok && region == "" {
		region = c.Options().Region
	}
	if region == "" {
		return ""
	}
	return ConsoleURL(region, req.AppID, req.Branch)
}

func (d *Deployer) out() io.Writer {
	if d.Out == nil {
		return io.Discard
	}
	return d.Out
}

func (d *Deployer) log() *slog.Logger {
	if d.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Log
}

func (d *Deployer) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}
