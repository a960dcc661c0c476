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
