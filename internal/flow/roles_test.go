package flow_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/sandbox"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/terraform"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/githubfake"
)

const (
	planRole   = "arn:aws:iam::111111111111:role/gantry-plan-production"
	applyRole  = "arn:aws:iam::111111111111:role/gantry-terraform-production"
	deployRole = "arn:aws:iam::111111111111:role/gantry-deploy-backend"
)

// rolesConfig is production with a plan role and an apply role, applied as apply says.
func rolesConfig(apply string) string {
	return `version: 1
projects:
  - name: production
    dir: terraform/envs/production
    apply: {on: ` + apply + `}
    aws: {plan_role_arn: "` + planRole + `", role_arn: "` + applyRole + `", region: us-east-1}
`
}

// rolesServiceConfig adds the backend service, deployed with its own role after production.
func rolesServiceConfig() string {
	return rolesConfig("merge") + `services:
  - name: backend
    after: [production]
    when_modified: ["backend/**", "terraform/envs/production/**"]
    build: {context: backend}
    ecr_repository: classla-backend
    ecs: {cluster: classla-production, service: classla-backend, container: backend}
    aws: {role_arn: "` + deployRole + `", region: us-east-1}
`
}

// recordingCredentials hands out a key named after each role it is asked for, recording the
// roles in order.
type recordingCredentials struct {
	mu       sync.Mutex
	roles    []string
	sessions []string // "OWNER:NAME:PHASE REPO REF": what a workload identity token would say
}

func (c *recordingCredentials) Env(_ context.Context, s flow.Session) (map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roles = append(c.roles, s.Role.RoleARN)
	ref := s.Ref()
	if s.JobID == 0 || s.SHA == "" {
		ref += " without a job or commit"
	}
	c.sessions = append(c.sessions, fmt.Sprintf("%s:%s:%s %s %s", s.Owner, s.Name, s.Phase, s.Repo, ref))
	return map[string]string{"AWS_ACCESS_KEY_ID": keyOf(s.Role.RoleARN), "AWS_REGION": s.Role.Region}, nil
}

func (c *recordingCredentials) sessionList() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sessions...)
}

func (c *recordingCredentials) assumed() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.roles...)
}

// keyOf is the access key recordingCredentials gives a role: its name.
func keyOf(roleARN string) string { return roleARN[strings.LastIndex(roleARN, "/")+1:] }

// keyTerraform is fakeTerraform recording which role's key each plan and apply ran with.
type keyTerraform struct {
	fakeTerraform
	mu     sync.Mutex
	runs   []string // "plan gantry-plan-production", "apply …"
	trusts []string // "plan pull-request", "apply trusted": which plugin cache each run was given
}

func (k *keyTerraform) Plan(ctx context.Context, req terraform.PlanRequest) (*terraform.PlanResult, error) {
	k.record("plan", req.Env, req.Trust)
	return k.fakeTerraform.Plan(ctx, req)
}

func (k *keyTerraform) Apply(ctx context.Context, req terraform.ApplyRequest) (*terraform.ApplyResult, error) {
	k.record("apply", req.Env, req.Trust)
	return k.fakeTerraform.Apply(ctx, req)
}

func (k *keyTerraform) record(step string, env map[string]string, trust sandbox.Trust) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.runs = append(k.runs, strings.TrimSpace(step+" "+env["AWS_ACCESS_KEY_ID"]))
	k.trusts = append(k.trusts, step+" "+trust.String())
}

func (k *keyTerraform) trusted() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.trusts...)
}

func (k *keyTerraform) ran() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.runs...)
}

// rolesWorld is a world whose Terraform and credentials record the roles of every run.
func rolesWorld(t *testing.T, cfg string) (*world, *recordingCredentials, *keyTerraform) {
	t.Helper()
	w := newWorld(t)
	creds, tf := &recordingCredentials{}, &keyTerraform{}
	w.deps.Credentials, w.deps.Terraform = creds, tf
	w.gh.SetFile(repo, "main", ".gantry.yaml", cfg)
	w.gh.SetPermission(repo, "alice", "write")
	w.gh.SetPermission(repo, "bob", "write")
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, User: "alice", HeadSHA: fixtureHead, BaseRef: "main",
		Files: []string{"terraform/envs/production/main.tf"}})
	w.gh.SetTarball(repo, fixtureHead, map[string]string{"terraform/envs/production/main.tf": "fast"})
	w.gh.SetTarball(repo, mergeSHA, map[string]string{"terraform/envs/production/main.tf": "fast",
		"backend/server.js": "console.log('hi')"})
	return w, creds, tf
}

// commentOn2 is a comment by user on pull request 2.
func commentOn2(t *testing.T, w *world, user, body string) []byte {
	return fixtures.Edit(t, w.comment(t, user, body), map[string]any{"issue.number": 2})
}

