// Package store defines what gantry keeps durably — webhook deliveries, jobs, locks, plans,
// deployments and installations — and the interface every database implementation satisfies.
// Implementations live in sub-packages (sqlite, later postgres) and must pass storetest.
package store

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Errors callers tell apart with errors.Is.
var (
	// ErrNotFound: the record asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrLeaseLost: the job is no longer running under the caller's claim (it expired,
	// was taken by another worker, or finished).
	ErrLeaseLost = errors.New("job lease lost")
	// ErrDuplicate: a job with Unique set was not queued because a job queued with Unique
	// and the same Key exists.
	ErrDuplicate = errors.New("a job with this key was queued before")
	// ErrAlreadyDispatched: DispatchJob was called before for the job.
	ErrAlreadyDispatched = errors.New("job was dispatched before")
	// ErrAlreadyClaimed: a runner claimed the dispatched job before.
	ErrAlreadyClaimed = errors.New("job was claimed before")
	// ErrJobEnded: the job is succeeded, failed or canceled, so its runner may no longer claim
	// it or report on it.
	ErrJobEnded = errors.New("job has ended")
	// ErrAlreadyReported: the runner of a dispatched job reported its result before.
	ErrAlreadyReported = errors.New("job result was reported before")
)

// Store is the durable state of a gantry server. All methods are safe for concurrent use,
// including from several processes sharing one database where the implementation allows it.
type Store interface {
	// Ping reports whether the database answers (readiness).
	Ping(ctx context.Context) error
	Close() error

	// RecordDelivery stores a webhook delivery and the jobs it implies in one transaction.
	// A delivery whose ID was recorded before writes nothing and returns recorded=false.
	RecordDelivery(ctx context.Context, d Delivery, jobs []NewJob) (recorded bool, err error)
	GetDelivery(ctx context.Context, id string) (Delivery, error)

	// EnqueueJob adds a queued job outside of a delivery (a job that creates follow-up work).
	// With j.Unique, at most one job is ever queued per Key among the jobs queued with Unique,
	// across processes: when one exists, nothing is queued and EnqueueJob returns that job
	// with an error wrapping ErrDuplicate, so every caller learns whether it created the job.
	// Unique needs a non-empty Key. (RecordDelivery refuses a Unique job whose Key exists,
	// with that error, and records nothing of the delivery.)
	EnqueueJob(ctx context.Context, j NewJob) (Job, error)
	GetJob(ctx context.Context, id int64) (Job, error)
	// ListJobs returns jobs matching the filter, oldest first.
	ListJobs(ctx context.Context, f JobFilter) ([]Job, error)
	// CountJobs returns how many jobs are in each state.
	CountJobs(ctx context.Context) (map[JobState]int, error)
	// ClaimJob atomically takes the oldest queued job whose Mutex no running job holds: it becomes running,
	// its attempts grow by one and its lease ends at now+lease. ok=false when nothing is queued.
	// Each queued job is claimed by exactly one caller, across processes.
	ClaimJob(ctx context.Context, owner string, lease time.Duration) (j Job, ok bool, err error)
	// RenewLease extends the lease of a running job held by owner and reports whether
	// cancellation was requested. ErrLeaseLost when owner no longer holds it.
	RenewLease(ctx context.Context, id int64, owner string, lease time.Duration) (cancelRequested bool, err error)
	// FinishJob records the outcome of a running job held by owner. state is Succeeded,
	// Failed or Canceled. ErrLeaseLost when owner no longer holds it.
	FinishJob(ctx context.Context, id int64, owner string, out Outcome) error
	// CancelJobs cancels the queued and running jobs with the given key except exceptID
	// (0 for none): queued ones become Canceled, running ones get CancelRequested.
	// It returns the IDs it touched.
	CancelJobs(ctx context.Context, key string, exceptID int64) ([]int64, error)
	// ExpireLeases handles running jobs whose lease ended before now: a job with attempts left
	// goes back to queued, the others become Failed with an error saying the worker stopped.
	// It returns the affected jobs as they are afterwards.
	ExpireLeases(ctx context.Context, now time.Time) ([]Job, error)

	// AcquireLock takes the lock on (repo, project, workspace) for l.PR. If the same PR holds it,
	// the lock is refreshed and acquired is true; if another PR holds it, acquired is false and
	// held describes the holder.
	AcquireLock(ctx context.Context, l Lock) (held Lock, acquired bool, err error)
	GetLock(ctx context.Context, repo, project, workspace string) (Lock, error)
	// ReleaseLock releases the lock if pr holds it (no error when it does not).
	ReleaseLock(ctx context.Context, repo, project, workspace string, pr int) error
	// ReleasePRLocks releases every lock pr holds in repo and returns them.
	ReleasePRLocks(ctx context.Context, repo string, pr int) ([]Lock, error)
	// ListLocks returns the locks of repo ("" for all repositories), ordered by repo, project, workspace.
	ListLocks(ctx context.Context, repo string) ([]Lock, error)

	// SavePlan stores a plan and returns it with its ID and CreatedAt set.
	SavePlan(ctx context.Context, p Plan) (Plan, error)
	// LatestPlan returns the newest plan of a project on a pull request.
	LatestPlan(ctx context.Context, repo string, pr int, project string) (Plan, error)
	// PlanByID returns one plan, ErrNotFound when there is none with that ID (or it was deleted).
	PlanByID(ctx context.Context, id int64) (Plan, error)
	// DeletePlans removes every plan of a pull request.
	DeletePlans(ctx context.Context, repo string, pr int) error
	// DeletePlanFiles empties File and JSON of every plan of a pull request, keeping the rest
	// (Changes and cost are what a later confirmation or retry of an apply compares with).
	DeletePlanFiles(ctx context.Context, repo string, pr int) error

	// CreateDeployment stores a deployment and returns it with its ID and CreatedAt set.
	CreateDeployment(ctx context.Context, d Deployment) (Deployment, error)
	// UpdateDeployment overwrites the mutable fields of a stored deployment (state, digest,
	// task definitions, GitHub deployment id, error, times).
	UpdateDeployment(ctx context.Context, d Deployment) error
	GetDeployment(ctx context.Context, id int64) (Deployment, error)
	// ListDeployments returns the deployments of a service in repo, newest first (limit<=0: all);
	// an empty repo or service matches every one.
	ListDeployments(ctx context.Context, repo, service string, limit int) ([]Deployment, error)

	// DispatchJob records that job jobID is being dispatched to a GitHub Actions runner in
	// environment, and returns the reference the runner claims it by: random, unique, and
	// unrelated to the job's ID. A job is dispatched once: ErrAlreadyDispatched the second
	// time, ErrNotFound for an unknown job.
	DispatchJob(ctx context.Context, jobID int64, environment string) (ref string, err error)
	// SetRunID records the workflow run the dispatch started. ErrNotFound for an unknown ref.
	SetRunID(ctx context.Context, ref string, runID int64) error
	// RunnerJobByRef returns the runner side of a dispatched job and the job. ErrNotFound for
	// an unknown ref.
	RunnerJobByRef(ctx context.Context, ref string) (RunnerJob, Job, error)
	// ClaimRunnerJob records the runner's claim of a dispatched job with the hash of the job
	// token it was given. Exactly one claim of a ref ever succeeds, across processes: the
	// others get ErrAlreadyClaimed. ErrJobEnded when the job ended before it was claimed;
	// ErrNotFound for an unknown ref.
	ClaimRunnerJob(ctx context.Context, ref, tokenHash string) error
	// RunnerHeartbeat records that the runner holding the claim is alive. ErrLeaseLost when
	// tokenHash is not the claim's, the job is not claimed, or the job has ended.
	RunnerHeartbeat(ctx context.Context, ref, tokenHash string) error
	// RunnerJob returns the runner side of job jobID. ErrNotFound when the job was never
	// dispatched.
	RunnerJob(ctx context.Context, jobID int64) (RunnerJob, error)
	// ReportRunnerJob records the outcome the runner holding the claim posted: result (the
	// outcome JSON, stored byte for byte) and errText (the job's failure text, "" when it
	// succeeded). A job is reported once, across processes: ErrAlreadyReported the second
	// time. ErrLeaseLost, as for RunnerHeartbeat, when tokenHash is not the claim's, the job
	// is not claimed, or the job has ended; ErrNotFound for an unknown ref.
	ReportRunnerJob(ctx context.Context, ref, tokenHash string, result []byte, errText string) error
	// AppendRunnerLog appends chunk to the log of ref under the same conditions as
	// RunnerHeartbeat (ErrLeaseLost otherwise), and counts as a heartbeat. The log keeps its
	// first max bytes: what does not fit is dropped and the log is marked truncated (the
	// beginning of a log says what failed to start).
	AppendRunnerLog(ctx context.Context, ref, tokenHash string, chunk []byte, max int) error
	// RunnerLog returns the log the runner of job jobID sent, and whether its end was dropped.
	// ErrNotFound when the job was never dispatched.
	RunnerLog(ctx context.Context, jobID int64) (log []byte, truncated bool, err error)
	// EndRunnerRun records that workflow run runID completed with conclusion (GitHub's word:
	// success, failure, cancelled, …) and its page url, unless the end of that run was
	// recorded before (then it changes nothing), and returns the job the run was dispatched
	// for. ErrNotFound when no dispatched job has that run, and for runID 0.
	EndRunnerRun(ctx context.Context, runID int64, conclusion, url string) (jobID int64, err error)

	// SaveInstallation inserts or updates a GitHub App installation.
	SaveInstallation(ctx context.Context, in Installation) error
	DeleteInstallation(ctx context.Context, id int64) error
	ListInstallations(ctx context.Context) ([]Installation, error)

	// AddSigningKey stores k, the key of generation k.Generation, unless a key of that
	// generation is stored: then it stores nothing and returns the stored key with an error
	// wrapping ErrDuplicate, so of several processes rotating at once exactly one adds the
	// generation and the others learn which key won. CreatedAt is set by the store.
	AddSigningKey(ctx context.Context, k SigningKey) (SigningKey, error)
	// SigningKeys returns every stored signing key, oldest generation first.
	SigningKeys(ctx context.Context) ([]SigningKey, error)
	// DeleteSigningKeys removes the keys of generations below generation.
	DeleteSigningKeys(ctx context.Context, below int64) error

	// RecordGitHubObject stores that job o.JobID opened o on GitHub, so that whoever finds the
	// job cut off can close it. Recording the same (JobID, Kind, ID) again updates it: a non-empty
	// Name replaces the stored one, and Closed, once true, stays true.
	RecordGitHubObject(ctx context.Context, o GitHubObject) error
	// GitHubObjects returns what job jobID opened on GitHub, in the order it was first recorded.
	GitHubObjects(ctx context.Context, jobID int64) ([]GitHubObject, error)
	// LeftOpen returns the jobs whose reporting was itself cut off (at most limit, oldest first):
	// failed or canceled jobs that still have a GitHub object not closed, and jobs of a pull
	// request failed because their worker or server stopped (their error holds one of
	// CutOffPhrases) that have no comment named CutOffReport.
	LeftOpen(ctx context.Context, limit int) ([]Job, error)
}

