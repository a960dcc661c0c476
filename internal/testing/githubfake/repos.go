package githubfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

func (s *Server) getPermission(c *call) {
	r := s.repo(c.params["owner"] + "/" + c.params["repo"])
	if r == nil {
		c.fail(http.StatusNotFound, "Not Found")
		return
	}
	login := c.params["username"]
	if s.missing[strings.ToLower(login)] {
		c.fail(http.StatusNotFound, "Not Found")
		return
	}
	ro, ok := r.roles[strings.ToLower(login)]
	switch {
	case ok:
	case r.public:
		ro = role{name: "read", legacy: "read"} // anyone may read a public repository
	default:
		ro = role{name: "none", legacy: "none"} // an account without access to a private one
	}
	user := s.userJSON(login, "User")
	user["role_name"] = ro.name
	user["permissions"] = map[string]bool{
		"admin": ro.legacy == "admin", "maintain": ro.name == "maintain" || ro.legacy == "admin",
		"push": ro.legacy == "write" || ro.legacy == "admin", "triage": ro.legacy == "write" || ro.legacy == "admin" || ro.name == "triage",
		"pull": ro.legacy != "none",
	}
	c.json(http.StatusOK, object{"permission": ro.legacy, "role_name": ro.name, "user": user})
}

func (c *call) repoOr404() (*repoState, bool) {
	r := c.s.repo(c.params["owner"] + "/" + c.params["repo"])
	if r == nil {
		c.fail(http.StatusNotFound, "Not Found")
	}
	return r, r != nil
}

func (s *Server) createDeployment(c *call) {
	r, ok := c.repoOr404()
	if !ok {
		return
	}
	var req struct {
		Ref              string          `json:"ref"`
		Task             string          `json:"task"`
		Environment      string          `json:"environment"`
		Description      *string         `json:"description"`
		Payload          json.RawMessage `json:"payload"`
		AutoMerge        *bool           `json:"auto_merge"`
		RequiredContexts *[]string       `json:"required_contexts"`
	}
	if !c.decode(&req) {
		return
	}
	if req.Ref == "" {
		c.invalid("Deployment", "ref", "ref wasn't supplied.")
		return
	}
	d := &Deployment{
		ID: s.nextID(), Ref: req.Ref, SHA: req.Ref, Task: req.Task, Environment: req.Environment,
		Payload: req.Payload, AutoMerge: req.AutoMerge, Creator: s.BotLogin(), CreatedAt: now(),
	}
	if req.Description != nil {
		d.Description = *req.Description
	}
	if req.RequiredContexts != nil {
		d.RequiredContexts = append([]string{}, *req.RequiredContexts...)
	}
	if !fullSHA.MatchString(d.SHA) {
		d.SHA = fakeSHA(r.fullName() + "@" + req.Ref)
	}
	if d.Task == "" {
		d.Task = "deploy"
	}
	if d.Environment == "" {
		d.Environment = "production"
	}
	if len(d.Payload) == 0 || string(d.Payload) == "null" {
		d.Payload = json.RawMessage(`{}`)
	}
	r.deployments = append(r.deployments, d)
	c.json(http.StatusCreated, s.deploymentJSON(r, d))
}

func (s *Server) deploymentJSON(r *repoState, d *Deployment) object {
	api := fmt.Sprintf("%srepos/%s", s.URL(), r.fullName())
	var description any
	if d.Description != "" {
		description = d.Description
	}
	return object{
		"url": fmt.Sprintf("%s/deployments/%d", api, d.ID), "id": d.ID, "node_id": nodeID("DE", d.ID),
		"sha": d.SHA, "ref": d.Ref, "task": d.Task, "payload": d.Payload,
		"original_environment": d.Environment, "environment": d.Environment, "description": description,
		"creator": s.userJSON(d.Creator, "Bot"), "created_at": ts(d.CreatedAt), "updated_at": ts(d.CreatedAt),
		"statuses_url":   fmt.Sprintf("%s/deployments/%d/statuses", api, d.ID),
		"repository_url": api, "transient_environment": false, "production_environment": false,
		"performed_via_github_app": s.appJSON(),
	}
}

var deploymentStates = []string{"error", "failure", "inactive", "in_progress", "queued", "pending", "success"}

// maxStatusDescription is GitHub's limit on a deployment status description, in characters.
const maxStatusDescription = 140

func (s *Server) createDeploymentStatus(c *call) {
	r, ok := c.repoOr404()
	if !ok {
		return
	}
	id, ok := c.intParam("deployment_id")
	if !ok {
		return
	}
	var d *Deployment
	for _, dep := range r.deployments {
		if dep.ID == id {
			d = dep
		}
	}
	if d == nil {
		c.fail(http.StatusNotFound, "Not Found")
		return
	}
	var req struct {
		State          string `json:"state"`
		Description    string `json:"description"`
		LogURL         string `json:"log_url"`
		TargetURL      string `json:"target_url"`
		EnvironmentURL string `json:"environment_url"`
	}
	if !c.decode(&req) {
		return
	}
	switch {
	case !slices.Contains(deploymentStates, req.State):
		c.invalid("DeploymentStatus", "state", fmt.Sprintf("state %q is not included in the list", req.State))
		return
	case utf8.RuneCountInString(req.Description) > maxStatusDescription:
		c.invalid("DeploymentStatus", "description", "description is too long (maximum is 140 characters)")
		return
	}
	if req.LogURL == "" {
		req.LogURL = req.TargetURL
	}
	st := &DeploymentStatus{
		ID: s.nextID(), DeploymentID: id, State: req.State, Description: req.Description, LogURL: req.LogURL,
		EnvironmentURL: req.EnvironmentURL, Creator: s.BotLogin(), CreatedAt: now(),
	}
	s.statuses[id] = append(s.statuses[id], st)
	api := fmt.Sprintf("%srepos/%s", s.URL(), r.fullName())
	self := fmt.Sprintf("%s/deployments/%d/statuses/%d", api, id, st.ID)
	c.w.Header().Set("Location", self)
	c.json(http.StatusCreated, object{
		"url": self, "id": st.ID,
		"node_id": nodeID("DES", st.ID), "state": st.State, "creator": s.botJSON(),
		"description": st.Description, "environment": d.Environment, "target_url": st.LogURL,
		"log_url": st.LogURL, "environment_url": st.EnvironmentURL,
		"created_at": ts(st.CreatedAt), "updated_at": ts(st.CreatedAt),
		"deployment_url": fmt.Sprintf("%s/deployments/%d", api, id), "repository_url": api,
		"performed_via_github_app": s.appJSON(),
	})
}
