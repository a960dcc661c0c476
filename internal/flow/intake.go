// Package flow is what gantry does on each GitHub event: Intake turns a delivery into jobs
// (from the payload alone, while GitHub waits for its answer), and the job handlers in
// Handlers carry them out (reading configuration, checking permissions, replying, planning).
// Each event has its own file holding both halves.
package flow

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-github/v62/github"

	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/webhook"
)

// Policy is the server-wide policy: admission, applied before any job is queued, and the AWS
// roles jobs may assume.
type Policy struct {
	// RepoAllowed reports whether gantry works on a repository (GANTRY_REPO_ALLOWLIST); nil allows all.
	RepoAllowed func(fullName string) bool
	// AllowForkPRs plans pull requests whose head is in a fork (GANTRY_ALLOW_FORK_PRS).
	AllowForkPRs bool
	// RoleAllowed reports whether a repository (owner/name) may have gantry assume roleARN
	// (GANTRY_ROLE_ALLOWLIST); nil allows every role. It is asked before every role is assumed,
	// for plans, applies, deployments and rollbacks alike.
	RoleAllowed func(repo, roleARN string) bool
}

// Intake routes deliveries to jobs. It implements webhook.Router.
type Intake struct {
	Policy Policy
	// ActionsWorkflow is the workflow file the Actions executor dispatches; "" when jobs run in the
	// server, which then ignores workflow runs.
	ActionsWorkflow string
}

// envelope holds the fields every event shares; reading them first keeps each route small.
type envelope struct {
	Action       string `json:"action"`
	Installation *struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	Repository *struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
}

// Route implements webhook.Router.
func (in *Intake) Route(event, deliveryID string, payload []byte) (webhook.Routed, error) {
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return webhook.Routed{}, fmt.Errorf("%w: %s event is not valid JSON: %v", webhook.ErrMalformed, event, err)
	}
	r := webhook.Routed{Action: env.Action}
	if env.Installation != nil {
		r.InstallationID = env.Installation.ID
	}
	if env.Repository != nil {
		r.Repo = env.Repository.FullName
	}
	route, ok := routes[event]
	if !ok {
		r.Ignored = "event " + event + " is not one gantry acts on"
		return r, nil
	}
	if r.Repo != "" && in.Policy.RepoAllowed != nil && !in.Policy.RepoAllowed(r.Repo) {
		r.Ignored = "repository " + r.Repo + " is not in GANTRY_REPO_ALLOWLIST"
		return r, nil
	}
	ev, err := github.ParseWebHook(event, payload)
	if err != nil {
		return r, fmt.Errorf("%w: %s event: %v", webhook.ErrMalformed, event, err)
	}
	jobs, ignored, err := route(in, ev)
	if err != nil {
		return r, err
	}
	for i := range jobs {
		jobs[i].DeliveryID = deliveryID
		if jobs[i].InstallationID == 0 {
			jobs[i].InstallationID = r.InstallationID
		}
		if jobs[i].Repo == "" {
			jobs[i].Repo = r.Repo
		}
	}
	r.Jobs, r.Ignored = jobs, ignored
	if len(jobs) > 0 && r.InstallationID == 0 && event != "installation" && event != "installation_repositories" {
		// Without an installation there is no token to act with; GitHub always sends one to Apps.
		return r, fmt.Errorf("%w: %s event has no installation id: is this delivery from a GitHub App?", webhook.ErrMalformed, event)
	}
	return r, nil
}

// routeFunc maps one event to jobs; ignored explains an empty result.
type routeFunc func(in *Intake, ev any) (jobs []store.NewJob, ignored string, err error)

// routes is the one place that lists the events gantry acts on.
var routes = map[string]routeFunc{
	"ping":                      routePing,
	"pull_request":              routePullRequest,
	"issue_comment":             routeIssueComment,
	"push":                      routePush,
	"installation":              routeInstallation,
	"installation_repositories": routeInstallation,
	"workflow_run":              routeWorkflowRun,
	"workflow_job":              routeWorkflowRun,
}

func routePing(_ *Intake, ev any) ([]store.NewJob, string, error) {
	p := ev.(*github.PingEvent)
	return nil, "ping: " + p.GetZen(), nil
}

// spec encodes a job spec; specs are plain structs, so this cannot fail.
func spec(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encoding job spec %T: %v", v, err))
	}
	return b
}

// isBot reports whether a GitHub user is a bot (including gantry itself).
func isBot(u *github.User) bool {
	return u != nil && (u.GetType() == "Bot" || strings.HasSuffix(u.GetLogin(), "[bot]"))
}
