package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Deploy is what the comment on a service's deployment shows. Everything in it but the numbers
// comes from outside gantry: the service name from .gantry.yaml, the image and task
// definitions and the events and error from AWS.
type Deploy struct {
	Service string
	// Commit is the commit built and deployed.
	Commit string
	// Succeeded: the rollout reached a steady state; otherwise Error says why not.
	Succeeded     bool
	Image         string // repository URI@digest
	TaskDefBefore string // ARN of the revision that ran before
	TaskDefAfter  string // ARN of the revision registered for this deployment
	// Duration is how long the rollout took to reach a steady state; zero leaves it out.
	Duration     time.Duration
	DeploymentID int64 // gantry's deployment record
	Error        string
	// Events are the service's last events, newest first.
	Events []string
	// Changes are how the revision copied (the family's latest, as Terraform registered it) differs
	// from the one that ran, besides the image: "memory 1024 → 2048".
	Changes []string
	// Amplify is the release job of a frontend on Amplify; nil for an ECS service.
	Amplify *AmplifyRelease
}

// AmplifyRelease is the Amplify job that released a frontend.
type AmplifyRelease struct {
	JobID string
	// Started is false when Amplify's own build had started the job for the commit.
	Started    bool
	ConsoleURL string
}

// DeployMarkdown is the pull-request comment of a deployment: done or failed.
func DeployMarkdown(d Deploy) string {
	var b strings.Builder
	if d.Succeeded {
		fmt.Fprintf(&b, "### 🚀 %s deployed %s\n\n", code(d.Service), code(shortSHA(d.Commit)))
	} else {
		fmt.Fprintf(&b, "### ❌ %s deployment of %s failed\n\n", code(d.Service), code(shortSHA(d.Commit)))
	}
	b.WriteString("| | |\n|---|---|\n")
	if d.Image != "" {
		fmt.Fprintf(&b, "| image | %s |\n", tableCode(d.Image))
	}
	if a := d.Amplify; a != nil {
		by := "started by gantry"
		if !a.Started {
			by = "started by Amplify's own build"
		}
		job := code(a.JobID)
		if a.ConsoleURL != "" {
			job = "[" + job + "](" + a.ConsoleURL + ")"
		}
		fmt.Fprintf(&b, "| Amplify job | %s (%s) |\n", job, by)
	}
	if d.TaskDefBefore != "" {
		fmt.Fprintf(&b, "| task definition | %s → %s |\n", tableCode(TaskRevision(d.TaskDefBefore)), tableCode(TaskRevision(d.TaskDefAfter)))
	}
	if d.Duration > 0 {
		fmt.Fprintf(&b, "| time to steady state | %s |\n", d.Duration.Round(time.Second))
	}
	fmt.Fprintf(&b, "| deployment | %d |\n", d.DeploymentID)
	if len(d.Changes) > 0 {
		b.WriteString("\nBesides the image, the new revision differs from the one that ran (it copies the family's latest revision, as Terraform registered it):\n\n")
		for _, c := range d.Changes {
			b.WriteString("- " + code(c) + "\n")
		}
	}
	if strings.TrimSpace(d.Error) != "" {
		b.WriteString("\n" + CodeBlock(d.Error))
	}
	b.WriteString(events(d.Events))
	if d.Succeeded {
		fmt.Fprintf(&b, "\nTo put the previous version back: %s\n", code("/rollback "+d.Service))
	}
	return b.String()
}

// DeployStatus is the one-line description of a finished deployment on its GitHub Deployment.
func DeployStatus(service, taskDefAfter string, succeeded bool) string {
	if succeeded {
		return clean(service + " is running " + taskDefAfter)
	}
	return "deployment failed"
}

// HeldApply is an apply of the commit that did not succeed, keeping the commit's deployments back.
type HeldApply struct {
	Project string
	// Reason is "drift", "cost" or "requirements" for an apply held (as its job's result says),
	// "failed" or "canceled" for one that ended without applying; anything else reads as not applied.
	Reason string
}

// DeployHeld is what the comment on a deployment that waits for the commit's applies shows.
type DeployHeld struct {
	Service string
	Commit  string
	// PR is the merged pull request; 0 for a direct push, which has no `/apply`.
	PR      int
	Applies []HeldApply
}

