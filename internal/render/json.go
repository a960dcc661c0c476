package render

import (
	"encoding/json"
	"strings"

	"github.com/classla/gantry/internal/plan"
)

// planJSON is the object `gantry plan --format json` prints. Fields may be added; none is
// ever renamed or removed. Lists are never null.
type planJSON struct {
	Project          string              `json:"project"`
	Dir              string              `json:"dir"`
	Workspace        string              `json:"workspace"`
	Commit           string              `json:"commit"`
	TerraformVersion string              `json:"terraform_version"`
	Failed           bool                `json:"failed"`
	Error            string              `json:"error,omitempty"`
	Summary          string              `json:"summary"`
	HasChanges       bool                `json:"has_changes"`
	Add              int                 `json:"add"`
	Change           int                 `json:"change"`
	Destroy          int                 `json:"destroy"`
	Import           int                 `json:"import"`
	Changes          []plan.Change       `json:"changes"`
	Destroyed        []string            `json:"destroyed"`
	OutputChanges    []plan.OutputChange `json:"output_changes"`
}

// PlanJSON renders the plan as one stable JSON object for scripts (`gantry plan --format json`).
func PlanJSON(c PlanComment) ([]byte, error) {
	out := planJSON{
		Project:          c.Project,
		Dir:              c.Dir,
		Workspace:        c.Workspace,
		Commit:           c.Commit,
		TerraformVersion: c.TerraformVersion,
		Failed:           c.Failed(),
		Changes:          []plan.Change{},
		Destroyed:        []string{},
		OutputChanges:    []plan.OutputChange{},
	}
	if out.Failed {
		out.Error = strings.TrimSpace(clean(c.Error))
		out.Summary = "Plan failed."
	} else {
		s := c.Summary
		out.Summary = s.Line()
		out.HasChanges = s.HasChanges()
		out.Add, out.Change, out.Destroy, out.Import = s.Add, s.Change, s.Destroy, s.Import
		out.Changes = append(out.Changes, s.Changes...)
		out.Destroyed = append(out.Destroyed, s.Destroyed...)
		out.OutputChanges = append(out.OutputChanges, s.OutputChanges...)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