// mergeOf2 merges pull request 2 at mergeSHA.
func mergeOf2(t *testing.T, w *world) {
	t.Helper()
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, User: "alice", HeadSHA: fixtureHead, State: "closed", Merged: true,
		MergeCommitSHA: mergeSHA, Files: []string{"terraform/envs/production/main.tf"}})
	w.deliver(t, "pull_request", merged(t))
}

func TestEachPhaseAssumesItsOwnRole(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		apply   string
		steps   func(t *testing.T, w *world)
		assumed []string
		// sessions is the phase each role was assumed for: it, not the role, is what
		// gantry's own token states to AWS.
		sessions []string
		ran      []string
		trusts   []string // the plugin cache of each run: a pull request's code never gets the trusted one
	}{{
		name:  "autoplan plans the pull request's code with the plan role",
		apply: "merge",
		steps: func(t *testing.T, w *world) {
			w.deliver(t, "pull_request", prOpened(t, 2))
		},
		assumed:  []string{planRole},
		sessions: []string{"project:production:plan " + repo + " pr2"},
		ran:      []string{"plan gantry-plan-production"},
		trusts:   []string{"plan pull-request"},
	}, {
		name:  "/plan plans with the plan role",
		apply: "merge",
		steps: func(t *testing.T, w *world) {
			w.deliver(t, "issue_comment", commentOn2(t, w, "alice", "/plan -p production"))
		},
		assumed:  []string{planRole},
		sessions: []string{"project:production:plan " + repo + " pr2"},
		ran:      []string{"plan gantry-plan-production"},
		trusts:   []string{"plan pull-request"},
	}, {
		name:  "a merge plans the merge commit and applies it with the apply role",
		apply: "merge",
		steps: func(t *testing.T, w *world) {
			w.deliver(t, "pull_request", prOpened(t, 2))
			mergeOf2(t, w)
		},
		assumed:  []string{planRole, applyRole},
		sessions: []string{"project:production:plan " + repo + " pr2", "project:production:apply " + repo + " pr2"},
		ran:      []string{"plan gantry-plan-production", "plan gantry-terraform-production", "apply gantry-terraform-production"},
		trusts:   []string{"plan pull-request", "plan trusted", "apply trusted"},
	}, {
		name:  "/apply under apply.on: comment applies the saved plan with the apply role",
		apply: "comment",
		steps: func(t *testing.T, w *world) {
			w.deliver(t, "pull_request", prOpened(t, 2))
			w.deliver(t, "issue_comment", commentOn2(t, w, "alice", "/apply"))
		},
		assumed:  []string{planRole, applyRole},
		sessions: []string{"project:production:plan " + repo + " pr2", "project:production:apply " + repo + " pr2"},
		ran:      []string{"plan gantry-plan-production", "apply gantry-terraform-production"},
		// The saved plan is the pull request's own code, applied before merge.
		trusts: []string{"plan pull-request", "apply pull-request"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w, creds, tf := rolesWorld(t, rolesConfig(c.apply))
			c.steps(t, w)
			if got := creds.assumed(); fmt.Sprint(got) != fmt.Sprint(c.assumed) {
				t.Errorf("roles assumed %v, want %v", got, c.assumed)
			}
			if got := creds.sessionList(); fmt.Sprint(got) != fmt.Sprint(c.sessions) {
				t.Errorf("sessions %q, want %q", got, c.sessions)
			}
			if got := tf.ran(); fmt.Sprint(got) != fmt.Sprint(c.ran) {
				t.Errorf("Terraform ran %q, want %q", got, c.ran)
			}
			if got := tf.trusted(); fmt.Sprint(got) != fmt.Sprint(c.trusts) {
				t.Errorf("the runs got the plugin caches %q, want %q", got, c.trusts)
			}
		})
	}
}

// A writer controls the Terraform of their pull request. Whatever way they get it planned —
// pushes, /plan, /plan with extra arguments, a project that applies on comment — the plan
// never runs with the apply role's credentials.
func TestAPullRequestCannotPlanWithTheApplyRole(t *testing.T) {
	t.Parallel()
	for _, apply := range []string{"merge", "comment"} {
		t.Run("apply.on: "+apply, func(t *testing.T) {
			t.Parallel()
			w, creds, tf := rolesWorld(t, rolesConfig(apply))
			w.deliver(t, "pull_request", prOpened(t, 2))
			w.deliver(t, "pull_request", fixtures.Edit(t, prOpened(t, 2), map[string]any{"action": "synchronize"}))
			w.deliver(t, "issue_comment", commentOn2(t, w, "alice", "/plan"))
			w.deliver(t, "issue_comment", commentOn2(t, w, "alice", "/plan -p production -- -target=terraform_data.x"))
			if got := tf.ran(); len(got) != 4 {
				t.Fatalf("Terraform ran %q, want four plans", got)
			}
			for _, r := range creds.assumed() {
				if r != planRole {
					t.Errorf("a plan of the pull request assumed %s", r)
				}
			}
			for _, r := range tf.ran() {
				if r != "plan gantry-plan-production" {
					t.Errorf("a plan of the pull request ran as %q", r)
				}
			}
		})
	}
}

