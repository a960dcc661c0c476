package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/postgres"
	"github.com/classla/gantry/internal/store/sqlite"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/testing/pgtest"
	"github.com/classla/gantry/internal/testing/s3fake"
	"github.com/classla/gantry/internal/testing/sandboxtest"
)

// replica is one `gantry serve` process (this test binary as the CLI) of a replica set.
type replica struct {
	cmd  *exec.Cmd
	base string
	logs *syncBuffer
	done chan struct{}
}

// replicaSet is several gantry servers on one PostgreSQL database, with the fakes they share.
type replicaSet struct {
	t        *testing.T
	gh       *githubfake.Server
	s3       *s3fake.Server
	dbURL    string
	st       store.Store // the test's own view of the database
	replicas []*replica
	vars     map[string]string

	// sharedDataDir, when set, is the one data directory every server of the set uses in turn.
	sharedDataDir string

	mu   sync.Mutex
	rng  *rand.Rand
	seed uint64
	sent int // deliveries sent, duplicates included
	ids  int
}

// startReplicas starts n servers on a new database, for a repository whose .gantry.yaml is cfg
// (given the S3 fake and Terraform's flavor).
func startReplicas(t *testing.T, n int, seed uint64, cfg func(s3 *s3fake.Server, flavor string) string) *replicaSet {
	t.Helper()
	return startServers(t, n, seed, "", nil, cfg)
}

// startServers is startReplicas on the database of dataDir's SQLite file when dataDir is not
// empty: one server at a time, which keeps its data directory across restarts.
func startServers(t *testing.T, n int, seed uint64, dataDir string, extra map[string]string, cfg func(s3 *s3fake.Server, flavor string) string) *replicaSet {
	t.Helper()
	bin := os.Getenv("GANTRY_TERRAFORM_BIN")
	if bin == "" {
		t.Fatal("GANTRY_TERRAFORM_BIN is not set: run the tests with `make test`, which builds the binary into bin/")
	}
	s3 := s3fake.New(t)
	s3.Bucket("tfstate")
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	fake.SetPermission(e2eRepo, "alice", "write")
	fake.SetFile(e2eRepo, "main", ".gantry.yaml", cfg(s3, "terraform"))
	var st store.Store
	var dbURL string
	var err error
	if dataDir != "" {
		dbURL = "sqlite://" + filepath.Join(dataDir, "gantry.db")
		st, err = sqlite.Open(t.Context(), filepath.Join(dataDir, "gantry.db"))
	} else {
		dbURL = pgtest.NewDatabase(t)
		st, err = postgres.Open(t.Context(), dbURL)
	}
	if err != nil {
		t.Fatalf("open the database: %v", err)
	}
	t.Cleanup(func() { st.Close() })

	vars := serverEnv(t, fake)
	vars["GANTRY_TERRAFORM_BIN"] = reachableBinary(t, bin)
	vars["GANTRY_DATABASE_URL"] = dbURL
	// Check runs then link to their job (details_url), which tells whether one job made two.
	vars["GANTRY_PUBLIC_URL"] = "https://gantry.example.com"
	if dataDir != "" {
		vars["GANTRY_DATA_DIR"] = dataDir
	}
	maps.Copy(vars, extra)
	rs := &replicaSet{t: t, gh: fake, s3: s3, dbURL: dbURL, st: st, vars: vars, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b9)), seed: seed,
		sharedDataDir: dataDir}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d", seed)
			for i, r := range rs.replicas {
				t.Logf("replica %d logs:\n%s", i, r.logs)
			}
		}
	})
	for range n {
		rs.start()
	}
	return rs
}

