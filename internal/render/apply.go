package render

import (
	"fmt"
	"strings"
	"time"
)

// ApplyMarker identifies a project's apply comment on a pull request.
func ApplyMarker(project string) string {
	return strings.Replace(Marker(project), "gantry:project=", "gantry:apply=", 1)
}

// ApplyComment is what one project's apply comment shows. Every string in it except Project (a
// validated name) may come from outside gantry — a pull request's resource addresses, Terraform's or
// GitHub's words — and is escaped where it is written.
type ApplyComment struct {
	Project, Dir, Workspace string
	// Commit is the commit applied (the merge commit).
	Commit           string
	Tool             string // "Terraform" (when empty) or "OpenTofu"
	TerraformVersion string
	Duration         time.Duration
	// Output is what apply printed; Error why it failed: Terraform's standard error, or gantry's
	// own message, which can quote GitHub, AWS or the pull request.
	Output string
	Error  string
	// Hold, when set, says why nothing was applied and what releases it.
	Hold *ApplyHold
	// Unplanned: the pull request was merged without a plan gantry showed.
	Unplanned bool
	// Override, when set, records that the apply ran although requirements were not met, because
	// someone with maintain or admin permission asked for it.
	Override *Override
}

// HoldReason is why an apply waits.
type HoldReason string

// The reasons an apply waits, each released by its own command.
const (
	// HoldDrift: the merge commit's plan differs from the plan shown on the pull request.
	HoldDrift HoldReason = "drift"
	// HoldCost: the plan raises the monthly cost above cost.max_monthly_increase.
	HoldCost HoldReason = "cost"
	// HoldRequirements: the merged pull request did not meet apply.requires.
	HoldRequirements HoldReason = "requirements"
)

// ApplyHold is why an apply waits, with what the comment shows about it.
type ApplyHold struct {
	Reason HoldReason
	// Drift lists what only one of the two plans changes (HoldDrift).
	Drift []DriftChange
	// MaxMonthlyIncrease is the project's limit in USD (HoldCost).
	MaxMonthlyIncrease float64
	// Unmet are the requirements that did not hold (HoldRequirements).
	Unmet []Unmet
	// BeforeMerge: the pull request is not merged yet (apply.on: comment), so only meeting the
	// requirements releases a HoldRequirements; after a merge, maintain or admin permission does too.
	BeforeMerge bool
	// RefusedBy asked to apply anyway with `/apply` but has only RefusedPermission, less than the
	// maintain or admin permission that releases a HoldRequirements.
	RefusedBy, RefusedPermission string
}

// Override is an apply released by someone with maintain or admin permission although its
// requirements were not met.
type Override struct {
	By, Permission string
	Unmet          []Unmet
}

// DriftChange is a resource change that only one of two plans makes, or that they make differently.
type DriftChange struct {
	Address, Deposed string
	// Shown and Merged are the change's action in the plan shown on the pull request and in the plan
	// of the merge commit; empty when that plan does not change the resource.
	Shown, Merged string
}

// Requirement names of apply.requires.
const (
	RequireApproved   = "approved"
	RequireMergeable  = "mergeable"
	RequireUndiverged = "undiverged"
)

// Unmet is a requirement of apply.requires that did not hold, with what gantry found.
type Unmet struct {
	Requirement string // RequireApproved, RequireMergeable or RequireUndiverged
	// Commit is the commit whose reviews were counted (approved).
	Commit string
	// ChangesRequested are reviewers with write permission whose changes are still requested (approved).
	ChangesRequested []string
	// NotCounted are approvals that did not count (approved).
	NotCounted []NotCounted
	// State is GitHub's mergeable_state (mergeable).
	State string
	// Base is the branch the pull request is Behind by that many commits (undiverged).
	Base   string
	Behind int
}

// NotCounted is an approval that did not count, and why.
type NotCounted struct {
	User string
	// Why is "author", "permission" (with Permission, the reviewer's role) or "commit" (with Commit,
	// the commit approved; empty when GitHub no longer knows it).
	Why, Permission, Commit string
}

