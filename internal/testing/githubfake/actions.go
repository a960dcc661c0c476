package githubfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
)

// Dispatch is a workflow dispatch the fake accepted: one that would have started a run.
type Dispatch struct {
	Repo             string // "owner/name"
	Workflow         string // the workflow file name, e.g. gantry.yml
	Ref              string
	Inputs           map[string]string
	ReturnRunDetails bool  // the request asked for the run's id (return_run_details: true)
	RunID            int64 // the run's id, whether or not it was returned
}

// OnDispatch makes the fake call fn with every dispatch it accepts from now on, as GitHub starts a run:
// after the answer to the dispatch is written, outside the fake's lock and in a goroutine of its own, so fn
// may call the fake (with an ActionsToken, say) and run a subprocess that does. fn must not call
// WaitDispatched, and reports failures with t.Error, not t.Fatal. The fake waits for the calls running
// when the test ends, before it shuts down.
func (s *Server) OnDispatch(fn func(Dispatch)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDispatch = append(s.onDispatch, fn)
}

// WaitDispatched waits until no OnDispatch call is running: those started so far and any they lead to
// (a run that dispatches another) have returned.
func (s *Server) WaitDispatched() {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	for s.hooks > 0 {
		s.hooksIdle.Wait()
	}
}

// later schedules fn to run once c is answered (ServeHTTP starts it). It counts as running from now on,
// before the answer is written, so that a test that has the answer in hand and calls WaitDispatched waits
// for it.
func (c *call) later(fn func()) {
	s := c.s
	s.hooksMu.Lock()
	s.hooks++
	s.hooksMu.Unlock()
	c.after = append(c.after, fn)
}

// goHook runs fn, scheduled with later, in a goroutine of its own.
func (s *Server) goHook(fn func()) {
	go func() {
		defer func() {
			s.hooksMu.Lock()
			defer s.hooksMu.Unlock()
			s.hooks--
			if s.hooks == 0 {
				s.hooksIdle.Broadcast()
			}
		}()
		fn()
	}()
}

// AddWorkflow makes file (a workflow file name such as gantry.yml, as in .github/workflows/FILE) exist in
// repo with a workflow_dispatch trigger, so dispatches of it are accepted. Dispatches of any other file
// answer 404, as GitHub does for a workflow missing from the default branch.
func (s *Server) AddWorkflow(repo, file string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	if !slices.Contains(r.workflows, file) {
		r.workflows = append(r.workflows, file)
	}
}

// RefuseRunDetails makes repo's server act like one that predates return_run_details (GitHub Enterprise
// Server before the field existed): a dispatch carrying the field is refused with 422 and nothing runs;
// one without it is accepted with 204 and no body.
func (s *Server) RefuseRunDetails(repo string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustRepo(repo).refuseRunDetails = true
}

// Dispatches lists the workflow dispatches repo accepted, oldest first. Refused requests are not
// dispatches; Requests shows them.
func (s *Server) Dispatches(repo string) []Dispatch {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Dispatch
	for _, d := range s.mustRepo(repo).dispatches {
		d.Inputs = clone(d.Inputs)
		out = append(out, d)
	}
	return out
}

func clone(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// maxDispatchInputs is GitHub's limit on the inputs of one dispatch.
const maxDispatchInputs = 25

func (s *Server) createWorkflowDispatch(c *call) {
	r, ok := c.repoOr404()
	if !ok {
		return
	}
	var raw map[string]json.RawMessage
	if !c.decode(&raw) {
		return
	}
	_, asked := raw["return_run_details"]
	if asked && r.refuseRunDetails {
		c.fail(http.StatusUnprocessableEntity, "Invalid request.\n\n\"return_run_details\" is not a permitted key.")
		return
	}
	var req struct {
		Ref              string            `json:"ref"`
		Inputs           map[string]string `json:"inputs"`
		ReturnRunDetails bool              `json:"return_run_details"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		c.fail(http.StatusUnprocessableEntity, "Invalid request.\n\nFor 'properties/inputs', the values must be strings.")
		return
	}
	file := c.params["workflow_id"]
	switch {
	case !slices.Contains(r.workflows, file):
		c.fail(http.StatusNotFound, "Not Found")
		return
	case req.Ref == "":
		c.fail(http.StatusUnprocessableEntity, "Invalid request.\n\n\"ref\" wasn't supplied.")
		return
	case len(req.Inputs) > maxDispatchInputs:
		c.fail(http.StatusUnprocessableEntity, fmt.Sprintf("you may only define up to %d `inputs` for a `workflow_dispatch` event", maxDispatchInputs))
		return
	}
	d := Dispatch{
		Repo: r.fullName(), Workflow: file, Ref: req.Ref, Inputs: clone(req.Inputs),
		ReturnRunDetails: req.ReturnRunDetails, RunID: s.nextID(),
	}
	s.runs[d.RunID] = c.installation
	r.dispatches = append(r.dispatches, d)
	for _, fn := range s.onDispatch {
		started := d
		started.Inputs = clone(d.Inputs)
		c.later(func() { fn(started) })
	}
	if !d.ReturnRunDetails {
		c.w.WriteHeader(http.StatusNoContent)
		return
	}
	c.json(http.StatusOK, object{
		"workflow_run_id": d.RunID,
		"run_url":         fmt.Sprintf("%srepos/%s/actions/runs/%d", s.URL(), r.fullName(), d.RunID),
		"html_url":        fmt.Sprintf("%s%s/actions/runs/%d", webURL, r.fullName(), d.RunID),
	})
}
