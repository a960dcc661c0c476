package awsfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Amplify region and account of every ARN the Amplify fake makes.
const (
	AmplifyRegion  = "us-east-1"
	AmplifyAccount = "123456789012"
)

// Job statuses and types as Amplify names them.
const (
	JobPending      = "PENDING"
	JobProvisioning = "PROVISIONING"
	JobRunning      = "RUNNING"
	JobFailed       = "FAILED"
	JobSucceed      = "SUCCEED"
	JobCancelling   = "CANCELLING"
	JobCancelled    = "CANCELLED"

	JobTypeRelease = "RELEASE"
	JobTypeRetry   = "RETRY"
	JobTypeManual  = "MANUAL"
	JobTypeWebHook = "WEB_HOOK"
)

// JobScript scripts how a job progresses, counted in GetJob calls for that job ("polls"): it is
// RUNNING until the poll that ends it. Set at most one of SucceedAfter, FailAfter, CancelAfter and
// Never; the zero JobScript succeeds on the first poll.
type JobScript struct {
	SucceedAfter int  // SUCCEED from this poll on
	FailAfter    int  // FAILED from this poll on, FailedStep failing with StatusReason
	CancelAfter  int  // CANCELLED from this poll on
	Never        bool // stays RUNNING

	FailedStep   string // default "BUILD"
	StatusReason string // default "Build failed"
}

// StartedJob is one StartJob request the fake accepted, with the job id it answered.
type StartedJob struct {
	AppID, Branch string
	JobType       string
	CommitID      string
	CommitMessage string
	CommitTime    time.Time // zero when the request gave none
	RetryOf       string    // the request's jobId (RETRY)
	JobID         string    // the id of the job it started
}

// Amplify is a fake AWS Amplify API speaking REST-JSON, holding apps, branches and their jobs in
// memory. It serves StartJob, GetJob and ListJobs; started jobs progress as Script said. It is safe
// for concurrent use.
type Amplify struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	apps     map[string]bool
	branches map[string]*amplifyBranch // appID + "\x00" + branch
	started  []StartedJob
	requests []Request
	failures []*awsError
}

type amplifyBranch struct {
	appID, name string
	jobs        []*amplifyJob // oldest first
	script      JobScript     // for the jobs StartJob starts
}

type amplifyJob struct {
	id, jobType             string
	commitID, commitMessage string
	commitTime, startTime   time.Time
	endTime                 time.Time
	status                  string
	script                  JobScript
	polls                   int
}

// NewAmplify starts a fake Amplify; it is shut down when the test ends. Point an amplify client at
// URL() (AWS_ENDPOINT_URL_AMPLIFY) with region AmplifyRegion, AccessKeyID and SecretAccessKey.
func NewAmplify(t testing.TB) *Amplify {
	t.Helper()
	a := &Amplify{t: t, apps: map[string]bool{}, branches: map[string]*amplifyBranch{}}
	a.srv = httptest.NewServer(a)
	t.Cleanup(a.srv.Close)
	return a
}

// URL is the endpoint, e.g. http://127.0.0.1:PORT.
func (a *Amplify) URL() string { return a.srv.URL }

// AddBranch creates branch in app appID (and the app, the first time).
func (a *Amplify) AddBranch(appID, branch string) {
	a.t.Helper()
	if appID == "" || branch == "" {
		a.t.Fatalf("awsfake: AddBranch needs an app id and a branch name")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.apps[appID] = true
	a.branches[appID+"\x00"+branch] = &amplifyBranch{appID: appID, name: branch}
}

// AutoBuild adds a WEB_HOOK job for commitID to the branch, RUNNING and progressing as script says,
// as Amplify's own build on push starts one, and returns its id.
func (a *Amplify) AutoBuild(appID, branch, commitID string, script JobScript) string {
	a.t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.branches[appID+"\x00"+branch]
	if b == nil {
		a.t.Fatalf("awsfake: AutoBuild: no branch %s in app %s: AddBranch it first", branch, appID)
		return ""
	}
	j := b.add(JobTypeWebHook, commitID, "Merge pull request", time.Now().Add(-time.Minute), script)
	j.status = JobRunning
	return j.id
}

// Script sets how the jobs StartJob starts on the branch from now on progress.
func (a *Amplify) Script(appID, branch string, script JobScript) {
	a.t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.branches[appID+"\x00"+branch]
	if b == nil {
		a.t.Fatalf("awsfake: Script: no branch %s in app %s: AddBranch it first", branch, appID)
		return
	}
	b.script = script
}

// FailNext makes the next well-formed, signed request fail with status and Amplify's error code (for
// example 429, "LimitExceededException") and message.
func (a *Amplify) FailNext(status int, code, message string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failures = append(a.failures, &awsError{Status: status, Type: code, Message: message})
}

// Started lists the StartJob requests the fake accepted, oldest first.
func (a *Amplify) Started() []StartedJob {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]StartedJob(nil), a.started...)
}