// Confirm is the command that releases a held apply; empty when it is not held.
func (a ApplyComment) Confirm() string {
	if a.Hold == nil {
		return ""
	}
	switch a.Hold.Reason {
	case HoldDrift:
		return "/apply -p " + a.Project + " --confirm-drift"
	case HoldCost:
		return "/apply -p " + a.Project + " --confirm-cost"
	}
	return "/apply -p " + a.Project
}

// ApplyMarkdown renders the comment of an apply: done, failed or held.
func ApplyMarkdown(a ApplyComment) string {
	var b strings.Builder
	b.WriteString(ApplyMarker(a.Project) + "\n")
	sha := code(shortSHA(a.Commit))
	failed := a.Hold == nil && strings.TrimSpace(a.Error) != ""
	switch {
	case a.Hold != nil:
		fmt.Fprintf(&b, "### ⏸️ %s — apply of %s is waiting\n", code(a.Project), sha)
	case failed:
		fmt.Fprintf(&b, "### ❌ %s — apply of %s failed\n", code(a.Project), sha)
	default:
		fmt.Fprintf(&b, "### ✅ %s — applied %s\n", code(a.Project), sha)
	}
	b.WriteString(applyFacts(a, failed))
	b.WriteString("\n\n")
	if a.Unplanned {
		b.WriteString("This pull request was merged without a plan shown here, so gantry planned the merge commit and applied that.\n\n")
	}
	if a.Override != nil && a.Hold == nil {
		b.WriteString(overrideNote(a.Override) + "\n\n")
	}
	switch {
	case a.Hold != nil:
		b.WriteString(holdText(a.Project, a.Hold))
		next := "To apply it anyway"
		switch {
		case a.Hold.Reason == HoldRequirements && a.Hold.BeforeMerge:
			next = "Once they hold, apply it with"
		case a.Hold.Reason == HoldRequirements:
			next = "Someone with maintain or admin permission can apply it anyway"
		}
		fmt.Fprintf(&b, "%s: %s\n", next, code(a.Confirm()))
		return b.String()
	case failed:
		errLines := lines(clean(a.Error))
		if len(errLines) > 30 {
			errLines = errLines[len(errLines)-30:]
		}
		b.WriteString(CodeBlock(strings.Join(errLines, "\n")) + "\n")
		fmt.Fprintf(&b, "**The lock on %s stays with this pull request.** Fix the cause, then comment %s to try again.\n\n",
			code(a.Project), code("/apply -p "+a.Project))
	default:
		if l := applySummaryLine(a.Output); l != "" {
			b.WriteString("**" + l + "**\n\n")
		}
	}
	if out := lines(clean(a.Output)); len(out) > 0 {
		body := breakComments(strings.Join(diffMarkers(out), "\n"))
		f := newFence("diff", body)
		fmt.Fprintf(&b, "<details><summary>Show apply output (%s)</summary>\n\n%s\n%s\n%s\n\n</details>\n",
			plural(len(out), "line", "lines"), f.Open, f.Body, f.Close)
	}
	return b.String()
}

// applyFacts is the line under the heading: directory, workspace, tool and how long the apply took.
func applyFacts(a ApplyComment, failed bool) string {
	line := facts(PlanComment{Dir: a.Dir, Workspace: a.Workspace, Tool: a.Tool, TerraformVersion: a.TerraformVersion}, code)
	if a.Duration > 0 && a.Hold == nil {
		verb := "applied in "
		if failed {
			verb = "failed after "
		}
		if line != "" {
			line += " · "
		}
		line += verb + humanDuration(a.Duration)
	}
	return line
}

