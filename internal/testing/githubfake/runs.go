package githubfake

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// RepoID is the numeric id GitHub gives repo: the one its API answers and a workflow's OIDC token carries
// as repository_id.
func (s *Server) RepoID(repo string) int64 {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustRepo(repo).id
}

// runConclusions are the conclusions GitHub gives a completed workflow run; jobs take the same but
// stale and startup_failure.
var (
	runConclusions = []string{"action_required", "cancelled", "failure", "neutral", "skipped", "stale", "startup_failure", "success", "timed_out"}
	jobConclusions = []string{"action_required", "cancelled", "failure", "neutral", "skipped", "success", "timed_out"}
)

// workflowName is the name the fake gives every workflow: the shipped workflow is called gantry.
const workflowName = "gantry"

// jobName is the name of the one job of a dispatched run.
const jobName = "run"

// WorkflowRunCompleted is the payload of the workflow_run webhook GitHub sends, action completed, when
// the run d started ends with conclusion (success, failure, cancelled, timed_out, …). Its shape is that of
// GitHub's deliveries; the run is d's, on the branch d.Ref (refs/heads/ removed, as GitHub reports it),
// in d's repository, for the installation whose token dispatched it (0 for a Dispatch the fake did not
// record).
func (s *Server) WorkflowRunCompleted(d Dispatch, conclusion string) []byte {
	s.t.Helper()
	if !slices.Contains(runConclusions, conclusion) {
		s.t.Errorf("githubfake: %q is not a conclusion of a workflow run (%v)", conclusion, runConclusions)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(d.Repo)
	if r == nil {
		s.t.Errorf("githubfake: repository %q of the dispatch was not added", d.Repo)
		return nil
	}
	api := fmt.Sprintf("%srepos/%s", s.URL(), r.fullName())
	runAPI := fmt.Sprintf("%s/actions/runs/%d", api, d.RunID)
	workflowID := s.workflowID(r, d.Workflow)
	suiteID := s.stableID(fmt.Sprintf("suite:run:%d", d.RunID))
	branch := strings.TrimPrefix(d.Ref, "refs/heads/")
	headSHA := fakeSHA(r.fullName() + "@" + branch)
	started := now()
	bot := s.botJSON()
	run := object{
		"id": d.RunID, "name": workflowName, "node_id": nodeID("WFR", d.RunID),
		"head_branch": branch, "head_sha": headSHA, "path": ".github/workflows/" + d.Workflow,
		"display_title": workflowName, "run_number": d.RunID % 1000, "run_attempt": 1,
		"event": "workflow_dispatch", "status": "completed", "conclusion": conclusion,
		"workflow_id": workflowID, "check_suite_id": suiteID, "check_suite_node_id": nodeID("CS", suiteID),
		"url": runAPI, "html_url": fmt.Sprintf("%s%s/actions/runs/%d", webURL, r.fullName(), d.RunID),
		"pull_requests": []any{}, "referenced_workflows": []any{},
		"created_at": ts(started), "updated_at": ts(started), "run_started_at": ts(started),
		"actor": bot, "triggering_actor": bot,
		"jobs_url": runAPI + "/jobs", "logs_url": runAPI + "/logs", "artifacts_url": runAPI + "/artifacts",
		"cancel_url": runAPI + "/cancel", "rerun_url": runAPI + "/rerun", "previous_attempt_url": nil,
		"check_suite_url": fmt.Sprintf("%s/check-suites/%d", api, suiteID),
		"workflow_url":    fmt.Sprintf("%s/actions/workflows/%d", api, workflowID),
		"head_commit": object{
			"id": headSHA, "tree_id": fakeSHA("tree:" + headSHA), "message": "Update " + branch,
			"timestamp": ts(started),
			"author":    object{"name": "Mona Lisa", "email": "octocat@github.com"},
			"committer": object{"name": "GitHub", "email": "noreply@github.com"},
		},
		"repository": s.repoJSON(r.fullName()), "head_repository": s.repoJSON(r.fullName()),
	}
	return s.webhook(r, d, "workflow_run", run, object{"workflow": s.workflowJSON(r, d.Workflow)})
}

// WorkflowJobCompleted is the payload of the workflow_job webhook GitHub sends, action completed, when the
// one job of the run d started ends with conclusion.
func (s *Server) WorkflowJobCompleted(d Dispatch, conclusion string) []byte {
	s.t.Helper()
	if !slices.Contains(jobConclusions, conclusion) {
		s.t.Errorf("githubfake: %q is not a conclusion of a workflow job (%v)", conclusion, jobConclusions)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(d.Repo)
	if r == nil {
		s.t.Errorf("githubfake: repository %q of the dispatch was not added", d.Repo)
		return nil
	}
	api := fmt.Sprintf("%srepos/%s", s.URL(), r.fullName())
	id := s.stableID(fmt.Sprintf("job:run:%d", d.RunID))
	branch := strings.TrimPrefix(d.Ref, "refs/heads/")
	at := now()
	job := object{
		"id": id, "run_id": d.RunID, "run_url": fmt.Sprintf("%s/actions/runs/%d", api, d.RunID), "run_attempt": 1,
		"node_id": nodeID("CR", id), "head_sha": fakeSHA(r.fullName() + "@" + branch), "head_branch": branch,
		"url":      fmt.Sprintf("%s/actions/jobs/%d", api, id),
		"html_url": fmt.Sprintf("%s%s/actions/runs/%d/job/%d", webURL, r.fullName(), d.RunID, id),
		"status":   "completed", "conclusion": conclusion,
		"created_at": ts(at), "started_at": ts(at), "completed_at": ts(at),
		"name": jobName, "workflow_name": workflowName,
		"steps": []any{
			object{"name": "Set up job", "status": "completed", "conclusion": "success", "number": 1, "started_at": ts(at), "completed_at": ts(at)},
			object{"name": "gantry run", "status": "completed", "conclusion": conclusion, "number": 2, "started_at": ts(at), "completed_at": ts(at)},
		},
		"check_run_url": fmt.Sprintf("%s/check-runs/%d", api, id),
		"labels":        []string{"ubuntu-latest"}, "runner_id": 5, "runner_name": "GitHub Actions 5",
		"runner_group_id": 2, "runner_group_name": "GitHub Actions",
	}
	return s.webhook(r, d, "workflow_job", job, nil)
}

// webhook wraps the event's object (under key) with what every delivery of an installed App carries.
func (s *Server) webhook(r *repoState, d Dispatch, key string, v object, extra object) []byte {
	payload := object{
		"action": "completed", key: v,
		"repository":   s.repoJSON(r.fullName()),
		"organization": s.orgJSON(r.owner),
		"sender":       s.botJSON(),
		"installation": object{"id": s.runs[d.RunID], "node_id": nodeID("IN", s.runs[d.RunID])},
	}
	for k, e := range extra {
		payload[k] = e
	}
	b, err := json.Marshal(payload)
	if err != nil {
		s.t.Errorf("githubfake: encoding the %s payload: %v", key, err)
	}
	return b
}

func (s *Server) workflowID(r *repoState, file string) int64 {
	return s.stableID("workflow:" + strings.ToLower(r.fullName()) + "/" + file)
}

func (s *Server) workflowJSON(r *repoState, file string) object {
	id := s.workflowID(r, file)
	created := r.createdAt
	return object{
		"id": id, "node_id": nodeID("W", id), "name": workflowName, "path": ".github/workflows/" + file,
		"state": "active", "created_at": ts(created), "updated_at": ts(created),
		"url":       fmt.Sprintf("%srepos/%s/actions/workflows/%d", s.URL(), r.fullName(), id),
		"html_url":  fmt.Sprintf("%s%s/blob/%s/.github/workflows/%s", webURL, r.fullName(), r.defaultBranch, file),
		"badge_url": fmt.Sprintf("%s%s/workflows/%s/badge.svg", webURL, r.fullName(), workflowName),
	}
}

func (s *Server) orgJSON(login string) object {
	id := s.stableID("user:" + strings.ToLower(login))
	api := s.URL() + "orgs/" + login
	return object{
		"login": login, "id": id, "node_id": nodeID("O", id), "url": api,
		"repos_url": api + "/repos", "events_url": api + "/events", "hooks_url": api + "/hooks",
		"issues_url": api + "/issues", "members_url": api + "/members{/member}",
		"public_members_url": api + "/public_members{/member}",
		"avatar_url":         fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id), "description": "",
	}
}