// Requests lists the requests received so far, oldest first.
func (a *Amplify) Requests() []Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Request(nil), a.requests...)
}

func (b *amplifyBranch) add(jobType, commitID, message string, commitTime time.Time, script JobScript) *amplifyJob {
	j := &amplifyJob{id: strconv.Itoa(len(b.jobs) + 1), jobType: jobType, commitID: commitID, commitMessage: message,
		commitTime: commitTime.UTC(), startTime: time.Now().UTC(), status: JobPending, script: script}
	b.jobs = append(b.jobs, j)
	return j
}

func (b *amplifyBranch) job(id string) *amplifyJob {
	for _, j := range b.jobs {
		if j.id == id {
			return j
		}
	}
	return nil
}

// amplifyRoute is an operation and the labels of its path.
type amplifyRoute struct {
	op                   string
	appID, branch, jobID string
}

// amplifyRouteOf matches /apps/{appId}/branches/{branchName}/jobs[/{jobId}]; labels arrive percent-encoded,
// so a branch named feature/x is one segment.
func amplifyRouteOf(method string, u *url.URL) (amplifyRoute, bool) {
	parts := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if len(parts) < 5 || parts[0] != "apps" || parts[2] != "branches" || parts[4] != "jobs" || len(parts) > 6 {
		return amplifyRoute{}, false
	}
	for i, p := range parts {
		s, err := url.PathUnescape(p)
		if err != nil || s == "" {
			return amplifyRoute{}, false
		}
		parts[i] = s
	}
	r := amplifyRoute{appID: parts[1], branch: parts[3]}
	switch {
	case len(parts) == 5 && method == http.MethodPost:
		r.op = "StartJob"
	case len(parts) == 5 && method == http.MethodGet:
		r.op = "ListJobs"
	case len(parts) == 6 && method == http.MethodGet:
		r.op, r.jobID = "GetJob", parts[5]
	default:
		return amplifyRoute{}, false
	}
	return r, true
}

func (a *Amplify) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	a.mu.Lock()
	defer a.mu.Unlock()
	defer logRequest(&a.requests, r, "", body, rec)
	if aerr := verifySigV4(r, body, "amplify", AmplifyRegion); aerr != nil {
		writeRESTError(rec, aerr)
		return
	}
	rt, ok := amplifyRouteOf(r.Method, r.URL)
	if !ok {
		a.t.Errorf("awsfake: Amplify cannot answer %s %s: %s", r.Method, r.URL.Path, body)
		writeRESTError(rec, &awsError{http.StatusNotFound, "UnknownOperationException", "the fake cannot answer " + r.Method + " " + r.URL.Path})
		return
	}
	if len(a.failures) > 0 {
		f := a.failures[0]
		a.failures = a.failures[1:]
		writeRESTError(rec, f)
		return
	}
	b, aerr := a.branch(rt.appID, rt.branch)
	if aerr == nil {
		var out any
		switch rt.op {
		case "StartJob":
			out, aerr = a.startJob(b, r, body)
		case "ListJobs":
			out, aerr = a.listJobs(b, r.URL.Query())
		case "GetJob":
			out, aerr = a.getJob(b, rt.jobID)
		}
		if aerr == nil {
			writeRESTJSON(rec, http.StatusOK, out)
			return
		}
	}
	writeRESTError(rec, aerr)
}

func (a *Amplify) branch(appID, name string) (*amplifyBranch, *awsError) {
	if !a.apps[appID] {
		return nil, amplifyNotFound("App %s not found.", appID)
	}
	b := a.branches[appID+"\x00"+name]
	if b == nil {
		return nil, amplifyNotFound("Branch %s not found for app %s.", name, appID)
	}
	return b, nil
}

