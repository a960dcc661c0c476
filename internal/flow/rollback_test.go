package flow_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/store"
)

const td = "arn:aws:ecs:us-east-1:111111111111:task-definition/classla-backend:"

// ledger records successful deployments of backend at the given commits, revisions 7, 8, …
func ledger(t *testing.T, w *world, shas ...string) []store.Deployment {
	t.Helper()
	var out []store.Deployment
	for i, sha := range shas {
		d, err := w.st.CreateDeployment(context.Background(), store.Deployment{Repo: repo, Service: "backend",
			SHA: strings.Repeat(sha, 40), PR: 11 + i, Actor: "alice", State: store.DeploymentSuccess,
			Image: "repo@sha256:" + strings.Repeat(sha, 64), TaskDefAfter: fmt.Sprint(td, 7+i)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func rollbackWorld(t *testing.T) (*world, *fakeShipper) {
	w := newWorld(t)
	ship := &fakeShipper{}
	w.deps.Shipper, w.deps.Credentials = ship, fakeCredentials{}
	w.gh.SetFile(repo, "main", ".gantry.yaml", serviceConfig)
	w.gh.SetPermission(repo, "alice", "write")
	w.gh.SetPermission(repo, "rita", "read")
	return w, ship
}

func lastReply(w *world, pr int) string {
	c := w.gh.Comments(repo, pr)
	if len(c) == 0 {
		return ""
	}
	return c[len(c)-1].Body
}

func TestRollbackReturnsToThePreviousDeployment(t *testing.T) {
	t.Parallel()
	w, ship := rollbackWorld(t)
	deployed := ledger(t, w, "a", "b")
	w.deliver(t, "issue_comment", w.comment(t, "alice", "/rollback"))

	if len(ship.rollbacks) != 1 || ship.rollbacks[0].TaskDefinition != td+"7" || ship.rollbacks[0].Env["AWS_ACCESS_KEY_ID"] != "backend-key" {
		t.Fatalf("rollbacks %+v, want one to revision 7 with the service role", ship.rollbacks)
	}
	ds, _ := w.st.ListDeployments(context.Background(), repo, "backend", 1)
	if len(ds) != 1 || ds[0].RollbackOf != deployed[1].ID || ds[0].TaskDefAfter != td+"7" || ds[0].TaskDefBefore != td+"8" ||
		ds[0].State != store.DeploymentSuccess || ds[0].SHA != deployed[0].SHA {
		t.Errorf("ledger's newest %+v, want a successful rollback of deployment %d to revision 7", ds, deployed[1].ID)
	}
	reply := lastReply(w, 9)
	for _, want := range []string{"rolled back to `aaaaaaa`", "| was running | `bbbbbbb` | #12 | `classla-backend:8` |",
		"| running now | `aaaaaaa` | #11 | `classla-backend:7` |", "infrastructure is not rolled back"} {
		if !strings.Contains(reply, want) {
			t.Errorf("reply lacks %q:\n%s", want, reply)
		}
	}
	if got := fmt.Sprint(deploymentStates(w)); got != "[backend:in_progress backend:success]" {
		t.Errorf("GitHub deployment statuses %s", got)
	}
}

func TestRollbackToANamedCommit(t *testing.T) {
	t.Parallel()
	w, ship := rollbackWorld(t)
	ledger(t, w, "a", "b", "c")
	w.deliver(t, "issue_comment", w.comment(t, "alice", "/rollback backend --to aaaaaaa"))
	if len(ship.rollbacks) != 1 || ship.rollbacks[0].TaskDefinition != td+"7" {
		t.Fatalf("rollbacks %+v, want one to the first deployment's revision 7", ship.rollbacks)
	}
}

func TestRollbackRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, user, body string
		deployed         []string
		deploying        bool
		says             string
	}{
		{"nothing to roll back to", "alice", "/rollback", []string{"a"}, false, "no earlier successful deployment"},
		{"nothing deployed yet", "alice", "/rollback", nil, false, "no successful deployment yet"},
		{"an unknown service", "alice", "/rollback frontend", []string{"a", "b"}, false, "There is no service `frontend`"},
		{"a project instead of a service", "alice", "/rollback production", []string{"a", "b"}, false, "revert the pull request"},
		{"an unknown deployment", "alice", "/rollback --to 99", []string{"a", "b"}, false, `no successful deployment "99"`},
		{"a deployment in progress", "alice", "/rollback", []string{"a", "b"}, true, "is in progress; nothing was changed"},
		{"a read-only user", "rita", "/rollback", []string{"a", "b"}, false, "needs write permission"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w, ship := rollbackWorld(t)
			if len(c.deployed) > 0 {
				ledger(t, w, c.deployed...)
			}
			if c.deploying {
				spec := `{"sha":"` + strings.Repeat("d", 40) + `","service":{"Name":"backend"}}`
				if _, err := w.st.EnqueueJob(context.Background(), store.NewJob{Kind: flow.KindDeploy, Repo: repo, Spec: []byte(spec)}); err != nil {
					t.Fatal(err)
				}
				// The queued deployment is claimed by another worker so this test's delivery does not run it.
				if _, _, err := w.st.ClaimJob(context.Background(), "other", 60e9); err != nil {
					t.Fatal(err)
				}
			}
			w.deliver(t, "issue_comment", w.comment(t, c.user, c.body))
			if len(ship.rollbacks) != 0 {
				t.Errorf("a refused rollback changed the service: %+v", ship.rollbacks)
			}
			if reply := lastReply(w, 9); !strings.Contains(reply, c.says) {
				t.Errorf("reply %q does not say %q", reply, c.says)
			}
		})
	}
}

func TestAFailedRollbackIsReportedAsFailed(t *testing.T) {
	t.Parallel()
	w, ship := rollbackWorld(t)
	ship.err = errors.New("rolled back by the deployment circuit breaker")
	ledger(t, w, "a", "b")
	w.deliver(t, "issue_comment", w.comment(t, "alice", "/rollback"))
	ds, _ := w.st.ListDeployments(context.Background(), repo, "backend", 1)
	if len(ds) != 1 || ds[0].State != store.DeploymentFailure || ds[0].RollbackOf == 0 {
		t.Errorf("ledger's newest %+v, want a failed rollback", ds)
	}
	if reply := lastReply(w, 9); !strings.Contains(reply, "rolling `backend` back to `aaaaaaa` failed") || !strings.Contains(reply, "circuit breaker") {
		t.Errorf("reply:\n%s", reply)
	}
}
