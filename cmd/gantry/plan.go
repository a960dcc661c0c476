package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/classla/gantry/internal/cost"
	"github.com/classla/gantry/internal/plan"
	"github.com/classla/gantry/internal/render"
	"github.com/classla/gantry/internal/terraform"
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
		Long: `Print the pull-request comment gantry would post for the Terraform root module in DIR: it runs
init, plan and show -json there with GANTRY_TERRAFORM_BIN (else terraform, else tofu on PATH),
passing on your AWS_* and TF_VAR_* variables. Exits 1 when the plan fails.

With --from-json, an existing plan is rendered instead of planning: PLAN_JSON is the output of
` + "`terraform show -json PLANFILE`" + `, and the human-readable plan shown in the comment is read from
the file beside it with the extension .txt (` + "`terraform show PLANFILE > plan.txt`" + `), if present.`,
		Example: "  gantry plan examples/classla --from-json examples/classla/plan.json",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			o.dir = a[0]
			return runPlan(cmd.Context(), e, o)
		},
	}
	cmd.Flags().StringVar(&o.fromJSON, "from-json", "", "render an existing `terraform show -json` plan instead of planning")
	cmd.Flags().StringVar(&o.usage, "usage", "", "an Infracost-format usage file for usage-priced resources")
	cmd.Flags().StringVar(&o.format, "format", "markdown", "output format: markdown, text or json")
	cmd.Flags().StringVar(&o.project, "project", "", "project name shown in the comment (default: DIR with / replaced by -)")
	return cmd
}

func runPlan(ctx context.Context, e *env, o planOptions) error {
	if o.format != "markdown" && o.format != "text" && o.format != "json" {
		return usagef("--format %q: use markdown, text or json", o.format)
	}
	dir := filepath.ToSlash(filepath.Clean(o.dir))
	c := render.PlanComment{Project: o.project, Dir: dir, Workspace: "default"}
	if c.Project == "" {
		c.Project = strings.ReplaceAll(dir, "/", "-") // the .gantry.yaml default
	}
	costOpts, err := costOptionsFor(e, "", o.usage)
	if err != nil {
		return err
	}
	var planJSON []byte
	if o.fromJSON != "" {
		planJSON, err = fromSavedPlan(&c, o.fromJSON)
	} else {
		planJSON, err = planDirectory(ctx, e, &c, o.dir)
	}
	if err != nil {
		return err
	}
	if planJSON != nil {
		est, err := cost.EstimatePlan(planJSON, costOpts)
		if err != nil {
			return fmt.Errorf("pricing the plan: %w", err)
		}
		c.Cost = est.Section()
	}
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
	if _, err := fmt.Fprint(e.stdout, out); err != nil {
		return err
	}
	if c.Failed() {
		return errors.New("the plan failed (its error is in the output above)")
	}
	return nil
}

// fromSavedPlan fills c from a `terraform show -json` file and the human-readable plan beside it.
func fromSavedPlan(c *render.PlanComment, path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("reading --from-json: %v", err)
	}
	summary, err := plan.Summarize(raw)
	if err != nil {
		return nil, usagef("%s: %v", path, err)
	}
	output, err := os.ReadFile(strings.TrimSuffix(path, filepath.Ext(path)) + ".txt")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, usagef("reading the human-readable plan beside %s: %v", path, err)
	}
	c.Summary, c.TerraformVersion, c.Output = summary, summary.TerraformVersion, string(output)
	return raw, nil
}

// planDirectory runs init, plan and show -json in dir with GANTRY_TERRAFORM_BIN (else terraform,
// else tofu on PATH). Unlike the server, it runs with the caller's own AWS and TF_VAR_ variables:
// the person at the terminal is planning with their own credentials.
func planDirectory(ctx context.Context, e *env, c *render.PlanComment, dir string) ([]byte, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, usagef("%s is not a directory: give the Terraform root module to plan", dir)
	}
	bin := e.getenv("GANTRY_TERRAFORM_BIN")
	if bin == "" {
		for _, name := range []string{"terraform", "tofu"} {
			if p, err := exec.LookPath(name); err == nil {
				bin = p
				break
			}
		}
	}
	if bin == "" {
		return nil, usagef("no terraform or tofu on PATH: install one or set GANTRY_TERRAFORM_BIN")
	}
	tf, err := terraform.New(bin, terraform.Options{})
	if err != nil {
		return nil, usagef("GANTRY_TERRAFORM_BIN: %v", err)
	}
	tmp, err := os.MkdirTemp("", "gantry-plan-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	res, err := tf.Plan(ctx, terraform.PlanRequest{Dir: dir, Workspace: "default", Env: callerEnv(),
		PlanFile: filepath.Join(tmp, "plan.tfplan")})
	if res != nil {
		c.TerraformVersion, c.Duration, c.Output = res.Version.Version, res.Duration, res.Text
		if res.Version.Flavor == terraform.FlavorTofu {
			c.Tool = "OpenTofu"
		}
	}
	var re *terraform.RunError
	switch {
	case errors.As(err, &re):
		c.Error = re.Stderr
		if c.Output == "" {
			c.Output = res.Log
		}
		return nil, nil
	case err != nil:
		return nil, err
	}
	c.Summary, err = plan.Summarize(res.JSON)
	return res.JSON, err
}

// callerEnv is what a terminal user's plan passes on from their environment.
func callerEnv() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "TF_VAR_") {
			env[k] = os.Getenv(k)
		}
	}
	return env
}