// startJobInput is StartJob's body; unknown fields are refused, so a misspelt one fails the test.
type startJobInput struct {
	JobType       string   `json:"jobType"`
	JobID         *string  `json:"jobId"`
	JobReason     *string  `json:"jobReason"`
	CommitID      *string  `json:"commitId"`
	CommitMessage *string  `json:"commitMessage"`
	CommitTime    *float64 `json:"commitTime"` // epoch seconds
}

func (a *Amplify) startJob(b *amplifyBranch, r *http.Request, body []byte) (any, *awsError) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return nil, amplifyBadRequest("Content-Type must be application/json, not %q", r.Header.Get("Content-Type"))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in startJobInput
	if err := dec.Decode(&in); err != nil {
		a.t.Errorf("awsfake: Amplify StartJob body %s: %v", body, err)
		return nil, amplifyBadRequest("The request body is not valid: %v", err)
	}
	s := StartedJob{AppID: b.appID, Branch: b.name, JobType: in.JobType, CommitID: aws.ToString(in.CommitID),
		CommitMessage: aws.ToString(in.CommitMessage), RetryOf: aws.ToString(in.JobID)}
	if in.CommitTime != nil {
		s.CommitTime = time.UnixMilli(int64(*in.CommitTime * 1000)).UTC()
	}
	switch in.JobType {
	case JobTypeRelease, JobTypeManual, JobTypeWebHook:
	case JobTypeRetry:
		if b.job(s.RetryOf) == nil {
			return nil, amplifyBadRequest("A RETRY job needs the jobId of a job of branch %s to retry.", b.name)
		}
	default:
		return nil, amplifyBadRequest("1 validation error detected: Value '%s' at 'jobType' failed to satisfy constraint: "+
			"Member must satisfy enum value set: [RELEASE, RETRY, MANUAL, WEB_HOOK]", in.JobType)
	}
	if len(s.CommitID) > 255 {
		return nil, amplifyBadRequest("commitId must be at most 255 characters long.")
	}
	commitID, message, at := s.CommitID, s.CommitMessage, s.CommitTime
	if in.JobType == JobTypeRetry {
		old := b.job(s.RetryOf)
		commitID, message, at = old.commitID, old.commitMessage, old.commitTime
	}
	if commitID == "" {
		commitID = "HEAD" // what Amplify records for a release of the branch's head
	}
	if at.IsZero() {
		at = time.Now()
	}
	j := b.add(in.JobType, commitID, message, at, b.script)
	s.JobID = j.id
	a.started = append(a.started, s)
	return map[string]any{"jobSummary": a.summary(b, j)}, nil
}

// maxListJobs is the largest maxResults ListJobs accepts, and its page size when none is given.
const maxListJobs = 50

func (a *Amplify) listJobs(b *amplifyBranch, q url.Values) (any, *awsError) {
	size := maxListJobs
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxListJobs {
			return nil, amplifyBadRequest("1 validation error detected: Value '%s' at 'maxResults' failed to satisfy constraint: "+
				"Member must have value less than or equal to %d", v, maxListJobs)
		}
		if n > 0 {
			size = n
		}
	}
	from := 0
	if tok := q.Get("nextToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "jobs-from-"))
		if err != nil || !strings.HasPrefix(tok, "jobs-from-") || n < 0 || n > len(b.jobs) {
			return nil, amplifyBadRequest("Invalid nextToken.")
		}
		from = n
	}
	summaries := []any{}
	// Newest first, as Amplify lists them.
	for i := len(b.jobs) - 1 - from; i >= 0 && len(summaries) < size; i-- {
		summaries = append(summaries, a.summary(b, b.jobs[i]))
	}
	out := map[string]any{"jobSummaries": summaries}
	if next := from + len(summaries); next < len(b.jobs) {
		out["nextToken"] = "jobs-from-" + strconv.Itoa(next)
	}
	return out, nil
}

func (a *Amplify) getJob(b *amplifyBranch, id string) (any, *awsError) {
	j := b.job(id)
	if j == nil {
		return nil, amplifyNotFound("Job %s not found for branch %s of app %s.", id, b.name, b.appID)
	}
	j.poll()
	return map[string]any{"job": map[string]any{"summary": a.summary(b, j), "steps": a.steps(b, j)}}, nil
}

