package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/store"
)

func deployment(repo, service, sha string) store.Deployment {
	return store.Deployment{
		Repo:          repo,
		Service:       service,
		SHA:           sha,
		PR:            7,
		Actor:         "alice",
		Image:         "111111111111.dkr.ecr.us-east-1.amazonaws.com/classla-backend@sha256:" + sha,
		ImageDigest:   "sha256:" + sha,
		TaskDefBefore: "arn:aws:ecs:us-east-1:111111111111:task-definition/backend:41",
		State:         store.DeploymentPending,
	}
}

// mustCreateDeployment creates d and fails t on error.
func mustCreateDeployment(t *testing.T, s store.Store, d store.Deployment) store.Deployment {
	t.Helper()
	created, err := s.CreateDeployment(t.Context(), d)
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	return created
}

var deploymentCases = []contractCase{
	{"a deployment reads back with every field", deploymentReadsBack},
	{"an update overwrites the outcome of a deployment", deploymentUpdate},
	{"an unknown deployment is not found", deploymentUnknown},
	{"deployments of a service are listed newest first", deploymentList},
}

func deploymentReadsBack(t *testing.T, s store.Store) {
	ctx := t.Context()
	original := mustCreateDeployment(t, s, deployment("acme/app", "backend", "aaaa"))
	d := deployment("acme/app", "backend", "bbbb")
	d.TaskDefAfter = "arn:aws:ecs:us-east-1:111111111111:task-definition/backend:42"
	d.State = store.DeploymentInProgress
	d.RollbackOf = original.ID
	d.GitHubDeploymentID = 1234567890123
	d.Error = "circuit breaker: 2 tasks failed to start"
	d.StartedAt = instant(t, "2026-11-03T14:05:06.123456-05:00")
	d.FinishedAt = instant(t, "2026-11-03T14:15:07.654321+09:00")
	from := time.Now()
	created := mustCreateDeployment(t, s, d)
	to := time.Now()
	if created.ID == 0 || created.ID == original.ID {
		t.Errorf("CreateDeployment returned ID %d, want a new ID", created.ID)
	}
	checkClock(t, "CreatedAt", created.CreatedAt, from, to)
	d.ID, d.CreatedAt = created.ID, created.CreatedAt
	if diff := cmp.Diff(d, created, cmpOpts); diff != "" {
		t.Errorf("CreateDeployment (-given +created):\n%s", diff)
	}
	got, err := s.GetDeployment(ctx, created.ID)
	if err != nil {
		t.Fatalf("GetDeployment: %v", err)
	}
	if diff := cmp.Diff(d, got, cmpOpts); diff != "" {
		t.Errorf("GetDeployment (-created +read):\n%s", diff)
	}
}

func deploymentUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	d := mustCreateDeployment(t, s, deployment("acme/app", "backend", "aaaa"))
	d.State = store.DeploymentSuccess
	d.Image = "111111111111.dkr.ecr.us-east-1.amazonaws.com/classla-backend@sha256:ffff"
	d.ImageDigest = "sha256:ffff"
	d.TaskDefBefore = "arn:aws:ecs:us-east-1:111111111111:task-definition/backend:40"
	d.TaskDefAfter = "arn:aws:ecs:us-east-1:111111111111:task-definition/backend:42"
	d.GitHubDeploymentID = 99
	d.Error = ""
	d.StartedAt = instant(t, "2026-11-03T14:05:06.000001Z")
	d.FinishedAt = instant(t, "2026-11-03T14:09:00.999999Z")
	if err := s.UpdateDeployment(ctx, d); err != nil {
		t.Fatalf("UpdateDeployment: %v", err)
	}
	got, err := s.GetDeployment(ctx, d.ID)
	if err != nil {
		t.Fatalf("GetDeployment: %v", err)
	}
	if diff := cmp.Diff(d, got, cmpOpts); diff != "" {
		t.Errorf("GetDeployment after the update (-updated +read):\n%s", diff)
	}
}

func deploymentUnknown(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := s.GetDeployment(ctx, 4711); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetDeployment: err %v, want ErrNotFound", err)
	}
	d := deployment("acme/app", "backend", "aaaa")
	d.ID = 4711
	if err := s.UpdateDeployment(ctx, d); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateDeployment: err %v, want ErrNotFound", err)
	}
}

func deploymentList(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := mustCreateDeployment(t, s, deployment("acme/app", "backend", "aaaa"))
	second := mustCreateDeployment(t, s, deployment("acme/app", "backend", "bbbb"))
	frontend := mustCreateDeployment(t, s, deployment("acme/app", "frontend", "cccc"))
	other := mustCreateDeployment(t, s, deployment("acme/other", "backend", "dddd"))
	third := mustCreateDeployment(t, s, deployment("acme/app", "backend", "eeee"))
	tests := []struct {
		name          string
		repo, service string
		limit         int
		want          []store.Deployment
	}{
		{"no limit lists them all", "acme/app", "backend", 0, []store.Deployment{third, second, first}},
		{"a limit keeps the newest", "acme/app", "backend", 2, []store.Deployment{third, second}},
		{"another service has its own", "acme/app", "frontend", 0, []store.Deployment{frontend}},
		{"an unknown service has none", "acme/app", "worker", 0, nil},
		{"an empty service lists every service of the repository", "acme/app", "", 0, []store.Deployment{third, frontend, second, first}},
		{"an empty repository lists every repository (the status page)", "", "", 3, []store.Deployment{third, other, frontend}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListDeployments(ctx, tt.repo, tt.service, tt.limit)
			if err != nil {
				t.Fatalf("ListDeployments: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts); diff != "" {
				t.Errorf("ListDeployments(%s, %s, %d) (-want +got):\n%s", tt.repo, tt.service, tt.limit, diff)
			}
		})
	}
}
