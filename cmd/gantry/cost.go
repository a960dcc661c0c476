package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/classla/gantry/internal/cost"
)

type costOptions struct {
	plan    string
	compare string
	usage   string
	format  string
	catalog string
}

func newCost(e *env) *cobra.Command {
	var o costOptions
	cmd := &cobra.Command{
		Use:   "cost PLAN_JSON",
		Short: "Price a `terraform show -json` plan, or the difference of two",
		Long: `Price a plan: the monthly cost of every resource before and after it, in USD at list prices
(730 hours a month), with usage-priced components taken from an Infracost-format usage file.
With --compare, the after-states of two plans are priced and compared instead.

Prices come from ` + "`$GANTRY_DATA_DIR/prices.json`" + ` when ` + "`gantry prices refresh`" + ` wrote one, else
from the catalog built into gantry; --catalog names another file.

--format json prints one object whose field names never change (see the README).`,
		Example: "  gantry cost plan.json --usage cost-usage.yml\n  gantry cost head.json --compare base.json --format markdown",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			o.plan = a[0]
			return runCost(e, o)
		},
	}
	cmd.Flags().StringVar(&o.compare, "compare", "", "a base plan JSON to compare against")
	cmd.Flags().StringVar(&o.usage, "usage", "", "an Infracost-format usage file")
	cmd.Flags().StringVar(&o.format, "format", "table", "output format: table, markdown or json")
	cmd.Flags().StringVar(&o.catalog, "catalog", "", "a price catalog file (default: $GANTRY_DATA_DIR/prices.json if present, else the built-in one)")
	return cmd
}

func runCost(e *env, o costOptions) error {
	if o.format != "table" && o.format != "markdown" && o.format != "json" {
		return usagef("--format %q: use table, markdown or json", o.format)
	}
	opts, err := costOptionsFor(e, o.catalog, o.usage)
	if err != nil {
		return err
	}
	head, err := os.ReadFile(o.plan)
	if err != nil {
		return usagef("reading the plan: %v", err)
	}
	var est *cost.Estimate
	if o.compare != "" {
		base, rerr := os.ReadFile(o.compare)
		if rerr != nil {
			return usagef("reading --compare: %v", rerr)
		}
		est, err = cost.Compare(base, head, opts)
	} else {
		est, err = cost.EstimatePlan(head, opts)
	}
	if err != nil {
		return usagef("%s: %v", o.plan, err)
	}
	var out string
	switch o.format {
	case "table":
		out = est.Table()
	case "markdown":
		out = est.Markdown()
	case "json":
		b, jerr := est.JSON()
		if jerr != nil {
			return jerr
		}
		out = string(b) + "\n"
	}
	_, err = fmt.Fprint(e.stdout, out)
	return err
}

// costOptionsFor loads the price catalog and the usage file a cost estimate uses, warning on
// stderr about usage keys it does not know.
func costOptionsFor(e *env, catalogPath, usagePath string) (cost.Options, error) {
	cat, err := loadCatalog(catalogPath, dataDir(e))
	if err != nil {
		return cost.Options{}, err
	}
	opts := cost.Options{Catalog: cat}
	if usagePath != "" {
		data, err := os.ReadFile(usagePath)
		if err != nil {
			return opts, usagef("reading --usage: %v", err)
		}
		u, warnings, err := cost.ParseUsage(data)
		if err != nil {
			return opts, usagef("%s: %v", usagePath, err)
		}
		u.File = filepath.Base(usagePath)
		for _, w := range warnings {
			fmt.Fprintf(e.stderr, "gantry: %s: warning: %s\n", usagePath, w)
		}
		opts.Usage = u
	}
	return opts, nil
}

// loadCatalog reads the catalog named, else the refreshed one in the data directory, else the
// built-in one.
func loadCatalog(path, dataDir string) (*cost.Catalog, error) {
	explicit := path != ""
	if !explicit {
		path = filepath.Join(dataDir, "prices.json")
	}
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		return cost.Embedded(), nil
	case err != nil:
		return nil, usagef("price catalog: %v", err)
	}
	defer f.Close()
	cat, err := cost.LoadCatalog(f)
	if err != nil {
		return nil, usagef("price catalog %s: %v (remove it to use the built-in prices, or run `gantry prices refresh` again)", path, err)
	}
	return cat, nil
}

// dataDir is GANTRY_DATA_DIR with the server's default.
func dataDir(e *env) string {
	if d := e.getenv("GANTRY_DATA_DIR"); d != "" {
		return d
	}
	return "./.gantry"
}
