package flow

import (
	"context"
	"errors"
	"fmt"

	"github.com/classla/gantry/internal/config"
)

// phase is the step of a run an AWS role is assumed for, and alone picks the role (SPEC §10,
// "Least privilege by phase"): an open pull request's code runs with a project's read-only plan
// role, never with the role that applies. The values are those of SPEC §10's token subjects.
type phase string

const (
	// phasePlan is a plan of a pull request's code (autoplan, /plan): aws.plan_role_arn.
	phasePlan phase = "plan"
	// phaseApply is the merge-time plan and the apply, and /apply under apply.on: comment:
	// aws.role_arn.
	phaseApply phase = "apply"
	// phaseDeploy is a service's deployment or rollback: the service's aws.role_arn.
	phaseDeploy phase = "deploy"
)

// role is an AWS role picked for a phase, the only thing roleEnv assumes; build it with
// projectRole or serviceRole, never from a bare ARN.
type role struct {
	phase  phase
	kind   string // "project" or "service"
	owner  string // "project NAME" or "service NAME", for messages
	name   string // the project's or service's name, for the session
	key    string // the .gantry.yaml key that names it, for messages
	arn    string // empty: the run gets no AWS credentials
	region string
}

// projectRole is the role a project's Terraform assumes in phase. There is no fallback from one
// key to the other: a project with only role_arn is refused by validation, and one with only
// plan_role_arn gets no credentials for its apply.
func projectRole(p config.Project, ph phase) role {
	r := role{phase: ph, kind: "project", owner: "project " + p.Name, name: p.Name, region: p.AWS.Region}
	switch ph {
	case phasePlan:
		r.key, r.arn = "aws.plan_role_arn", p.AWS.PlanRoleARN
	case phaseApply:
		r.key, r.arn = "aws.role_arn", p.AWS.RoleARN
	default:
		// A programming error: the job fails (the pool recovers) instead of guessing a role.
		panic(fmt.Sprintf("a project has no role for phase %q", ph))
	}
	return r
}

// serviceRole is the role a service's deployments and rollbacks assume.
func serviceRole(s config.Service) role {
	return role{phase: phaseDeploy, kind: "service", owner: "service " + s.Name, name: s.Name, key: "aws.role_arn", arn: s.AWS.RoleARN,
		region: s.AWS.Region}
}

// ErrRoleNotAllowed is the error of a run whose role GANTRY_ROLE_ALLOWLIST does not allow
// for the repository; the run assumed nothing and ran nothing.
var ErrRoleNotAllowed = errors.New("role not allowed by GANTRY_ROLE_ALLOWLIST")

// roleRefusal explains a role the allow-list refused, for the pull request and the check run.
type roleRefusal struct {
	repo string
	r    role
}

func (e *roleRefusal) Error() string {
	return fmt.Sprintf("gantry did not assume %s (%s of %s): GANTRY_ROLE_ALLOWLIST does not allow it for %s, "+
		"so nothing ran. If %s may use this role, the server's operator adds the entry\n\n    %s=%s\n\n"+
		"to GANTRY_ROLE_ALLOWLIST (comma-separated OWNER/REPO=ROLE_ARN entries) and restarts gantry; "+
		"otherwise change %s of %s in .gantry.yaml on the default branch.",
		e.r.arn, e.r.key, e.r.owner, e.repo, e.repo, e.repo, e.r.arn, e.r.key, e.r.owner)
}

func (e *roleRefusal) Is(target error) bool { return target == ErrRoleNotAllowed }

// roleEnv assumes r for one run and returns the run's environment; nil when r names no role.
// A role the allow-list does not grant the repository is refused before STS is asked.
func (t *task[S]) roleEnv(ctx context.Context, r role, pr int, sha string) (map[string]string, error) {
	if r.arn == "" {
		return nil, nil
	}
	if err := t.allowRole(r); err != nil {
		return nil, err
	}
	if t.Credentials == nil {
		return nil, fmt.Errorf("%s has %s %s, but this server has no web identity token: set AWS_WEB_IDENTITY_TOKEN_FILE",
			r.owner, r.key, r.arn)
	}
	// Only the picked role is handed on, so Credentials cannot take another key of the project;
	// the phase comes from the job's kind, never from anything the pull request wrote.
	return t.Credentials.Env(ctx, Session{Role: config.AWS{RoleARN: r.arn, Region: r.region}, Repo: t.Job.Repo,
		PR: pr, SHA: sha, JobID: t.Job.ID, Owner: r.kind, Name: r.name, Phase: string(r.phase)})
}