// A project that names only a plan role plans with it and applies with no credentials at all:
// the apply never falls back to the plan role, nor a plan to a role it was not given.
func TestAProjectWithOnlyAPlanRoleAppliesWithoutOne(t *testing.T) {
	t.Parallel()
	cfg := strings.Replace(rolesConfig("merge"), `, role_arn: "`+applyRole+`"`, "", 1)
	w, creds, tf := rolesWorld(t, cfg)
	w.deliver(t, "pull_request", prOpened(t, 2))
	mergeOf2(t, w)
	if got := fmt.Sprint(creds.assumed()); got != fmt.Sprint([]string{planRole}) {
		t.Errorf("roles assumed %s, want the plan role once", got)
	}
	if got := fmt.Sprint(tf.ran()); got != "[plan gantry-plan-production plan apply]" {
		t.Errorf("Terraform ran %s, want the plan with the plan role, then the merge's plan and apply without credentials", got)
	}
}

// allowOnly allows the roles named, for this test's repository only, and records what it was asked.
type allowOnly struct {
	mu    sync.Mutex
	roles []string
	asked []string
}

func (a *allowOnly) allowed(repoName, roleARN string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, repoName+"="+roleARN)
	if repoName != repo {
		return false
	}
	for _, r := range a.roles {
		if r == roleARN {
			return true
		}
	}
	return false
}

// refusalSays is what every refusal must tell the pull request about role.
func refusalSays(role string) []string {
	return []string{"did not assume " + role, "GANTRY_ROLE_ALLOWLIST does not allow it for " + repo, "nothing ran",
		"adds the entry " + repo + "=" + role}
}

// says reports whether text says phrase, however its lines were wrapped.
func says(text, phrase string) bool {
	return strings.Contains(strings.Join(strings.Fields(text), " "), phrase)
}

