package flow

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"

	"github.com/classla/gantry/internal/config"
	"github.com/classla/gantry/internal/cost"
	"github.com/classla/gantry/internal/render"
	"github.com/classla/gantry/internal/workdir"
)

// estimateCost prices a plan for its comment. A cost problem never fails the plan: the
// comment says what went wrong instead. delta is the monthly change (nil when not priced);
// exceeded reports a rise above max_monthly_increase, which the stored plan keeps so that
// the apply waits for `/apply --confirm-cost`.
func estimateCost(ctx context.Context, t *task[PlanSpec], usage usageFile, planJSON []byte) (section render.Cost, delta *float64, exceeded bool) {
	if t.Catalog == nil {
		return nil, nil, false
	}
	p := t.Spec.Project
	opts := cost.Options{Catalog: t.Catalog}
	if p.Cost.UsageFile != "" && (usage.data != nil || usage.err != "") {
		u, err := parseUsage(usage, p)
		if err != nil {
			return costNote("⚠️ The cost estimate is missing: " + err.Error()), nil, false
		}
		opts.Usage = u
	}
	est, err := cost.EstimatePlan(planJSON, opts)
	if err != nil {
		t.Log.Warn("pricing the plan failed", "project", p.Name, "err", err)
		return costNote("⚠️ The cost estimate is missing: " + err.Error()), nil, false
	}
	delta = &est.MonthlyDelta
	if max := p.Cost.MaxMonthlyIncrease; max != nil && est.Exceeds(*max) {
		return guardedCost{est: est, max: *max}, delta, true
	}
	return est.Section(), delta, false
}

// usageFile is a project's usage file as a plan's run read it from the checkout, or why it could not.
type usageFile struct {
	data []byte
	err  string
}

// usageOf is the usage file a plan's run read; empty when the project has none.
func usageOf(run planRun) usageFile { return usageFile{data: run.Usage, err: run.UsageError} }

// readUsage reads the project's usage file from the checkout.
func readUsage(dir *workdir.Dir, p config.Project) ([]byte, error) {
	rel := path.Join(p.Dir, p.Cost.UsageFile)
	file, err := dir.Join(rel)
	if err != nil {
		return nil, fmt.Errorf("usage file %s: %w", rel, err)
	}
	// Through the checkout's root, never a link out of it: the plan's processes wrote there.
	rel, err = filepath.Rel(dir.Path, file)
	if err != nil {
		return nil, fmt.Errorf("usage file %s: %w", p.Cost.UsageFile, err)
	}
	data, err := dir.ReadFile(filepath.ToSlash(rel))
	if err != nil {
		return nil, fmt.Errorf("usage file %s (cost.usage_file) cannot be read: %w", rel, err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// parseUsage reads a usage file's contents.
func parseUsage(u usageFile, p config.Project) (*cost.Usage, error) {
	if u.err != "" {
		return nil, errors.New(u.err)
	}
	rel := path.Join(p.Dir, p.Cost.UsageFile)
	usage, _, err := cost.ParseUsage(u.data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	usage.File = p.Cost.UsageFile
	return usage, nil
}

// costNote is a cost section that only says why there is no estimate.
type costNote string

func (n costNote) Markdown() string { return string(n) + "\n" }
func (n costNote) Text() string     { return string(n) + "\n" }

// guardedCost is an estimate above the project's max_monthly_increase: it warns first.
type guardedCost struct {
	est *cost.Estimate
	max float64
}

func (g guardedCost) warning() string {
	return fmt.Sprintf("The monthly cost rises by $%.2f, more than this project's limit of $%.2f "+
		"(cost.max_monthly_increase): applying it needs `/apply --confirm-cost`.", g.est.MonthlyDelta, g.max)
}

func (g guardedCost) Markdown() string {
	return "> [!CAUTION]\n> **" + g.warning() + "**\n\n" + g.est.Section().Markdown()
}

func (g guardedCost) Text() string {
	return "CAUTION: " + g.warning() + "\n\n" + g.est.Section().Text()
}