// start runs one more replica and waits until it is ready.
func (rs *replicaSet) start() *replica {
	t := rs.t
	t.Helper()
	addr := freeAddr(t)
	env := []string{asCLI + "=1", "GANTRY_ADDR=" + addr, "HOME=" + t.TempDir()}
	for k, v := range rs.vars {
		if k == "GANTRY_DATA_DIR" && rs.sharedDataDir == "" {
			v = sandboxtest.Reachable(t, t.TempDir()) // each replica has its own disk
		}
		if k != "GANTRY_ADDR" {
			env = append(env, k+"="+v)
		}
	}
	r := &replica{base: "http://" + addr, logs: &syncBuffer{}, done: make(chan struct{})}
	r.cmd = exec.Command(os.Args[0], "serve")
	r.cmd.Env, r.cmd.Stdout, r.cmd.Stderr = env, r.logs, r.logs
	// Its own process group, so that a kill takes Terraform with it, as a crashed container would.
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start a replica: %v", err)
	}
	go func() { r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(40 * time.Second):
			syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
			<-r.done
		}
		assertNoSecrets(t, r.logs.String(), rs.gh)
	})
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(r.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-r.done:
			t.Fatalf("a replica stopped at start:\n%s", r.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("a replica did not become ready:\n%s", r.logs)
		}
	}
	rs.mu.Lock()
	rs.replicas = append(rs.replicas, r)
	rs.mu.Unlock()
	return r
}

// kill ends r and its Terraform with SIGKILL, as a crash would.
func (r *replica) kill() {
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	<-r.done
}

// deliver sends one delivery to a random live replica and, with probability dup, the same
// delivery again to another one, as GitHub's redelivery would.
func (rs *replicaSet) deliver(event string, body []byte, dup float64) {
	rs.t.Helper()
	rs.mu.Lock()
	rs.ids++
	id := fmt.Sprintf("replica-e2e-%d", rs.ids)
	var live []*replica
	for _, r := range rs.replicas {
		select {
		case <-r.done:
		default:
			live = append(live, r)
		}
	}
	first := rs.rng.IntN(len(live))
	again := -1
	if len(live) > 1 && rs.rng.Float64() < dup {
		again = (first + 1 + rs.rng.IntN(len(live)-1)) % len(live)
	}
	rs.mu.Unlock()
	rs.send(live[first], event, id, body, http.StatusAccepted)
	if again >= 0 {
		rs.send(live[again], event, id, body, http.StatusOK)
	}
}

func (rs *replicaSet) send(r *replica, event, id string, body []byte, want int) {
	rs.t.Helper()
	req := fixtures.Request([]byte(webhookSecret), event, id, body)
	req.RequestURI, req.URL.Scheme, req.URL.Host = "", "http", strings.TrimPrefix(r.base, "http://")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		rs.t.Errorf("delivery %s: %v", id, err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		rs.t.Errorf("delivery %s (%s) answered %d, want %d", id, event, resp.StatusCode, want)
	}
	rs.mu.Lock()
	rs.sent++
	rs.mu.Unlock()
}

// count is how many deliveries were sent, duplicates included.
func (rs *replicaSet) count() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.sent
}

func (rs *replicaSet) pullRequest(action string, pr githubfake.PR, dup float64) {
	rs.gh.AddPullRequest(e2eRepo, pr)
	merged := action == "closed"
	body := fixtures.Edit(rs.t, fixtures.Webhook(rs.t, "pull_request.opened.2"), map[string]any{
		"action": action, "number": pr.Number, "installation": map[string]any{"id": 77},
		"pull_request.number": pr.Number, "pull_request.head.sha": pr.HeadSHA, "pull_request.user.login": pr.User,
		"pull_request.state": map[bool]string{true: "closed", false: "open"}[merged], "pull_request.merged": merged,
		"pull_request.merge_commit_sha": pr.MergeCommitSHA, "pull_request.base.ref": "main",
		"pull_request.head.repo.full_name": e2eRepo, "repository.full_name": e2eRepo,
		"repository.default_branch": "main", "sender.login": pr.User,
	})
	rs.deliver("pull_request", body, dup)
}

func (rs *replicaSet) comment(pr int, text string, dup float64) {
	body := fixtures.Edit(rs.t, fixtures.Webhook(rs.t, "issue_comment.created.1"), map[string]any{
		"installation": map[string]any{"id": 77}, "repository.full_name": e2eRepo,
		"issue.number": pr, "issue.pull_request": map[string]any{"url": "x"},
		"comment.body": text, "comment.user.login": "alice", "sender.login": "alice",
	})
	rs.deliver("issue_comment", body, dup)
}