// Kinds of GitHubObject.
const (
	GitHubCheckRun   = "check_run"
	GitHubDeployment = "deployment"
	GitHubComment    = "comment"
)

// GitHubObject is something a job opened on GitHub: a check run, a deployment or a comment.
type GitHubObject struct {
	JobID int64
	Kind  string // GitHubCheckRun, GitHubDeployment or GitHubComment
	ID    int64  // GitHub's id of it
	// Name is the check run's name, the deployment's environment or the comment's marker.
	Name string
	// Closed: the job ended it itself (a completed check run, a final deployment status).
	Closed    bool
	CreatedAt time.Time
}

// Notifier is implemented by stores that several processes share (PostgreSQL): Listen calls
// wake whenever any process queued a job, or made a queued job claimable (a job of its mutex
// ended, an expired lease requeued it), so that an idle worker on any replica starts at once
// instead of at its next poll. It returns when ctx ends, or with an error when it cannot listen
// (the caller then falls back to polling and may call it again).
type Notifier interface {
	Listen(ctx context.Context, wake func()) error
}

// SigningKey is a key gantry signs its workload identity tokens with (SPEC §10). The store
// keeps Sealed as given: the private key encrypted by its caller, never in clear.
type SigningKey struct {
	// Generation numbers the keys 1, 2, …: each rotation adds the next one.
	Generation int64
	// ID is the key's "kid" in tokens and the JWKS.
	ID string
	// Sealed is the encrypted private key.
	Sealed []byte
	// ActiveFrom is when the key starts signing; until then it is only published, so that
	// verifiers holding a cached key set learn it before its first token.
	ActiveFrom time.Time
	CreatedAt  time.Time
}