// holdText says why the apply waits, ending with a blank line.
func holdText(project string, h *ApplyHold) string {
	switch h.Reason {
	case HoldDrift:
		return "**The plan of the merge commit differs from the plan shown on this pull request**, so nothing was applied. " +
			"The base branch probably moved after the last plan.\n\n" + DriftTable(h.Drift) + "\n"
	case HoldCost:
		return fmt.Sprintf("**The monthly cost of this change is above the project's limit of $%.2f** "+
			"(`cost.max_monthly_increase`), so nothing was applied until someone confirms it.\n\n", h.MaxMonthlyIncrease)
	}
	var b strings.Builder
	b.WriteString("**This pull request does not meet the project's `apply.requires`**, so nothing was applied:\n\n")
	for _, u := range h.Unmet {
		fmt.Fprintf(&b, "- %s: %s\n", code(u.Requirement), UnmetReason(u))
	}
	b.WriteString("\n")
	if h.RefusedBy != "" {
		fmt.Fprintf(&b, "%s asked to apply it with %s, but that needs maintain or admin permission; %s has %s.\n\n",
			code(h.RefusedBy), code("/apply -p "+project), code(h.RefusedBy), code(h.RefusedPermission))
	}
	return b.String()
}

// overrideNote records who applied although requirements were not met.
func overrideNote(o *Override) string {
	names := make([]string, len(o.Unmet))
	for i, u := range o.Unmet {
		names[i] = code(u.Requirement)
	}
	return fmt.Sprintf("⚠️ Applied although %s did not hold: %s (%s permission) asked for it with `/apply`.",
		strings.Join(names, ", "), code(o.By), code(o.Permission))
}

// UnmetReason says, in Markdown, why a requirement did not hold: a clause that reads after "it"
// ("it needs …", "it is …"), so both the apply comment and the reply to `/apply` can use it.
func UnmetReason(u Unmet) string {
	switch u.Requirement {
	case RequireApproved:
		s := "it needs an approving review from someone other than its author, with write permission or more"
		if u.Commit != "" {
			s += ", of commit " + code(shortSHA(u.Commit))
		}
		if len(u.ChangesRequested) > 0 {
			s += "; changes are requested by " + codeList(u.ChangesRequested)
		}
		if len(u.NotCounted) > 0 {
			notes := make([]string, len(u.NotCounted))
			for i, n := range u.NotCounted {
				notes[i] = code(n.User) + " " + notCountedWhy(n)
			}
			s += " (not counted: " + strings.Join(notes, "; ") + ")"
		}
		return s
	case RequireMergeable:
		return "GitHub says it is not mergeable (" + code(u.State) + ")"
	case RequireUndiverged:
		return fmt.Sprintf("it is %d commit(s) behind %s: merge or rebase it, then %s", u.Behind, code(u.Base), code("/plan"))
	}
	return "it does not hold"
}

func notCountedWhy(n NotCounted) string {
	switch n.Why {
	case "author":
		return "is the author"
	case "permission":
		if n.Permission == "" || n.Permission == "none" {
			return "has no access to the repository"
		}
		return "has only " + code(n.Permission) + " permission"
	case "commit":
		if n.Commit == "" {
			return "approved a commit GitHub no longer has"
		}
		return "approved an earlier commit, " + code(shortSHA(n.Commit))
	}
	return "does not count"
}

func codeList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = code(s)
	}
	return strings.Join(quoted, ", ")
}

// DriftTable lists what only one of two plans would change, as a Markdown table. Addresses come
// from the pull request's code (a for_each key can hold any text), so each is a code span with its
// pipes escaped: it cannot end its cell, open HTML, mention anyone or forge a marker.
func DriftTable(changes []DriftChange) string {
	var b strings.Builder
	b.WriteString("| resource | shown on the pull request | planned at merge |\n|---|---|---|\n")
	for _, c := range changes {
		resource := code(c.Address)
		if c.Deposed != "" {
			resource += " (deposed object " + code(c.Deposed) + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(resource), cell(action(c.Shown)), cell(action(c.Merged)))
	}
	return b.String()
}

// action is a plan action in a table cell, or a dash for none.
func action(a string) string {
	if a == "" {
		return "—"
	}
	return code(a)
}

// cell makes Markdown safe inside a table cell: GitHub splits a row at every unescaped pipe, even
// inside a code span, and shows an escaped one as a plain pipe there.
func cell(md string) string {
	return strings.ReplaceAll(md, "|", `\|`)
}

// applySummaryLine is Terraform's "Apply complete! Resources: …" line.
func applySummaryLine(out string) string {
	for _, l := range strings.Split(clean(out), "\n") {
		if strings.HasPrefix(l, "Apply complete!") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
