package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/testing/awsfake"
	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/testing/s3fake"
	"github.com/classla/gantry/internal/testing/sandboxtest"
)

// A server killed with SIGKILL (Terraform with it) at random moments while pull requests plan and
// merges apply, and restarted each time on its data directory: afterwards no check run and no
// GitHub Deployment is left queued or in progress, each job cut off is reported once, and no merge
// commit is applied twice. The seed of the moments is printed when the test fails.
func TestAServerKilledAtRandomMomentsLeavesNothingInProgress(t *testing.T) {
	t.Parallel()
	const prs, kills = 4, 3
	projects := make([]string, prs)
	for i := range projects {
		projects[i] = fmt.Sprintf("p%d", i)
	}
	seed := uint64(time.Now().UnixNano())
	dataDir := sandboxtest.Reachable(t, t.TempDir())
	// The first pull request also changes the backend, deployed after p0's apply.
	_, ecr, ecs, base := backendWorld(t)
	sts := awsfake.NewSTS(t)
	sts.AllowRole(deployRole, webToken)
	tokenFile := filepath.Join(t.TempDir(), "token")
	writeFile(t, tokenFile, webToken)
	rs := startServers(t, 1, seed, dataDir, map[string]string{
		"AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ENDPOINT_URL_STS": sts.URL(),
		"AWS_ENDPOINT_URL_ECR": ecr.URL(), "AWS_ENDPOINT_URL_ECS": ecs.URL(),
		"GANTRY_BUILDER": "oci", "GANTRY_ECS_POLL_INTERVAL": "300ms",
	}, func(s3 *s3fake.Server, flavor string) string {
		return multiProjectConfig(s3, flavor, projects...) + strings.Replace(backendService(base), "after: [production]", "after: [p0]", 1)
	})
	applyLog := filepath.Join(sandboxtest.Shared(t), "applies.log")
	restart := func() {
		time.Sleep(time.Duration(rs.rng.IntN(1500)) * time.Millisecond)
		rs.replicas[len(rs.replicas)-1].kill()
		rs.start()
	}
	type pull struct {
		pr           githubfake.PR
		file, merged string
	}
	var pulls []pull
	for i, p := range projects {
		file := "terraform/" + p + "/main.tf"
		head, merged := sha40("a", i), sha40("b", i)
		files := []string{file}
		headFiles := map[string]string{file: serialApply(head, applyLog)}
		mergedFiles := map[string]string{file: serialApply(merged, applyLog)}
		if i == 0 {
			files = append(files, "backend/server.js")
			headFiles["backend/server.js"], mergedFiles["backend/server.js"] = "console.log(1)\n", "console.log(1)\n"
		}
		rs.gh.SetTarball(e2eRepo, head, headFiles)
		rs.gh.SetTarball(e2eRepo, merged, mergedFiles)
		pulls = append(pulls, pull{githubfake.PR{Number: 300 + i, User: "alice", HeadSHA: head, Files: files}, file, merged})
	}
	for _, p := range pulls {
		rs.pullRequest("opened", p.pr, 0)
	}
	for range kills {
		restart()
	}
	rs.waitIdle(3 * time.Minute)
	// A plan cut off is planned again by the user, as its report says.
	for i, p := range pulls {
		marker := "<!-- gantry:project=" + projects[i] + " -->"
		if !planShown(rs, p.pr.Number, marker) {
			rs.comment(p.pr.Number, "/plan -p "+projects[i], 0)
			rs.waitComment(p.pr.Number, marker, contains("Plan: 1 to add"))
		}
	}
	rs.waitIdle(3 * time.Minute)
	for _, p := range pulls {
		pr := p.pr
		pr.State, pr.Merged, pr.MergeCommitSHA = "closed", true, p.merged
		rs.pullRequest("closed", pr, 0)
		rs.push(p.merged, p.file, []int{pr.Number}, 0)
	}
	for range kills {
		restart()
	}
	rs.waitIdle(3 * time.Minute)
	// Until the user asks, no merge commit is applied twice.
	started := applies(t, applyLog, "start")
	for sha, n := range started {
		if n > 1 {
			t.Errorf("%s was applied %d times without being asked again", shortSHA(sha), n)
		}
	}
	// An apply cut off waits for /apply; once asked, every merge is applied. The first round is
	// cut off again, while the applies and the backend's deployment after p0 run.
	for round := range 3 {
		for i, p := range pulls {
			if applies(t, applyLog, "end")[p.merged] == 0 {
				rs.comment(p.pr.Number, "/apply -p "+projects[i], 0)
			}
		}
		if round == 0 {
			restart()
		}
		rs.waitIdle(3 * time.Minute)
	}
	done := applies(t, applyLog, "end")
	for _, p := range pulls {
		if done[p.merged] == 0 {
			t.Errorf("the merge %s of #%d was never applied, even after /apply", shortSHA(p.merged), p.pr.Number)
		}
	}

	for _, cr := range rs.gh.CheckRuns(e2eRepo) {
		if cr.Status != "completed" {
			t.Errorf("check run %s at %s is left %s", cr.Name, shortSHA(cr.HeadSHA), cr.Status)
		}
	}
	backend := 0
	for _, d := range rs.gh.Deployments(e2eRepo) {
		if d.Environment == "backend" {
			backend++
		}
		last := ""
		for _, s := range rs.gh.DeploymentStatuses(d.ID) {
			last = s.State
		}
		if last == "" || last == "queued" || last == "in_progress" || last == "pending" {
			t.Errorf("deployment %d (%s at %s) is left %q", d.ID, d.Environment, shortSHA(d.SHA), last)
		}
	}
	// Each job cut off is reported on its pull request once: a reply, or its own comment updated
	// in place (which a later plan of the project may since have replaced).
	jobs, err := rs.st.ListJobs(t.Context(), store.JobFilter{States: []store.JobState{store.Failed}})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.PR == 0 || !strings.Contains(j.Error, "stopped") {
			continue
		}
		objs, err := rs.st.GitHubObjects(t.Context(), j.ID)
		if err != nil {
			t.Fatal(err)
		}
		recorded := 0
		for _, o := range objs {
			if o.Name == store.CutOffReport {
				recorded++
			}
		}
		shown := 0
		for _, c := range rs.gh.Comments(e2eRepo, j.PR) {
			if strings.Contains(c.Body, "did not finish") && strings.Contains(c.Body, fmt.Sprintf("job %d.", j.ID)) {
				shown++
			}
		}
		if recorded != 1 || shown > 1 {
			t.Errorf("job %d (%s), cut off, was reported %d times (%d comments show it) on #%d, want once", j.ID, j.Kind, recorded, shown, j.PR)
		}
	}
	// backend may have no deployment at all: a deployment job cut off before it opened one is, like an
	// apply, never run again by itself (gantry deploy or the next merge deploys it).
	t.Logf("%d servers killed; %d jobs cut off; %d backend deployments; applies started %v", 2*kills+1, len(jobs), backend, started)
}

// planShown reports whether pr's comment with marker shows a plan.
func planShown(rs *replicaSet, pr int, marker string) bool {
	for _, c := range rs.gh.Comments(e2eRepo, pr) {
		if strings.HasPrefix(c.Body, marker) && strings.Contains(c.Body, "Plan: 1 to add") {
			return true
		}
	}
	return false
}

// applies counts, per commit, the lines of the apply log that begin with word ("start", "end").
func applies(t *testing.T, log, word string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	out := map[string]int{}
	words := strings.Fields(string(b))
	for n := 0; n+1 < len(words); n += 2 {
		if words[n] == word {
			out[words[n+1]]++
		}
	}
	return out
}