// Delivery is one webhook delivery as GitHub sent it.
type Delivery struct {
	ID             string // X-GitHub-Delivery
	Event          string // X-GitHub-Event
	Action         string
	InstallationID int64
	Repo           string // owner/name, "" for events without one
	Payload        []byte
	ReceivedAt     time.Time
}

// JobState is where a job is in its life.
type JobState string

const (
	Queued    JobState = "queued"
	Running   JobState = "running"
	Succeeded JobState = "succeeded"
	Failed    JobState = "failed"
	Canceled  JobState = "canceled"
)

// Done reports whether the state is final.
func (s JobState) Done() bool { return s == Succeeded || s == Failed || s == Canceled }

// NewJob is a job to be queued. Spec is the kind-specific, JSON-encoded description of the
// work; everything a runner needs is in it, so a job can run in any process.
type NewJob struct {
	Kind           string
	DeliveryID     string // "" for jobs not created by a delivery
	InstallationID int64
	Repo           string
	PR             int
	SHA            string
	// Key groups jobs that supersede each other (CancelJobs); "" for none.
	Key string
	// Unique makes Key unique among the jobs queued with Unique (see EnqueueJob): work that
	// two deliveries imply, such as the apply of a merge (its closed pull request and its
	// push), is queued once. Jobs without Unique may share the Key with it.
	Unique bool
	// Mutex: jobs with the same non-empty Mutex never run at the same time, across processes;
	// they run in the order they were queued.
	Mutex string
	Spec  []byte
	// MaxAttempts is how often the job may be claimed when its worker dies; 0 means 1.
	MaxAttempts int
}

