package githubfake

import (
	"fmt"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

// maxCheckRunText is GitHub's limit on a check run's output summary and text, in characters.
const maxCheckRunText = 65535

var (
	checkStatuses    = []string{"queued", "in_progress", "completed", "waiting", "requested", "pending"}
	checkConclusions = []string{"action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"}
)

// checkRunRequest is the body of create and update; pointers tell "absent" from "empty".
type checkRunRequest struct {
	Name        *string    `json:"name"`
	HeadSHA     *string    `json:"head_sha"`
	DetailsURL  *string    `json:"details_url"`
	ExternalID  *string    `json:"external_id"`
	Status      *string    `json:"status"`
	Conclusion  *string    `json:"conclusion"`
	StartedAt   *time.Time `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Output      *struct {
		Title   *string `json:"title"`
		Summary *string `json:"summary"`
		Text    *string `json:"text"`
	} `json:"output"`
}

// applyCheckRun validates req as GitHub does and copies it onto run; it reports false after answering 422.
func (c *call) applyCheckRun(req checkRunRequest, run *CheckRun) bool {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	if req.Name != nil && *req.Name == "" {
		c.invalid("CheckRun", "name", "name can't be blank")
		return false
	}
	set(&run.Name, req.Name)
	set(&run.DetailsURL, req.DetailsURL)
	set(&run.ExternalID, req.ExternalID)
	if req.Status != nil && !slices.Contains(checkStatuses, *req.Status) {
		c.invalid("CheckRun", "status", fmt.Sprintf("status %q is not included in the list", *req.Status))
		return false
	}
	set(&run.Status, req.Status)
	if req.Conclusion != nil {
		if !slices.Contains(checkConclusions, *req.Conclusion) {
			c.invalid("CheckRun", "conclusion", fmt.Sprintf("conclusion %q is not included in the list", *req.Conclusion))
			return false
		}
		// GitHub: providing a conclusion sets the status to completed.
		run.Conclusion, run.Status = *req.Conclusion, "completed"
	}
	if run.Status == "completed" && run.Conclusion == "" {
		c.invalid("CheckRun", "conclusion", "conclusion is required when status is completed")
		return false
	}
	if req.StartedAt != nil {
		run.StartedAt = req.StartedAt.UTC().Truncate(time.Second)
	}
	if req.CompletedAt != nil {
		run.CompletedAt = req.CompletedAt.UTC().Truncate(time.Second)
	} else if run.Status == "completed" && run.CompletedAt.IsZero() {
		run.CompletedAt = now()
	}
	return c.applyCheckRunOutput(req, run)
}

func (c *call) applyCheckRunOutput(req checkRunRequest, run *CheckRun) bool {
	o := req.Output
	if o == nil {
		return true
	}
	if o.Title == nil || o.Summary == nil || *o.Summary == "" {
		c.invalid("CheckRun", "output", "output requires a title and a summary")
		return false
	}
	for _, f := range []*string{o.Summary, o.Text} {
		if f != nil && utf8.RuneCountInString(*f) > maxCheckRunText {
			c.invalid("CheckRun", "output", fmt.Sprintf("Output text is too long (maximum is %d characters)", maxCheckRunText))
			return false
		}
	}
	run.Title, run.Summary = *o.Title, *o.Summary
	if o.Text != nil {
		run.Text = *o.Text
	}
	return true
}

func (s *Server) createCheckRun(c *call) {
	r := s.repo(c.params["owner"] + "/" + c.params["repo"])
	if r == nil {
		c.fail(http.StatusNotFound, "Not Found")
		return
	}
	var req checkRunRequest
	if !c.decode(&req) {
		return
	}
	if req.Name == nil || req.HeadSHA == nil || *req.HeadSHA == "" {
		c.invalid("CheckRun", "head_sha", "name and head_sha are required")
		return
	}
	run := &CheckRun{HeadSHA: *req.HeadSHA, Status: "queued"}
	if !c.applyCheckRun(req, run) {
		return
	}
	run.ID = s.nextID()
	if run.StartedAt.IsZero() {
		run.StartedAt = now()
	}
	r.checkRuns = append(r.checkRuns, run)
	c.json(http.StatusCreated, s.checkRunJSON(r, run))
}

func (s *Server) updateCheckRun(c *call) {
	r := s.repo(c.params["owner"] + "/" + c.params["repo"])
	id, ok := c.intParam("check_run_id")
	if !ok {
		return
	}
	var run *CheckRun
	if r != nil {
		for _, cr := range r.checkRuns {
			if cr.ID == id {
				run = cr
			}
		}
	}
	if run == nil {
		c.fail(http.StatusNotFound, "Not Found")
		return
	}
	var req checkRunRequest
	if !c.decode(&req) {
		return
	}
	updated := *run
	if !c.applyCheckRun(req, &updated) {
		return
	}
	*run = updated
	c.json(http.StatusOK, s.checkRunJSON(r, run))
}