// push delivers the push of sha to main, touching file; prs are the merged pull requests the
// commit belongs to (none: a direct push).
func (rs *replicaSet) push(sha, file string, prs []int, dup float64) {
	rs.gh.SetCommit(e2eRepo, sha, []string{file}, prs)
	body := fixtures.Edit(rs.t, fixtures.Webhook(rs.t, "push.event.2"), map[string]any{
		"installation": map[string]any{"id": 77}, "ref": "refs/heads/main", "after": sha, "deleted": false,
		"repository.default_branch": "main", "repository.full_name": e2eRepo,
		"commits": []any{map[string]any{"id": sha, "added": []any{}, "removed": []any{}, "modified": []any{file}}},
	})
	rs.deliver("push", body, dup)
}

// waitComment waits until a comment on pr with marker satisfies ok.
func (rs *replicaSet) waitComment(pr int, marker string, ok func(string) bool) {
	rs.t.Helper()
	var last []githubfake.Comment
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		last = rs.gh.Comments(e2eRepo, pr)
		for _, c := range last {
			if strings.HasPrefix(c.Body, marker) && ok(c.Body) {
				return
			}
		}
	}
	rs.t.Fatalf("no comment %s as expected on #%d; comments: %+v", marker, pr, last)
}

// waitIdle waits until the database holds no queued or running job.
func (rs *replicaSet) waitIdle(within time.Duration) {
	rs.t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		jobs, err := rs.st.ListJobs(context.Background(), store.JobFilter{States: []store.JobState{store.Queued, store.Running}})
		if err == nil && len(jobs) == 0 {
			return
		}
	}
	jobs, _ := rs.st.ListJobs(context.Background(), store.JobFilter{States: []store.JobState{store.Queued, store.Running}})
	rs.t.Fatalf("jobs still queued or running: %+v", jobs)
}

// multiProjectConfig is a .gantry.yaml with each project NAME in terraform/NAME, its state in
// the S3 fake.
func multiProjectConfig(s3 *s3fake.Server, flavor string, names ...string) string {
	cfg := "version: 1\nprojects:\n"
	for _, n := range names {
		one := s3Project(s3, flavor, n, "")
		cfg += strings.TrimPrefix(one, "version: 1\nprojects:\n")
	}
	return cfg
}

// serialApply is a project whose every apply replaces one resource whose provisioner writes
// "start SHA" and, a moment later, "end SHA" to log: applies that overlapped interleave there.
func serialApply(sha, log string) string {
	return fmt.Sprintf(`resource "terraform_data" "apply" {
  triggers_replace = %q
  provisioner "local-exec" {
    command = "echo start %s >> %s; /bin/sleep 0.2; echo end %s >> %s"
  }
}
`, sha, sha, log, sha, log)
}

func shortSHA(sha string) string { return sha[:min(7, len(sha))] }

func sha40(prefix string, n int) string {
	s := fmt.Sprintf("%s%08x", prefix, n) // fixed width: no two (prefix, n) give one SHA
	return s + strings.Repeat("0", 40-len(s))
}