// poll advances a job by one GetJob call along its script.
func (j *amplifyJob) poll() {
	if j.ended() {
		return
	}
	j.polls++
	sc := j.script
	end := ""
	switch {
	case sc.Never:
	case sc.FailAfter > 0:
		if j.polls >= sc.FailAfter {
			end = JobFailed
		}
	case sc.CancelAfter > 0:
		if j.polls >= sc.CancelAfter {
			end = JobCancelled
		}
	case j.polls >= max(sc.SucceedAfter, 1):
		end = JobSucceed
	}
	if end == "" {
		j.status = JobRunning
		return
	}
	j.status, j.endTime = end, time.Now().UTC()
}

func (j *amplifyJob) ended() bool {
	return j.status == JobSucceed || j.status == JobFailed || j.status == JobCancelled
}

func (a *Amplify) summary(b *amplifyBranch, j *amplifyJob) map[string]any {
	s := map[string]any{
		"jobArn":        fmt.Sprintf("arn:aws:amplify:%s:%s:apps/%s/branches/%s/jobs/%s", AmplifyRegion, AmplifyAccount, b.appID, b.name, j.id),
		"jobId":         j.id,
		"commitId":      j.commitID,
		"commitMessage": j.commitMessage,
		"commitTime":    amplifyTime(j.commitTime),
		"startTime":     amplifyTime(j.startTime),
		"status":        j.status,
		"jobType":       j.jobType,
	}
	if !j.endTime.IsZero() {
		s["endTime"] = amplifyTime(j.endTime)
	}
	return s
}

// steps are the job's build steps so far: BUILD, DEPLOY and VERIFY, the failing step last.
func (a *Amplify) steps(b *amplifyBranch, j *amplifyJob) []any {
	names := []string{"BUILD", "DEPLOY", "VERIFY"}
	failed := j.script.FailedStep
	if failed == "" {
		failed = "BUILD"
	}
	var out []any
	for _, name := range names {
		st := map[string]any{
			"stepName":  name,
			"startTime": amplifyTime(j.startTime),
			"logUrl": fmt.Sprintf("https://aws-amplify-prod-%s-artifacts.s3.%s.amazonaws.com/%s/%s/%s/%s/log.txt?X-Amz-Expires=900",
				AmplifyRegion, AmplifyRegion, b.appID, url.PathEscape(b.name), j.id, name),
		}
		out = append(out, st)
		switch {
		case j.status == JobFailed && name == failed:
			reason := j.script.StatusReason
			if reason == "" {
				reason = "Build failed"
			}
			st["status"], st["statusReason"], st["endTime"] = JobFailed, reason, amplifyTime(j.endTime)
			return out
		case j.status == JobSucceed:
			st["status"], st["endTime"] = JobSucceed, amplifyTime(j.endTime)
		case j.status == JobCancelled:
			st["status"], st["endTime"] = JobCancelled, amplifyTime(j.endTime)
			return out
		case j.status == JobFailed:
			st["status"], st["endTime"] = JobSucceed, amplifyTime(j.endTime)
		default:
			st["status"] = j.status
			return out
		}
	}
	return out
}

func amplifyTime(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func amplifyNotFound(format string, args ...any) *awsError {
	return &awsError{http.StatusNotFound, "NotFoundException", fmt.Sprintf(format, args...)}
}

func amplifyBadRequest(format string, args ...any) *awsError {
	return &awsError{http.StatusBadRequest, "BadRequestException", fmt.Sprintf(format, args...)}
}

// writeRESTJSON answers in AWS REST-JSON: a plain JSON document.
func writeRESTJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("awsfake: encoding a response: %v", err)) // only values built here are encoded
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", requestID(body))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeRESTError answers in AWS REST-JSON's error shape: the code in X-Amzn-ErrorType (with the
// namespace suffix AWS appends), the message in the body.
func writeRESTError(w http.ResponseWriter, e *awsError) {
	w.Header().Set("X-Amzn-ErrorType", e.Type+":http://internal.amazon.com/coral/com.amazonaws.amplify/")
	writeRESTJSON(w, e.Status, map[string]string{"message": e.Message})
}