// Job is a queued, running or finished job.
type Job struct {
	ID int64
	NewJob
	State           JobState
	Attempts        int
	Owner           string
	LeaseUntil      time.Time
	CancelRequested bool
	Error           string
	Result          []byte
	CreatedAt       time.Time
	StartedAt       time.Time
	FinishedAt      time.Time
}

// Outcome is how a job ended.
type Outcome struct {
	State  JobState
	Error  string
	Result []byte
}

// JobFilter selects jobs; zero fields match everything.
type JobFilter struct {
	States     []JobState
	Kind       string
	Repo       string
	PR         int
	Key        string
	SHA        string // the commit the jobs are about, e.g. every apply of a merge commit
	DeliveryID string
	Limit      int
}

// Lock is a project+workspace lock held by a pull request.
type Lock struct {
	Repo       string
	Project    string
	Workspace  string
	PR         int
	User       string
	SHA        string
	AcquiredAt time.Time
}

// Plan is a saved Terraform plan of a project at a commit of a pull request.
type Plan struct {
	ID        int64
	Repo      string
	PR        int
	Project   string
	Workspace string
	SHA       string
	// Changes is the JSON list of resource addresses and actions, compared at merge time.
	Changes []byte
	// File is the binary plan file (terraform plan -out), JSON its `terraform show -json`.
	File []byte
	JSON []byte
	// MonthlyCostDelta is the plan's monthly cost change in USD; nil when it was not priced.
	MonthlyCostDelta *float64
	// CostExceeded: the change is above the project's max_monthly_increase, so applying it
	// waits for `/apply --confirm-cost`.
	CostExceeded bool
	// Applicable is false for a plan asked for by a user without write permission: it is shown,
	// but never applied. Plans saved before gantry knew this read false.
	Applicable bool
	// RequestedBy is the login of who asked for the plan (who commented, or who pushed).
	RequestedBy string
	CreatedAt   time.Time
}