// Two replicas on one database take 500 deliveries — pull requests opened, pushed to, commented
// on and merged, direct pushes, and duplicates sent to the other replica — and every job runs
// exactly once, and the applies of one project one after the other.
func TestTwoReplicasRunEveryJobOnceAndApplyOneProjectAtATime(t *testing.T) {
	t.Parallel()
	const prs, directPushes, total = 5, 8, 500
	projects := []string{"shared"}
	for i := range prs {
		projects = append(projects, fmt.Sprintf("p%d", i))
	}
	rs := startReplicas(t, 2, uint64(time.Now().UnixNano()), func(s3 *s3fake.Server, flavor string) string {
		return multiProjectConfig(s3, flavor, projects...)
	})
	applyLog := filepath.Join(sandboxtest.Shared(t), "applies.log")

	var wg sync.WaitGroup
	// Pull requests, each on its own project: opened, pushed to twice, planned by comment,
	// chatted on, merged, and the merge's push.
	for i := range prs {
		wg.Go(func() {
			project := fmt.Sprintf("p%d", i)
			file := "terraform/" + project + "/main.tf"
			pr := githubfake.PR{Number: 100 + i, User: "alice", Files: []string{file}}
			heads := []string{sha40("a", i*10+1), sha40("a", i*10+2), sha40("a", i*10+3)}
			for n, h := range heads {
				rs.gh.SetTarball(e2eRepo, h, map[string]string{file: tfFiles(n + 1)})
			}
			merged := sha40("b", i)
			rs.gh.SetTarball(e2eRepo, merged, map[string]string{file: tfFiles(3)})
			pr.HeadSHA = heads[0]
			rs.pullRequest("opened", pr, 0.5)
			for _, h := range heads[1:] {
				pr.HeadSHA = h
				rs.pullRequest("synchronize", pr, 0.5)
			}
			rs.comment(pr.Number, "/plan -p "+project, 0.5)
			rs.comment(pr.Number, "looks good", 0.5)
			marker := "<!-- gantry:project=" + project + " -->"
			rs.waitComment(pr.Number, marker, contains("Plan: 3 to add", shortSHA(heads[2])))
			pr.State, pr.Merged, pr.MergeCommitSHA = "closed", true, merged
			rs.pullRequest("closed", pr, 0.5)
			rs.push(merged, file, []int{pr.Number}, 0.5)
		})
	}
	// Direct pushes to main, all to one project: their applies queue behind each other.
	shas := make([]string, directPushes)
	for n := range directPushes {
		shas[n] = sha40("c", n)
		rs.gh.SetTarball(e2eRepo, shas[n], map[string]string{"terraform/shared/main.tf": serialApply(shas[n], applyLog)})
	}
	wg.Go(func() {
		for _, sha := range shas {
			rs.push(sha, "terraform/shared/main.tf", nil, 0.5)
		}
	})
	wg.Wait()
	// The rest of the 500: chatter and its duplicates, which make no work.
	for rs.count() < total-1 {
		rs.comment(100+prs-1, "a comment that is not a command", 0.3)
	}
	if rs.count() < total {
		rs.comment(100, "one more comment", 0)
	}
	rs.waitIdle(5 * time.Minute)

	// Every job ran exactly once: one attempt each, none failed.
	jobs, err := rs.st.ListJobs(t.Context(), store.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	applies := map[string]int{}
	for _, j := range jobs {
		if j.Attempts > 1 {
			t.Errorf("job %d (%s %s) was claimed %d times", j.ID, j.Kind, shortSHA(j.SHA), j.Attempts)
		}
		if j.State == store.Failed {
			t.Errorf("job %d (%s) failed: %s", j.ID, j.Kind, j.Error)
		}
		if j.Kind == "apply" && j.State == store.Succeeded {
			applies[j.SHA]++
		}
	}
	// One apply per merge and per direct push, reported by one check run each; no check run is
	// created twice for one commit.
	want := prs + directPushes
	if len(applies) != want {
		t.Errorf("succeeded applies at %d commits, want %d: %v", len(applies), want, applies)
	}
	for sha, n := range applies {
		if n != 1 {
			t.Errorf("%s was applied %d times", shortSHA(sha), n)
		}
	}
	// A plan may run twice at one commit (autoplan, then /plan), but no job makes two check runs,
	// and each commit is applied once.
	seen := map[string]int{}
	applyRuns := 0
	for _, cr := range rs.gh.CheckRuns(e2eRepo) {
		if cr.DetailsURL == "" {
			t.Errorf("check run %s at %s links to no job", cr.Name, shortSHA(cr.HeadSHA))
		}
		seen[cr.DetailsURL]++
		if strings.HasPrefix(cr.Name, "gantry/apply: ") {
			seen[cr.Name+"@"+cr.HeadSHA]++
			applyRuns++
			if cr.Conclusion != "success" {
				t.Errorf("check run %s at %s: %s", cr.Name, shortSHA(cr.HeadSHA), cr.Conclusion)
			}
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s has %d check runs, want one", k, n)
		}
	}
	if applyRuns != want {
		t.Errorf("%d apply check runs, want %d", applyRuns, want)
	}
	// The shared project's applies never overlapped: its log alternates start and end of one
	// commit, every push once.
	b, err := os.ReadFile(applyLog)
	if err != nil {
		t.Fatalf("no apply wrote its log: %v", err)
	}
	words := strings.Fields(string(b))
	if len(words)%4 != 0 {
		t.Fatalf("the apply log is cut:\n%s", b)
	}
	var order []string
	for n := 0; n < len(words); n += 4 {
		if words[n] != "start" || words[n+2] != "end" || words[n+1] != words[n+3] {
			t.Fatalf("applies of one project overlapped:\n%s", b)
		}
		order = append(order, words[n+1])
	}
	slices.Sort(order)
	if fmt.Sprint(order) != fmt.Sprint(shas) {
		t.Errorf("the shared project applied %v, want each direct push once: %v", order, shas)
	}
	if rs.count() != total {
		t.Errorf("sent %d deliveries, want %d", rs.count(), total)
	}
}

// A replica killed (SIGKILL, Terraform with it) in the middle of an apply: once its lease has
// passed, the other replica reports the apply as cut off — an apply is never retried on its own —
// and nothing is applied twice.
func TestAReplicaKilledMidApplyIsReportedByTheOther(t *testing.T) {
	t.Parallel()
	rs := startReplicas(t, 2, uint64(time.Now().UnixNano()), func(s3 *s3fake.Server, flavor string) string {
		return multiProjectConfig(s3, flavor, "production")
	})
	marks := sandboxtest.Shared(t)
	started := filepath.Join(marks, "started")
	slow := fmt.Sprintf(`resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "/bin/touch %s; /bin/sleep 90"
  }
}
`, started)
	head, merged := sha40("d", 1), sha40("e", 1)
	file := "terraform/production/main.tf"
	rs.gh.SetTarball(e2eRepo, head, map[string]string{file: slow})
	rs.gh.SetTarball(e2eRepo, merged, map[string]string{file: slow})
	pr := githubfake.PR{Number: 200, User: "alice", HeadSHA: head, Files: []string{file}}
	rs.pullRequest("opened", pr, 0)
	rs.waitComment(200, "<!-- gantry:project=production -->", contains("Plan: 1 to add"))
	pr.State, pr.Merged, pr.MergeCommitSHA = "closed", true, merged
	rs.pullRequest("closed", pr, 0)
	rs.push(merged, file, []int{200}, 0)

	// Wait until Terraform is in the middle of the apply, then kill the replica running it.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(started); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the apply did not start")
		}
	}
	running, err := rs.st.ListJobs(t.Context(), store.JobFilter{States: []store.JobState{store.Running}, Kind: "apply"})
	if err != nil || len(running) != 1 {
		t.Fatalf("running applies: %+v, %v; want one", running, err)
	}
	owner := running[0].Owner
	var victim *replica
	for _, r := range rs.replicas {
		if strings.Contains(owner, fmt.Sprintf("-%d-", r.cmd.Process.Pid)) {
			victim = r
		}
	}
	if victim == nil {
		t.Fatalf("no replica owns the apply's claim %q", owner)
	}
	victim.kill()

	// The survivor reports it once the lease has run out.
	rs.waitIdle(3 * time.Minute)
	j, err := rs.st.GetJob(t.Context(), running[0].ID)
	if err != nil || j.State != store.Failed || j.Attempts != 1 {
		t.Fatalf("the cut-off apply is %+v, %v; want failed after one attempt", j, err)
	}
	rs.waitComment(200, "", contains("The project stays locked by this pull request. Comment `/apply` to apply again"))
	applies, _ := rs.st.ListJobs(t.Context(), store.JobFilter{Kind: "apply"})
	if len(applies) != 1 {
		t.Errorf("%d apply jobs for one merge, want 1: %+v", len(applies), applies)
	}
}