// DeployHeldMarkdown says why a service of a merge was not deployed, and what releases it.
func DeployHeldMarkdown(h DeployHeld) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### ⏸️ %s was not deployed\n\n", code(h.Service))
	what := "merge commit"
	if h.PR == 0 {
		what = "pushed commit"
	}
	these, they := "these have not", "they are"
	if len(h.Applies) == 1 {
		these, they = "this one has not", "it is"
	}
	fmt.Fprintf(&b, "A service of the %s %s deploys only once every apply of that commit has succeeded, and %s:\n\n",
		what, code(shortSHA(h.Commit)), these)
	for _, a := range h.Applies {
		fmt.Fprintf(&b, "- %s: %s\n", code(a.Project), heldReason(a, h.PR != 0))
	}
	if h.PR != 0 {
		fmt.Fprintf(&b, "\n%s is queued again as soon as %s applied.\n", code(h.Service), they)
	} else {
		fmt.Fprintf(&b, "\nOnce %s applied, deploy it with %s.\n", they,
			code("gantry deploy --service "+h.Service+" --ref "+shortSHA(h.Commit)))
	}
	return b.String()
}

func heldReason(a HeldApply, commands bool) string {
	var why, cmd, does string
	switch a.Reason {
	case "drift":
		why, cmd, does = "its plan at this commit differs from the plan shown on the pull request", " --confirm-drift", "applies it"
	case "cost":
		why, cmd, does = "its monthly cost is above the project's limit", " --confirm-cost", "applies it"
	case "requirements":
		why, does = "the pull request did not meet the project's `apply.requires`", "from a maintainer or admin applies it"
	case "failed":
		why, does = "its apply failed", "tries again"
	case "canceled":
		why, does = "its apply was canceled", "tries again"
	default:
		why, does = "it was not applied", "tries again"
	}
	if !commands {
		return why
	}
	return why + "; " + code("/apply -p "+a.Project+cmd) + " " + does
}

// Rollback is what the reply to `/rollback` shows.
type Rollback struct {
	Service   string
	Succeeded bool
	// From is the deployment that ran; To the one returned to.
	From, To           RollbackDeployment
	DeploymentID       int64 // the rollback's own deployment record
	GitHubDeploymentID int64
	Duration           time.Duration
	Error              string
	// Events are the service's last events, newest first.
	Events []string
}

// RollbackDeployment is one row of the rollback's table.
type RollbackDeployment struct {
	ID             int64
	Commit         string
	PR             int // 0 for a direct push
	TaskDefinition string
}

// RollbackMarkdown is the reply to /rollback: what ran, what runs now, and where it is recorded.
func RollbackMarkdown(r Rollback) string {
	var b strings.Builder
	if r.Succeeded {
		fmt.Fprintf(&b, "### ↩️ %s rolled back to %s\n\n", code(r.Service), code(shortSHA(r.To.Commit)))
	} else {
		fmt.Fprintf(&b, "### ❌ rolling %s back to %s failed\n\n", code(r.Service), code(shortSHA(r.To.Commit)))
	}
	b.WriteString("| | commit | pull request | task definition | deployment |\n|---|---|---|---|---|\n")
	row := func(label string, x RollbackDeployment) {
		pr := "—"
		if x.PR != 0 {
			pr = "#" + strconv.Itoa(x.PR)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d |\n", label, tableCode(shortSHA(x.Commit)), pr,
			tableCode(TaskRevision(x.TaskDefinition)), x.ID)
	}
	row("was running", r.From)
	if r.Succeeded {
		row("running now", r.To)
	} else {
		row("asked for", r.To)
	}
	fmt.Fprintf(&b, "\nRecorded as deployment %d (GitHub deployment %d).", r.DeploymentID, r.GitHubDeploymentID)
	if r.Duration > 0 {
		fmt.Fprintf(&b, " Steady after %s.", r.Duration.Round(time.Second))
	}
	b.WriteString("\n")
	if strings.TrimSpace(r.Error) != "" {
		b.WriteString("\n" + CodeBlock(r.Error))
		b.WriteString(events(r.Events))
	}
	b.WriteString("\nOnly the service's image changed: infrastructure is not rolled back by `/rollback` (revert its pull request for that).\n")
	return b.String()
}

// events shows a service's events, one a line, in a collapsed code block nothing in them can
// leave: AWS writes them, but they quote names and messages others chose.
func events(evs []string) string {
	if len(evs) == 0 {
		return ""
	}
	one := make([]string, len(evs))
	for i, e := range evs {
		one[i] = strings.Join(strings.Fields(clean(e)), " ")
	}
	return "\n<details><summary>The service's last events</summary>\n\n" + CodeBlock(strings.Join(one, "\n")) + "\n</details>\n"
}

// TaskRevision is the family:revision part of a task definition ARN.
func TaskRevision(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// tableCode is code that also stays in its table cell: a pipe ends a cell even inside a code
// span, unless it is escaped.
func tableCode(s string) string {
	return strings.ReplaceAll(code(s), "|", `\|`)
}