// DeploymentState is the state of a deployment (GitHub's deployment status names).
type DeploymentState string

const (
	DeploymentPending    DeploymentState = "pending"
	DeploymentInProgress DeploymentState = "in_progress"
	DeploymentSuccess    DeploymentState = "success"
	DeploymentFailure    DeploymentState = "failure"
)

// Deployment is one rollout (or rollback) of a service.
type Deployment struct {
	ID                 int64
	Repo               string
	Service            string
	SHA                string
	PR                 int
	Actor              string
	Image              string // repository URI@digest
	ImageDigest        string
	TaskDefBefore      string // ARN
	TaskDefAfter       string // ARN
	State              DeploymentState
	RollbackOf         int64 // ID of the deployment this one rolled back, 0 for none
	GitHubDeploymentID int64
	Error              string
	CreatedAt          time.Time
	StartedAt          time.Time
	FinishedAt         time.Time
}

// RunnerJob is the runner side of a job run by the GitHub Actions executor.
type RunnerJob struct {
	JobID int64
	// Ref is the opaque, single-use reference the workflow was dispatched with (its job_id
	// input) and the runner claims the job by.
	Ref         string
	Environment string // the GitHub environment the workflow runs in
	RunID       int64  // the workflow run, 0 until known
	// DispatchedAt is set by the store; ClaimedAt and HeartbeatAt are zero until the claim.
	DispatchedAt time.Time
	ClaimedAt    time.Time
	HeartbeatAt  time.Time
	// TokenHash is the hash of the claiming runner's job token, "" before the claim.
	TokenHash string
	// ReportedAt is set by the store when the runner reports; zero until then. Result is the
	// outcome JSON the runner posted (nil before), ResultError the job's failure text ("" when
	// it succeeded).
	ReportedAt  time.Time
	Result      []byte
	ResultError string
	// RunConclusion, RunURL and RunEndedAt describe how the workflow run ended; empty and
	// zero until it has. RunEndedAt is set by the store.
	RunConclusion string
	RunURL        string
	RunEndedAt    time.Time
	// LogTruncated: the runner sent more log than the store keeps (see AppendRunnerLog). The
	// log itself is read with RunnerLog.
	LogTruncated bool
}

// Installation is a GitHub App installation.
type Installation struct {
	ID        int64
	Account   string
	Suspended bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SameRelease reports whether deployments d and o left the service running the same thing: the
// same task definition revision for ECS, the same commit for a frontend on Amplify, whose ledger
// keeps each release job's ARN in TaskDefAfter. Rollbacks use it to skip what runs already.
func (d Deployment) SameRelease(o Deployment) bool {
	if strings.Contains(d.TaskDefAfter, ":amplify:") || strings.Contains(o.TaskDefAfter, ":amplify:") {
		return d.SHA != "" && d.SHA == o.SHA
	}
	return d.TaskDefAfter != "" && d.TaskDefAfter == o.TaskDefAfter
}
