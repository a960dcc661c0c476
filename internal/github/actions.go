package github

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// dispatchRequest is the body of POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches.
// go-github v62 predates return_run_details and drops the answer, so the call is made by hand.
type dispatchRequest struct {
	Ref              string            `json:"ref"`
	Inputs           map[string]string `json:"inputs,omitempty"`
	ReturnRunDetails bool              `json:"return_run_details,omitempty"`
}

// DispatchWorkflow starts the workflow file (its name in .github/workflows, such as gantry.yml) of repo on
// ref with inputs, and returns the id of the run GitHub started. It asks GitHub for the id
// (return_run_details); a server that refuses the field (GitHub Enterprise Server releases that predate
// it) is asked again without it, and then runID is 0: the run happened, GitHub did not say which.
//
// A dispatch is never retried otherwise: after a 5xx or a lost answer GitHub may have started the run,
// and a second dispatch would run the job twice. Errors say what to fix: a missing workflow file or
// disabled Actions (404), a missing Actions permission (403), or GitHub's own words for a workflow that
// refuses the dispatch (422: no workflow_dispatch trigger, an input it does not declare).
func (c *Client) DispatchWorkflow(ctx context.Context, repo Repo, file, ref string, inputs map[string]string) (runID int64, err error) {
	if file == "" || strings.ContainsAny(file, `/\`) {
		return 0, fmt.Errorf("dispatching a workflow on %s: %q is not a workflow file name: give the name of the file in .github/workflows, such as gantry.yml", repo, file)
	}
	req := dispatchRequest{Ref: ref, Inputs: inputs, ReturnRunDetails: true}
	runID, err = c.dispatch(ctx, repo, file, req)
	if err != nil && refusesRunDetails(err) {
		// The server refused the request before dispatching anything, so asking again cannot run the
		// job twice.
		req.ReturnRunDetails = false
		runID, err = c.dispatch(ctx, repo, file, req)
	}
	if err != nil {
		return 0, dispatchError(repo, file, ref, inputs, err)
	}
	return runID, nil
}

func (c *Client) dispatch(ctx context.Context, repo Repo, file string, body dispatchRequest) (int64, error) {
	req, err := c.gh.NewRequest("POST", fmt.Sprintf("repos/%s/%s/actions/workflows/%s/dispatches",
		url.PathEscape(repo.Owner), url.PathEscape(repo.Name), url.PathEscape(file)), body)
	if err != nil {
		return 0, err
	}
	// 200 with the run's id when return_run_details was honoured; 204 and no body otherwise.
	var answer struct {
		WorkflowRunID int64 `json:"workflow_run_id"`
	}
	if _, err := c.gh.Do(ctx, req, &answer); err != nil {
		return 0, redact(err)
	}
	return answer.WorkflowRunID, nil
}

// refusesRunDetails reports whether err is a server refusing the return_run_details field as unknown:
// GitHub Enterprise Server answers 422 (some proxies 400) with `"return_run_details" is not a permitted
// key.`
func refusesRunDetails(err error) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return false
	}
	if s := er.Response.StatusCode; s != http.StatusBadRequest && s != http.StatusUnprocessableEntity {
		return false
	}
	if strings.Contains(er.Message, "return_run_details") {
		return true
	}
	for _, e := range er.Errors {
		if e.Field == "return_run_details" || strings.Contains(e.Message, "return_run_details") {
			return true
		}
	}
	return false
}

// dispatchError says why a dispatch failed and what to change so the next one succeeds. Only GitHub's
// answers to the dispatch itself get advice: a failure to mint the installation token says so on its own.
func dispatchError(repo Repo, file, ref string, inputs map[string]string, err error) error {
	what := fmt.Sprintf("dispatching workflow %s on %s at %s", file, repo, ref)
	var er *gh.ErrorResponse
	if !IsRateLimit(err) && errors.As(err, &er) && er.Response != nil {
		switch er.Response.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("%s: GitHub finds no such workflow, or Actions is disabled for the repository: "+
				"add .github/workflows/%s to the default branch — `gantry setup workflow` prints it — and enable Actions: %w",
				what, file, err)
		case http.StatusForbidden:
			return fmt.Errorf("%s: GitHub refused (403): the GitHub App lacks the Actions write permission; "+
				"grant it \"Actions: Read and write\" in the App's settings and accept the new permission for the installation: %w",
				what, err)
		case http.StatusUnprocessableEntity, http.StatusBadRequest:
			needs := "`on: workflow_dispatch`"
			if len(inputs) > 0 {
				needs += " declaring the inputs " + inputNames(inputs)
			}
			return fmt.Errorf("%s: GitHub refused the dispatch: %s (the workflow needs %s; `gantry setup workflow` prints one that does): %w",
				what, githubMessage(er), needs, err)
		}
	}
	if er != nil && er.Response != nil && er.Response.StatusCode >= 500 {
		return fmt.Errorf("%s (not retried: GitHub may have started the run, and a second dispatch would run the job twice): %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// githubMessage is GitHub's explanation in an error answer: its message and those of its errors.
func githubMessage(er *gh.ErrorResponse) string {
	parts := []string{strings.Join(strings.Fields(er.Message), " ")}
	for _, e := range er.Errors {
		if e.Message != "" {
			parts = append(parts, e.Message)
		}
	}
	return strings.Join(parts, "; ")
}

// inputNames lists the names of inputs for a reader: "job_id and environment".
func inputNames(inputs map[string]string) string {
	names := slices.Sorted(maps.Keys(inputs))
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
