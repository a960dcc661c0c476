package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/classla/gantry/internal/plan"
	"github.com/classla/gantry/internal/render"
)

type planOptions struct {
	dir      string
	fromJSON string
	usage    string
	format   string
	project  string
}

func newPlan(e *env) *cobra.Command {
	var o planOptions
	cmd := &cobra.Command{
		Use:   "plan DIR",
		Short: "Print the plan comment gantry would post for a Terraform directory",
		Long: `Print the pull-request comment gantry would post for the Terraform root module in DIR.

With --from-json, an existing plan is rendered instead of planning: PLAN_JSON is the output of
` + "`terraform show -json PLANFILE`" + `, and the human-readable plan shown in the comment is read from
the file beside it with the extension .txt (` + "`terraform show PLANFILE > plan.txt`" + `), if present.`,
		Example: "  gantry plan examples/classla --from-json examples/classla/plan.json",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			o.dir = a[0]
			return runPlan(e, o)
		},
	}
	cmd.Flags().StringVar(&o.fromJSON, "from-json", "", "render an existing `terraform show -json` plan instead of planning")
	cmd.Flags().StringVar(&o.usage, "usage", "", "an Infracost-format usage file for usage-priced resources")
	cmd.Flags().StringVar(&o.format, "format", "markdown", "output format: markdown, text or json")
	cmd.Flags().StringVar(&o.project, "project", "", "project name shown in the comment (default: DIR with / replaced by -)")
	return cmd
}

func runPlan(e *env, o planOptions) error {
	if o.format != "markdown" && o.format != "text" && o.format != "json" {
		return usagef("--format %q: use markdown, text or json", o.format)
	}
	if o.fromJSON == "" {
		return usagef("planning a directory is not available in this version of gantry yet: " +
			"run `terraform plan -out=plan.tfplan && terraform show -json plan.tfplan > plan.json` and pass --from-json plan.json")
	}
	if o.usage != "" {
		return usagef("--usage is not available in this version of gantry yet: the cost diff arrives in a later version")
	}
	raw, err := os.ReadFile(o.fromJSON)
	if err != nil {
		return usagef("reading --from-json: %v", err)
	}
	summary, err := plan.Summarize(raw)
	if err != nil {
		return usagef("%s: %v", o.fromJSON, err)
	}
	output, err := os.ReadFile(strings.TrimSuffix(o.fromJSON, filepath.Ext(o.fromJSON)) + ".txt")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return usagef("reading the human-readable plan beside %s: %v", o.fromJSON, err)
	}
	dir := filepath.ToSlash(filepath.Clean(o.dir))
	name := o.project
	if name == "" {
		name = strings.ReplaceAll(dir, "/", "-") // the .gantry.yaml default
	}
	c := render.PlanComment{Project: name, Dir: dir, Workspace: "default",
		TerraformVersion: summary.TerraformVersion, Summary: summary, Output: string(output)}
	var out string
	switch o.format {
	case "markdown":
		out, err = render.PlanMarkdown(c)
	case "text":
		out, err = render.PlanText(c)
	case "json":
		var b []byte
		b, err = render.PlanJSON(c)
		out = string(b) + "\n"
	}
	if err != nil {
		return fmt.Errorf("rendering the plan: %w", err)
	}
	_, err = fmt.Fprint(e.stdout, out)
	return err
}
