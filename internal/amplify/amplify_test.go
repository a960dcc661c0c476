package amplify_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/amplify"
	"github.com/classla/gantry/internal/testing/awsfake"
)

const (
	app     = "d1abc2def3"
	branch  = "main"
	merge   = "1111111111111111111111111111111111111111"
	earlier = "2222222222222222222222222222222222222222"
	console = "https://us-east-1.console.aws.amazon.com/amplify/apps/d1abc2def3/branches/main/deployments"
)

// deployer is a Deployer whose client NewClient built from a job's environment, pointed at fake.
func deployer(t *testing.T, fake *awsfake.Amplify) *amplify.Deployer {
	t.Helper()
	client, err := amplify.NewClient(context.Background(), amplify.ClientConfig{
		Env: map[string]string{
			"AWS_ACCESS_KEY_ID": awsfake.AccessKeyID, "AWS_SECRET_ACCESS_KEY": awsfake.SecretAccessKey,
			"AWS_REGION": awsfake.AmplifyRegion, "AWS_ENDPOINT_URL_AMPLIFY": fake.URL(),
		},
		Getenv: func(string) string { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	return &amplify.Deployer{Client: client, Poll: time.Millisecond}
}

func newFake(t *testing.T) *awsfake.Amplify {
	fake := awsfake.NewAmplify(t)
	fake.AddBranch(app, branch)
	return fake
}

func TestDeployStartsAReleaseAndWaitsForItToSucceed(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.Script(app, branch, awsfake.JobScript{SucceedAfter: 3})
	res, err := deployer(t, fake).Deploy(context.Background(), amplify.Request{AppID: app, Branch: branch, CommitSHA: merge,
		CommitMessage: "Merge pull request #7", WaitTimeout: time.Minute})
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	want := []awsfake.StartedJob{{AppID: app, Branch: branch, JobType: "RELEASE", CommitID: merge, CommitMessage: "Merge pull request #7", JobID: "1"}}
	if diff := cmp.Diff(want, fake.Started()); diff != "" {
		t.Errorf("StartJob calls (-want +got):\n%s", diff)
	}
	if res.JobID != "1" || res.JobARN != "arn:aws:amplify:us-east-1:123456789012:apps/d1abc2def3/branches/main/jobs/1" ||
		res.Status != "SUCCEED" || !res.Started || res.CommitSHA != merge || res.Polls != 3 || res.ConsoleURL != console ||
		res.StartTime.IsZero() || res.EndTime.IsZero() {
		t.Errorf("result %+v; want job 1 with its ARN, SUCCEED, started by gantry, the commit, 3 polls, times and %s", res, console)
	}
}

func TestDeployReportsTheStepThatFailed(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.Script(app, branch, awsfake.JobScript{FailAfter: 2, FailedStep: "BUILD", StatusReason: "npm ERR! code ELIFECYCLE"})
	res, err := deployer(t, fake).Deploy(context.Background(), amplify.Request{AppID: app, Branch: branch, CommitSHA: merge})
	var f *amplify.Failure
	if !errors.As(err, &f) {
		t.Fatalf("Deploy: %v; want a *Failure", err)
	}
	if f.Outcome != amplify.OutcomeFailed || f.Step != "BUILD" || f.Reason != "npm ERR! code ELIFECYCLE" ||
		!strings.Contains(f.LogURL, "/d1abc2def3/main/1/BUILD/log.txt") || res.Status != "FAILED" || res.JobID != "1" {
		t.Errorf("failure %+v, result %+v; want job 1 FAILED in BUILD with the reason and the log URL", f, res)
	}
	for _, s := range []string{"Amplify job 1 failed in step BUILD", "npm ERR! code ELIFECYCLE", "log: https://"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
}

func TestDeployWatchesTheJobAmplifyAlreadyStartedForTheCommit(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	auto := fake.AutoBuild(app, branch, merge, awsfake.JobScript{SucceedAfter: 2})
	fake.AutoBuild(app, branch, earlier, awsfake.JobScript{}) // a newer job, of another commit
	res, err := deployer(t, fake).Deploy(context.Background(), amplify.Request{AppID: app, Branch: branch, CommitSHA: merge})
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	if n := len(fake.Started()); n != 0 {
		t.Errorf("Deploy started %d jobs; want none, since Amplify already started one for the commit", n)
	}
	if res.JobID != auto || res.Started || res.Status != "SUCCEED" || res.Polls != 2 {
		t.Errorf("result %+v; want the auto-build's job %s watched to SUCCEED over 2 polls, not started by gantry", res, auto)
	}
}

func TestDeployFailsWhenTheJobOutlastsTheWait(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.Script(app, branch, awsfake.JobScript{Never: true})
	res, err := deployer(t, fake).Deploy(context.Background(), amplify.Request{AppID: app, Branch: branch, CommitSHA: merge, WaitTimeout: 20 * time.Millisecond})
	var f *amplify.Failure
	if !errors.As(err, &f) || f.Outcome != amplify.OutcomeTimedOut {
		t.Fatalf("Deploy: %v; want a timed-out *Failure", err)
	}
	if !strings.Contains(err.Error(), "still RUNNING after 20ms") || !strings.Contains(err.Error(), "wait_timeout") || res.Status != "RUNNING" {
		t.Errorf("error %q, status %s; want it to say the job was still RUNNING after 20ms and to mention wait_timeout", err, res.Status)
	}
}

func TestRollbackStartsAReleaseOfTheEarlierCommit(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.AutoBuild(app, branch, earlier, awsfake.JobScript{}) // the earlier deployment's own job
	fake.AutoBuild(app, branch, merge, awsfake.JobScript{})
	res, err := deployer(t, fake).Rollback(context.Background(), amplify.Request{AppID: app, Branch: branch, CommitSHA: earlier})
	if err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	want := []awsfake.StartedJob{{AppID: app, Branch: branch, JobType: "RELEASE", CommitID: earlier, JobID: "3"}}
	if diff := cmp.Diff(want, fake.Started()); diff != "" {
		t.Errorf("StartJob calls (-want +got):\n%s", diff)
	}
	if res.JobID != "3" || !res.Started || res.Status != "SUCCEED" || res.CommitSHA != earlier {
		t.Errorf("result %+v; want the new job 3 of %s, started by gantry, SUCCEED", res, earlier)
	}
}

func TestAnUnknownAppOrBranchSaysWhatToCheck(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	tests := []struct{ name, app, branch, says string }{
		{"an unknown app", "d9nope", branch, "App d9nope not found"},
		{"an unknown branch", app, "prod", "Branch prod not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := deployer(t, fake).Deploy(context.Background(), amplify.Request{AppID: tt.app, Branch: tt.branch, CommitSHA: merge})
			if !errors.Is(err, amplify.ErrNotFound) {
				t.Fatalf("Deploy: %v; want ErrNotFound", err)
			}
			for _, s := range []string{tt.says, "amplify.app_id", "amplify.branch", "aws.region"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestAccessDeniedNamesThePermission(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.FailNext(http.StatusUnauthorized, "UnauthorizedException", "not authorized to perform amplify:ListJobs")
	_, err := deployer(t, fake).Deploy(context.Background(), amplify.Request{AppID: app, Branch: branch, CommitSHA: merge})
	if !errors.Is(err, amplify.ErrAccessDenied) || !strings.Contains(err.Error(), "needs amplify:ListJobs") ||
		!strings.Contains(err.Error(), "apps/d1abc2def3/branches/*") {
		t.Errorf("Deploy: %v; want ErrAccessDenied naming amplify:ListJobs and the branch ARN", err)
	}
}

func TestADryRunStartsNothing(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	auto := fake.AutoBuild(app, branch, merge, awsfake.JobScript{})
	tests := []struct {
		name   string
		run    func(*amplify.Deployer) (amplify.Result, error)
		output string
	}{
		{"a deploy whose commit has a job", func(d *amplify.Deployer) (amplify.Result, error) {
			return d.Deploy(context.Background(), amplify.Request{AppID: app, Branch: branch, CommitSHA: merge})
		}, "would watch job " + auto + " (WEB_HOOK, RUNNING) that Amplify already started for commit " + merge + " on branch main of app d1abc2def3, starting none\n"},
		{"a deploy whose commit has none", func(d *amplify.Deployer) (amplify.Result, error) {
			return d.Deploy(context.Background(), amplify.Request{AppID: app, Branch: branch, CommitSHA: "3333"})
		}, "would start a RELEASE job of commit 3333 on branch main of app d1abc2def3 and wait up to 10m0s for it\n"},
		{"a rollback", func(d *amplify.Deployer) (amplify.Result, error) {
			return d.Rollback(context.Background(), amplify.Request{AppID: app, Branch: branch, CommitSHA: earlier, WaitTimeout: 5 * time.Minute})
		}, "would start a RELEASE job of commit " + earlier + " on branch main of app d1abc2def3 and wait up to 5m0s for it\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			d := deployer(t, fake)
			d.DryRun, d.Out = true, &out
			if _, err := tt.run(d); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.output, out.String()); diff != "" {
				t.Errorf("dry-run output (-want +got):\n%s", diff)
			}
		})
	}
	if n := len(fake.Started()); n != 0 {
		t.Errorf("dry runs started %d jobs", n)
	}
	for _, r := range fake.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("a dry run sent %s %s", r.Method, r.Path)
		}
	}
}

func TestConsoleURL(t *testing.T) {
	t.Parallel()
	got := amplify.ConsoleURL("eu-west-1", "d1abc", "feature/login")
	if want := "https://eu-west-1.console.aws.amazon.com/amplify/apps/d1abc/branches/feature%2Flogin/deployments"; got != want {
		t.Errorf("ConsoleURL = %s, want %s", got, want)
	}
}

func TestNewClientPrefersTheAmplifyEndpointAndTheServicesRegion(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	env := map[string]string{"AWS_ACCESS_KEY_ID": awsfake.AccessKeyID, "AWS_SECRET_ACCESS_KEY": awsfake.SecretAccessKey}
	server := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_AMPLIFY": fake.URL()}
	c, err := amplify.NewClient(context.Background(), amplify.ClientConfig{Region: awsfake.AmplifyRegion, Env: env,
		Getenv: func(k string) string { return server[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Options().Region; r != awsfake.AmplifyRegion {
		t.Errorf("region %s; want the service's %s over the server's AWS_REGION", r, awsfake.AmplifyRegion)
	}
	d := &amplify.Deployer{Client: c, Poll: time.Millisecond}
	if _, err := d.Deploy(context.Background(), amplify.Request{AppID: app, Branch: branch, CommitSHA: merge}); err != nil {
		t.Errorf("Deploy through AWS_ENDPOINT_URL_AMPLIFY: %v", err)
	}
}