// A repository's .gantry.yaml names the roles gantry assumes. Whoever can edit it (or a
// compromised default branch) must not reach roles the operator did not grant the repository:
// such a role is never assumed, nothing runs, and the pull request is told what to allow.
func TestARoleOutsideTheAllowlistIsNeverAssumed(t *testing.T) {
	t.Parallel()
	t.Run("for a plan", func(t *testing.T) {
		t.Parallel()
		w, creds, tf := rolesWorld(t, rolesConfig("merge"))
		allow := &allowOnly{roles: []string{applyRole}}
		w.deps.Policy.RoleAllowed = allow.allowed
		jobs := w.deliver(t, "pull_request", prOpened(t, 2))
		if len(creds.assumed()) != 0 || len(tf.ran()) != 0 {
			t.Fatalf("assumed %v and ran %q, want nothing", creds.assumed(), tf.ran())
		}
		if last := jobs[len(jobs)-1]; last.Kind != flow.KindPlan || last.State != store.Failed ||
			!strings.Contains(last.Error, planRole) {
			t.Errorf("plan job %+v, want it failed naming the role", last)
		}
		comments := w.replies(t, 2)
		if len(comments) != 1 {
			t.Fatalf("comments %q, want the plan comment", comments)
		}
		runs := w.gh.CheckRuns(repo)
		if len(runs) != 1 || runs[0].Conclusion != "failure" {
			t.Fatalf("check runs %+v, want one failure", runs)
		}
		for _, want := range refusalSays(planRole) {
			if !says(comments[0], want) {
				t.Errorf("plan comment does not say %q:\n%s", want, comments[0])
			}
			if !says(runs[0].Summary, want) {
				t.Errorf("check run does not say %q:\n%s\n%s", want, runs[0].Title, runs[0].Summary)
			}
		}
		if fmt.Sprint(allow.asked) != fmt.Sprint([]string{repo + "=" + planRole}) {
			t.Errorf("the allow-list was asked %v, want the repository and the plan role", allow.asked)
		}
	})
	t.Run("for an apply", func(t *testing.T) {
		t.Parallel()
		w, creds, tf := rolesWorld(t, rolesConfig("merge"))
		w.deps.Policy.RoleAllowed = (&allowOnly{roles: []string{planRole}}).allowed
		w.deliver(t, "pull_request", prOpened(t, 2))
		mergeOf2(t, w)
		if got := fmt.Sprint(creds.assumed()); got != fmt.Sprint([]string{planRole}) {
			t.Errorf("roles assumed %s, want only the pull request's plan role", got)
		}
		if got := fmt.Sprint(tf.ran()); got != "[plan gantry-plan-production]" {
			t.Errorf("Terraform ran %s, want only the pull request's plan", got)
		}
		body := applyComment(t, w)
		for _, want := range refusalSays(applyRole) {
			if !says(body, want) {
				t.Errorf("apply comment does not say %q:\n%s", want, body)
			}
		}
		for _, c := range w.gh.CheckRuns(repo) {
			if c.Name == "gantry/apply: production" && c.Conclusion != "failure" {
				t.Errorf("apply check run %+v, want a failure", c)
			}
		}
	})
	t.Run("for /apply under apply.on: comment", func(t *testing.T) {
		t.Parallel()
		w, creds, tf := rolesWorld(t, rolesConfig("comment"))
		w.deps.Policy.RoleAllowed = (&allowOnly{roles: []string{planRole}}).allowed
		w.deliver(t, "pull_request", prOpened(t, 2))
		w.deliver(t, "issue_comment", commentOn2(t, w, "alice", "/apply"))
		if got := fmt.Sprint(creds.assumed()); got != fmt.Sprint([]string{planRole}) {
			t.Errorf("roles assumed %s, want only the plan role", got)
		}
		if len(tf.applied) != 0 {
			t.Errorf("Terraform applied %q", tf.applied)
		}
		for _, want := range refusalSays(applyRole) {
			if body := applyComment(t, w); !says(body, want) {
				t.Errorf("apply comment does not say %q:\n%s", want, body)
			}
		}
	})
	t.Run("for a deployment", func(t *testing.T) {
		t.Parallel()
		w, creds, _ := rolesWorld(t, rolesServiceConfig())
		ship := &fakeShipper{}
		w.deps.Shipper = ship
		w.deps.Policy.RoleAllowed = (&allowOnly{roles: []string{planRole, applyRole}}).allowed
		w.deliver(t, "pull_request", prOpened(t, 2))
		mergeOf2(t, w)
		if got := fmt.Sprint(creds.assumed()); got != fmt.Sprint([]string{planRole, applyRole}) {
			t.Errorf("roles assumed %s, want the plan and apply roles only", got)
		}
		if len(ship.calls) != 0 {
			t.Fatalf("the service was built and deployed: %+v", ship.calls)
		}
		var report string
		for _, c := range w.replies(t, 2) {
			if strings.Contains(c, "`backend`") {
				report = c
			}
		}
		for _, want := range refusalSays(deployRole) {
			if !says(report, want) {
				t.Errorf("deployment report does not say %q:\n%s", want, report)
			}
		}
	})
	t.Run("for a rollback", func(t *testing.T) {
		t.Parallel()
		w, creds, _ := rolesWorld(t, rolesServiceConfig())
		ship := &fakeShipper{}
		w.deps.Shipper = ship
		w.deps.Policy.RoleAllowed = (&allowOnly{}).allowed
		ledger(t, w, "a", "b")
		w.deliver(t, "issue_comment", w.comment(t, "alice", "/rollback backend"))
		if len(creds.assumed()) != 0 || len(ship.rollbacks) != 0 {
			t.Fatalf("assumed %v and rolled back %+v, want neither", creds.assumed(), ship.rollbacks)
		}
		for _, want := range refusalSays(deployRole) {
			if reply := lastReply(w, 9); !says(reply, want) {
				t.Errorf("rollback reply does not say %q:\n%s", want, reply)
			}
		}
	})
}

// With the allow-list granting the repository its roles, every phase runs as before.
func TestAllowedRolesAreAssumed(t *testing.T) {
	t.Parallel()
	w, creds, tf := rolesWorld(t, rolesServiceConfig())
	ship := &fakeShipper{}
	w.deps.Shipper = ship
	w.deps.Policy.RoleAllowed = (&allowOnly{roles: []string{planRole, applyRole, deployRole}}).allowed
	w.deliver(t, "pull_request", prOpened(t, 2))
	mergeOf2(t, w)
	if got := fmt.Sprint(creds.assumed()); got != fmt.Sprint([]string{planRole, applyRole, deployRole}) {
		t.Errorf("roles assumed %s", got)
	}
	want := []string{"project:production:plan " + repo + " pr2", "project:production:apply " + repo + " pr2",
		"service:backend:deploy " + repo + " pr2"}
	if got := creds.sessionList(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sessions %q, want %q", got, want)
	}
	if len(tf.ran()) != 3 || len(ship.calls) != 1 || ship.calls[0].Env["AWS_ACCESS_KEY_ID"] != "gantry-deploy-backend" {
		t.Errorf("Terraform ran %q and shipped %+v, want the plan, the merge's plan and apply, and one deployment", tf.ran(), ship.calls)
	}
}
