package main

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/classla/gantry/internal/cost/refresh"
)

func newPrices(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "prices", Short: "Manage the AWS price catalog"}
	var region, out, catalog string
	r := &cobra.Command{
		Use:   "refresh",
		Short: "Rebuild the price catalog from the AWS Price List API",
		Long: `Ask the AWS Price List API (pricing:GetProducts, in us-east-1) for every price in the catalog and
write the renewed catalog, by default to $GANTRY_DATA_DIR/prices.json, which gantry then uses instead
of its built-in prices. AWS credentials come from the SDK's usual sources (AWS_* variables, a
profile); the endpoint honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_PRICING. A price that cannot be
found is kept, with a warning; nothing is written when the API refuses.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			base, err := loadCatalog(catalog, dataDir(e))
			if err != nil {
				return err
			}
			if out == "" {
				out = filepath.Join(dataDir(e), "prices.json")
			}
			client, err := refresh.NewClient(cmd.Context(), e.getenv)
			if err != nil {
				return usagef("%v", err)
			}
			log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			cat, report, err := refresh.Refresh(cmd.Context(), client, base, region, log)
			if err != nil {
				return err
			}
			if err := refresh.Write(cat, out); err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "%s\nwrote %s\n", report.Text(), out)
			return err
		},
	}
	r.Flags().StringVar(&region, "region", "us-east-1", "the region whose prices to fetch")
	r.Flags().StringVar(&out, "out", "", "where to write the catalog (default $GANTRY_DATA_DIR/prices.json)")
	r.Flags().StringVar(&catalog, "catalog", "", "the catalog to start from (default: the one gantry uses now)")
	cmd.AddCommand(r)
	return cmd
}
