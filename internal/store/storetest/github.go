package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/classla/gantry/internal/store"
)

var githubObjectCases = []contractCase{
	{"what a job opened on GitHub comes back in order", githubObjectsInOrder},
	{"recording an object again closes it and never reopens it", githubObjectClosed},
	{"objects of an unknown job or kind are refused", githubObjectRefused},
	{"jobs that ended with objects left open are found", githubObjectsLeftOpen},
	{"jobs cut off and not yet reported are found until reported", githubObjectsUnreported},
}

func githubObjectsInOrder(t *testing.T, s store.Store) {
	ctx := t.Context()
	j, err := s.EnqueueJob(ctx, store.NewJob{Kind: "apply", Repo: "acme/infra"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.EnqueueJob(ctx, store.NewJob{Kind: "plan", Repo: "acme/infra"})
	if err != nil {
		t.Fatal(err)
	}
	from := time.Now()
	want := []store.GitHubObject{
		{JobID: j.ID, Kind: store.GitHubDeployment, ID: 900, Name: "production"},
		{JobID: j.ID, Kind: store.GitHubCheckRun, ID: 12, Name: "gantry/apply: production"},
		{JobID: j.ID, Kind: store.GitHubComment, ID: 5, Name: "<!-- gantry:apply=production -->"},
	}
	for _, o := range want {
		if err := s.RecordGitHubObject(ctx, o); err != nil {
			t.Fatalf("RecordGitHubObject(%+v): %v", o, err)
		}
	}
	if err := s.RecordGitHubObject(ctx, store.GitHubObject{JobID: other.ID, Kind: store.GitHubCheckRun, ID: 13, Name: "gantry/plan: x"}); err != nil {
		t.Fatal(err)
	}
	to := time.Now()
	got, err := s.GitHubObjects(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("GitHubObjects = %+v, want %d objects of job %d only", got, len(want), j.ID)
	}
	for i, o := range got {
		w := want[i]
		if o.JobID != w.JobID || o.Kind != w.Kind || o.ID != w.ID || o.Name != w.Name || o.Closed {
			t.Errorf("object %d = %+v, want %+v, open", i, o, w)
		}
		checkClock(t, "CreatedAt", o.CreatedAt, from, to)
	}
	if none, err := s.GitHubObjects(ctx, j.ID+other.ID+100); err != nil || len(none) != 0 {
		t.Errorf("objects of a job that opened nothing: %+v, %v", none, err)
	}
}

func githubObjectClosed(t *testing.T, s store.Store) {
	ctx := t.Context()
	j, err := s.EnqueueJob(ctx, store.NewJob{Kind: "plan", Repo: "acme/infra"})
	if err != nil {
		t.Fatal(err)
	}
	o := store.GitHubObject{JobID: j.ID, Kind: store.GitHubCheckRun, ID: 77, Name: "gantry/plan: production"}
	for _, step := range []struct {
		rec    store.GitHubObject
		closed bool
	}{
		{o, false},
		{store.GitHubObject{JobID: j.ID, Kind: store.GitHubCheckRun, ID: 77, Closed: true}, true},
		// Recording it open again (a retry of the job's own update) does not reopen it.
		{o, true},
	} {
		if err := s.RecordGitHubObject(ctx, step.rec); err != nil {
			t.Fatal(err)
		}
		got, err := s.GitHubObjects(ctx, j.ID)
		if err != nil || len(got) != 1 || got[0].Closed != step.closed || got[0].Name != o.Name {
			t.Fatalf("after recording %+v: %+v, %v; want one object named %q, closed %v", step.rec, got, err, o.Name, step.closed)
		}
	}
}

func githubObjectRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	j, err := s.EnqueueJob(ctx, store.NewJob{Kind: "plan", Repo: "acme/infra"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordGitHubObject(ctx, store.GitHubObject{JobID: j.ID + 1000, Kind: store.GitHubCheckRun, ID: 1}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an object of an unknown job: err = %v, want ErrNotFound", err)
	}
	for _, o := range []store.GitHubObject{
		{JobID: j.ID, Kind: "issue", ID: 1},
		{JobID: j.ID, Kind: store.GitHubCheckRun, ID: 0},
	} {
		if err := s.RecordGitHubObject(ctx, o); err == nil {
			t.Errorf("RecordGitHubObject(%s) accepted", fmt.Sprint(o))
		}
	}
	if got, _ := s.GitHubObjects(ctx, j.ID); len(got) != 0 {
		t.Errorf("refused objects were stored: %+v", got)
	}
}

func githubObjectsLeftOpen(t *testing.T, s store.Store) {
	ctx := t.Context()
	var ids []int64
	for _, kind := range []string{"apply", "plan", "deploy"} {
		j, err := s.EnqueueJob(ctx, store.NewJob{Kind: kind, Repo: "acme/infra", Key: kind})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
		if err := s.RecordGitHubObject(ctx, store.GitHubObject{JobID: j.ID, Kind: store.GitHubCheckRun, ID: j.ID * 10, Name: kind}); err != nil {
			t.Fatal(err)
		}
	}
	// apply failed with its check run open; plan failed but closed it; deploy is still queued.
	for _, id := range ids[:2] {
		j, ok, err := s.ClaimJob(ctx, "w", time.Minute)
		if err != nil || !ok || j.ID != id {
			t.Fatalf("claim: %+v %v %v", j, ok, err)
		}
		if err := s.FinishJob(ctx, id, "w", store.Outcome{State: store.Failed, Error: "cut off"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordGitHubObject(ctx, store.GitHubObject{JobID: ids[1], Kind: store.GitHubCheckRun, ID: ids[1] * 10, Closed: true}); err != nil {
		t.Fatal(err)
	}
	left, err := s.LeftOpen(ctx, 10)
	if err != nil || len(left) != 1 || left[0].ID != ids[0] || left[0].State != store.Failed {
		t.Errorf("LeftOpen = %+v, %v; want only the failed apply whose check run is open", left, err)
	}
}

func githubObjectsUnreported(t *testing.T, s store.Store) {
	ctx := t.Context()
	j, err := s.EnqueueJob(ctx, store.NewJob{Kind: "apply", Repo: "acme/infra", PR: 7, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.ClaimJob(ctx, "w", time.Millisecond); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if _, err := s.ExpireLeases(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	left, err := s.LeftOpen(ctx, 10)
	if err != nil || len(left) != 1 || left[0].ID != j.ID {
		t.Fatalf("LeftOpen = %+v, %v; want the pull request's job failed by its worker's end, not yet reported", left, err)
	}
	if err := s.RecordGitHubObject(ctx, store.GitHubObject{JobID: j.ID, Kind: store.GitHubComment, ID: 99, Name: store.CutOffReport, Closed: true}); err != nil {
		t.Fatal(err)
	}
	if left, err := s.LeftOpen(ctx, 10); err != nil || len(left) != 0 {
		t.Errorf("LeftOpen after its report = %+v, %v; want none", left, err)
	}
}
