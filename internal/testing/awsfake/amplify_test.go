package awsfake_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/amplify"
	"github.com/aws/aws-sdk-go-v2/service/amplify/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/testing/awsfake"
)

const sha = "0123456789abcdef0123456789abcdef01234567"

func amplifyClient(a *awsfake.Amplify) *amplify.Client {
	return amplify.New(amplify.Options{
		Region: awsfake.AmplifyRegion, BaseEndpoint: aws.String(a.URL()), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(awsfake.AccessKeyID, awsfake.SecretAccessKey, ""),
	})
}

func TestAmplifyStartedJobRunsAsScripted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := awsfake.NewAmplify(t)
	fake.AddBranch("d1abc", "main")
	fake.Script("d1abc", "main", awsfake.JobScript{SucceedAfter: 2})
	c := amplifyClient(fake)
	commitTime := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	out, err := c.StartJob(ctx, &amplify.StartJobInput{AppId: aws.String("d1abc"), BranchName: aws.String("main"),
		JobType: types.JobTypeRelease, CommitId: aws.String(sha), CommitMessage: aws.String("Deploy"), CommitTime: &commitTime})
	if err != nil {
		t.Fatalf("StartJob: %v", err)
	}
	s := out.JobSummary
	if s == nil || aws.ToString(s.JobId) != "1" || s.Status != types.JobStatusPending || s.JobType != types.JobTypeRelease ||
		aws.ToString(s.CommitId) != sha || aws.ToString(s.CommitMessage) != "Deploy" || !aws.ToTime(s.CommitTime).Equal(commitTime) ||
		aws.ToString(s.JobArn) != "arn:aws:amplify:us-east-1:123456789012:apps/d1abc/branches/main/jobs/1" || s.StartTime == nil {
		t.Fatalf("StartJob answered %+v; want job 1, PENDING, RELEASE of %s with its message, time and ARN", s, sha)
	}
	want := []awsfake.StartedJob{{AppID: "d1abc", Branch: "main", JobType: "RELEASE", CommitID: sha, CommitMessage: "Deploy",
		CommitTime: commitTime, JobID: "1"}}
	if diff := cmp.Diff(want, fake.Started()); diff != "" {
		t.Errorf("Started (-want +got):\n%s", diff)
	}
	for poll, status := range []types.JobStatus{types.JobStatusRunning, types.JobStatusSucceed, types.JobStatusSucceed} {
		got, err := c.GetJob(ctx, &amplify.GetJobInput{AppId: aws.String("d1abc"), BranchName: aws.String("main"), JobId: aws.String("1")})
		if err != nil {
			t.Fatalf("GetJob %d: %v", poll+1, err)
		}
		if got.Job.Summary.Status != status {
			t.Errorf("poll %d: status %s, want %s", poll+1, got.Job.Summary.Status, status)
		}
		if status == types.JobStatusSucceed {
			if got.Job.Summary.EndTime == nil || len(got.Job.Steps) != 3 || aws.ToString(got.Job.Steps[2].StepName) != "VERIFY" ||
				got.Job.Steps[2].Status != types.JobStatusSucceed {
				t.Errorf("a succeeded job: end %v, steps %+v; want an end time and BUILD, DEPLOY, VERIFY succeeded", got.Job.Summary.EndTime, got.Job.Steps)
			}
		}
	}
}

func TestAmplifyFailedJobNamesItsStep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := awsfake.NewAmplify(t)
	fake.AddBranch("d1abc", "feature/login") // a slash in a branch name is one path label
	fake.Script("d1abc", "feature/login", awsfake.JobScript{FailAfter: 1, FailedStep: "DEPLOY", StatusReason: "Access denied to S3"})
	c := amplifyClient(fake)
	if _, err := c.StartJob(ctx, &amplify.StartJobInput{AppId: aws.String("d1abc"), BranchName: aws.String("feature/login"),
		JobType: types.JobTypeRelease, CommitId: aws.String(sha)}); err != nil {
		t.Fatalf("StartJob: %v", err)
	}
	got, err := c.GetJob(ctx, &amplify.GetJobInput{AppId: aws.String("d1abc"), BranchName: aws.String("feature/login"), JobId: aws.String("1")})
	if err != nil {
		t.Fatalf("GetJob: %v", err)
	}
	steps := got.Job.Steps
	if got.Job.Summary.Status != types.JobStatusFailed || len(steps) != 2 || aws.ToString(steps[1].StepName) != "DEPLOY" ||
		steps[1].Status != types.JobStatusFailed || aws.ToString(steps[1].StatusReason) != "Access denied to S3" ||
		!strings.Contains(aws.ToString(steps[1].LogUrl), "/d1abc/feature%2Flogin/1/DEPLOY/log.txt") || steps[0].Status != types.JobStatusSucceed {
		t.Errorf("failed job %s with steps %+v; want BUILD succeeded and DEPLOY failed with its reason and log URL", got.Job.Summary.Status, steps)
	}
}

func TestAmplifyListJobsPagesNewestFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := awsfake.NewAmplify(t)
	fake.AddBranch("d1abc", "main")
	auto := fake.AutoBuild("d1abc", "main", sha, awsfake.JobScript{Never: true})
	c := amplifyClient(fake)
	for range 2 {
		if _, err := c.StartJob(ctx, &amplify.StartJobInput{AppId: aws.String("d1abc"), BranchName: aws.String("main"), JobType: types.JobTypeRelease}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	var token *string
	for page := 0; ; page++ {
		out, err := c.ListJobs(ctx, &amplify.ListJobsInput{AppId: aws.String("d1abc"), BranchName: aws.String("main"), MaxResults: 2, NextToken: token})
		if err != nil {
			t.Fatalf("ListJobs page %d: %v", page, err)
		}
		for _, s := range out.JobSummaries {
			ids = append(ids, aws.ToString(s.JobId)+" "+string(s.JobType)+" "+string(s.Status)+" "+aws.ToString(s.CommitId))
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	want := []string{"3 RELEASE PENDING HEAD", "2 RELEASE PENDING HEAD", auto + " WEB_HOOK RUNNING " + sha}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("jobs over pages of 2 (-want +got):\n%s", diff)
	}
	_, err := c.ListJobs(ctx, &amplify.ListJobsInput{AppId: aws.String("d1abc"), BranchName: aws.String("main"), MaxResults: 51})
	var bad *types.BadRequestException
	if !errors.As(err, &bad) {
		t.Errorf("ListJobs with maxResults 51: %v; want a BadRequestException", err)
	}
}

func TestAmplifyErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := awsfake.NewAmplify(t)
	fake.AddBranch("d1abc", "main")
	c := amplifyClient(fake)
	// ListJobs's model lists no NotFoundException, so the SDK gives it as a generic API error.
	var apiErr smithy.APIError
	if _, err := c.ListJobs(ctx, &amplify.ListJobsInput{AppId: aws.String("d9zzz"), BranchName: aws.String("main")}); !errors.As(err, &apiErr) ||
		apiErr.ErrorCode() != "NotFoundException" || !strings.Contains(err.Error(), "App d9zzz not found") {
		t.Errorf("ListJobs of an unknown app: %v; want NotFoundException naming the app", err)
	}
	var notFound *types.NotFoundException
	if _, err := c.StartJob(ctx, &amplify.StartJobInput{AppId: aws.String("d1abc"), BranchName: aws.String("prod"), JobType: types.JobTypeRelease}); !errors.As(err, &notFound) ||
		!strings.Contains(err.Error(), "Branch prod not found") {
		t.Errorf("StartJob on an unknown branch: %v; want NotFoundException naming the branch", err)
	}
	if _, err := c.GetJob(ctx, &amplify.GetJobInput{AppId: aws.String("d1abc"), BranchName: aws.String("main"), JobId: aws.String("7")}); !errors.As(err, &notFound) {
		t.Errorf("GetJob of an unknown job: %v; want NotFoundException", err)
	}
	var bad *types.BadRequestException
	if _, err := c.StartJob(ctx, &amplify.StartJobInput{AppId: aws.String("d1abc"), BranchName: aws.String("main"), JobType: types.JobTypeRetry,
		JobId: aws.String("42")}); !errors.As(err, &bad) {
		t.Errorf("RETRY of a job that does not exist: %v; want BadRequestException", err)
	}
	fake.FailNext(http.StatusTooManyRequests, "LimitExceededException", "Too many concurrent jobs")
	var limit *types.LimitExceededException
	if _, err := c.StartJob(ctx, &amplify.StartJobInput{AppId: aws.String("d1abc"), BranchName: aws.String("main"), JobType: types.JobTypeRelease}); !errors.As(err, &limit) {
		t.Errorf("StartJob after FailNext: %v; want LimitExceededException", err)
	}
	if n := len(fake.Started()); n != 0 {
		t.Errorf("%d jobs started by refused requests", n)
	}
	bad2 := amplify.New(amplify.Options{Region: awsfake.AmplifyRegion, BaseEndpoint: aws.String(fake.URL()), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(awsfake.AccessKeyID, "wrong", "")})
	if _, err := bad2.ListJobs(ctx, &amplify.ListJobsInput{AppId: aws.String("d1abc"), BranchName: aws.String("main")}); !errors.As(err, &apiErr) ||
		apiErr.ErrorCode() != "InvalidSignatureException" {
		t.Errorf("a request signed with the wrong secret: %v; want InvalidSignatureException", err)
	}
}
