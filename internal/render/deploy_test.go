package render

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	taskDef7 = "arn:aws:ecs:us-east-1:111111111111:task-definition/classla-backend:7"
	taskDef8 = "arn:aws:ecs:us-east-1:111111111111:task-definition/classla-backend:8"
	image    = "111111111111.dkr.ecr.us-east-1.amazonaws.com/classla-backend@sha256:4f2a9c0e"
)

func deployed() Deploy {
	return Deploy{Service: "backend", Commit: "9f3c2e1a9f3c2e1a9f3c2e1a9f3c2e1a9f3c2e1a", Succeeded: true, Image: image,
		TaskDefBefore: taskDef7, TaskDefAfter: taskDef8, Duration: 95 * time.Second, DeploymentID: 12}
}

func rolledBack() Rollback {
	return Rollback{Service: "backend", Succeeded: true, DeploymentID: 14, GitHubDeploymentID: 9001, Duration: 41 * time.Second,
		From: RollbackDeployment{ID: 13, Commit: "b0b0b0b0b0b0b0b0", PR: 31, TaskDefinition: taskDef8},
		To:   RollbackDeployment{ID: 12, Commit: "9f3c2e1a9f3c2e1a", PR: 2, TaskDefinition: taskDef7}}
}

// hostile is text an attacker can get into an ECS event, an error or a name: it tries to close
// the details block, add HTML, mention a team, forge gantry's marker and break a table.
const hostile = "</details><img src=x onerror=alert(1)> @org/team <!-- gantry:project=x --> | `tick` ```fence"

func TestGoldenDeployComments(t *testing.T) {
	t.Parallel()
	failed := deployed()
	failed.Succeeded, failed.Duration = false, 0
	failed.Error = "service classla-backend: rolled back by the deployment circuit breaker"
	failed.Events = []string{
		"(service classla-backend) rolling back to deployment ecs-svc/1",
		"(service classla-backend) has started 1 tasks: (task 3f2e).\n(essential container exited)",
	}
	rollbackFailed := rolledBack()
	rollbackFailed.Succeeded, rollbackFailed.Duration = false, 0
	rollbackFailed.Error = "waiting for classla-backend: task failed ELB health checks"
	rollbackFailed.Events = []string{"(service classla-backend) (port 8080) is unhealthy in target-group classla-backend"}
	hostileDeploy := Deploy{Service: "back`end", Commit: "0123456789abcdef", Image: "repo|x@sha256:" + hostile,
		TaskDefBefore: "task-definition/" + hostile, TaskDefAfter: "task-definition/fam|ily:9", DeploymentID: 3,
		Error: hostile, Events: []string{hostile, "second\r\nline"}, Changes: []string{"container app: environment " + hostile + " added"}}
	withChanges := deployed()
	withChanges.Changes = []string{"memory 1024 → 2048", "container app: environment LOG_LEVEL added",
		"container app: secret DATABASE_URL changed"}
	unhealthy := deployed()
	unhealthy.Succeeded, unhealthy.Duration = false, 0
	unhealthy.Error = "deployment unhealthy: target group classla-backend target 10.0.1.11:8080 is unhealthy " +
		"(Target.ResponseCodeMismatch: Health checks failed with these codes: [502]): check the target group's health check " +
		"(path, port, codes) and the security groups between the load balancer and the tasks"
	comments := map[string]string{
		"deploy_success.md":   DeployMarkdown(deployed()),
		"deploy_failed.md":    DeployMarkdown(failed),
		"deploy_hostile.md":   DeployMarkdown(hostileDeploy),
		"deploy_changes.md":   DeployMarkdown(withChanges),
		"deploy_unhealthy.md": DeployMarkdown(unhealthy),
		"rollback_success.md": RollbackMarkdown(rolledBack()),
		"rollback_failed.md":  RollbackMarkdown(rollbackFailed),
		"deploy_held.md": DeployHeldMarkdown(DeployHeld{Service: "backend", Commit: "9f3c2e1a9f3c2e1a", PR: 2,
			Applies: []HeldApply{{Project: "production", Reason: "drift"}, {Project: "staging", Reason: "failed"},
				{Project: "dns", Reason: "requirements"}}}),
		"deploy_held_push.md": DeployHeldMarkdown(DeployHeld{Service: "backend", Commit: "9f3c2e1a9f3c2e1a",
			Applies: []HeldApply{{Project: "production", Reason: "cost"}}}),
		"config_push.check": ConfigCheckRun(".gantry.yaml", ".gantry.yaml:5:14: projects[0].apply.on: must be merge or comment\n"+
			".gantry.yaml:6:5: projects[0].bogus: unknown field").Summary,
	}
	for name, got := range comments {
		t.Run(name+" reads as reviewed", func(t *testing.T) {
			t.Parallel()
			checkGolden(t, name, got)
		})
	}
}

// liveText is what GitHub interprets in md: the lines outside fenced blocks, code spans blanked.
func liveText(md string) string {
	var out []string
	for _, l := range outsideFences(md) {
		out = append(out, withoutCodeSpans(l))
	}
	return strings.Join(out, "\n")
}

func TestAnECSEventCannotAddHTMLMentionATeamOrForgeAMarker(t *testing.T) {
	t.Parallel()
	failed := deployed()
	failed.Succeeded, failed.Error, failed.Events = false, "deploy failed: "+hostile, []string{hostile, "(service x) " + hostile}
	failed.TaskDefBefore, failed.Image = "task-definition/"+hostile, hostile
	rollback := rolledBack()
	rollback.Succeeded, rollback.Error, rollback.Events = false, hostile, []string{hostile}
	rollback.From.TaskDefinition = "task-definition/" + hostile
	held := DeployHeldMarkdown(DeployHeld{Service: "backend", Commit: "9f3c2e1", PR: 2, Applies: []HeldApply{{Project: hostile, Reason: hostile}}})
	for name, md := range map[string]string{"deployment": DeployMarkdown(failed), "rollback": RollbackMarkdown(rollback), "held": held} {
		t.Run("the "+name+" comment", func(t *testing.T) {
			t.Parallel()
			live := liveText(md)
			for _, bad := range []string{"<img", "@org/team", "<!--"} {
				if strings.Contains(live, bad) {
					t.Errorf("%q is live in the comment:\n%s", bad, md)
				}
			}
			if n, want := strings.Count(live, "</details>"), strings.Count(live, "<details>"); n != want {
				t.Errorf("%d </details> outside code for %d <details>: the events closed gantry's block:\n%s", n, want, md)
			}
			if strings.Contains(md, "<!-- gantry:") {
				t.Errorf("a gantry marker can be found in the comment:\n%s", md)
			}
			// Every row of a table has as many cells as its header: a pipe in a value is escaped.
			borders := regexp.MustCompile(`(^|[^\\])\|`)
			header := -1
			for _, l := range strings.Split(md, "\n") {
				if !strings.HasPrefix(l, "|") {
					header = -1
					continue
				}
				n := len(borders.FindAllString(strings.ReplaceAll(l, "||", "| |"), -1))
				if header < 0 {
					header = n
				} else if n != header {
					t.Errorf("row %q has %d cell borders, its header %d", l, n, header)
				}
			}
		})
	}
}
