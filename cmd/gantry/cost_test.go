package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/testing/awsfake"
)

var stackFixture = filepath.Join("..", "..", "internal", "cost", "testdata", "stack")

func TestCostPrintsTheStableJSONObject(t *testing.T) {
	t.Parallel()
	env := map[string]string{"GANTRY_DATA_DIR": t.TempDir()}
	code, out, errOut := gantry(t, env, "cost", filepath.Join(stackFixture, "nat_removal.json"), "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	for _, field := range []string{"currency", "hours_per_month", "catalog_date", "monthly_before", "monthly_after",
		"monthly_delta", "percent_delta", "resources", "free", "unpriced", "usage_unknown"} {
		if _, ok := got[field]; !ok {
			t.Errorf("the JSON lacks %q", field)
		}
	}
	// Removing one NAT gateway and its address: 730 h × $0.045 = $32.85 and 730 h × $0.005 = $3.65.
	if d, _ := got["monthly_delta"].(float64); d > -36.49 || d < -36.51 {
		t.Errorf("monthly_delta %v, want −36.50", got["monthly_delta"])
	}
}

func TestCostRefusesBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	usage := filepath.Join(dir, "usage.yml")
	writeFile(t, usage, "version: 0.1\nresource_usage:\n  aws_nat_gateway.this[*]:\n    monthly_data_processed_gb: [lots\n")
	plan := filepath.Join(stackFixture, "create.json")
	cases := []struct {
		name string
		args []string
		says string
	}{
		{"a file that is not a plan", []string{"cost", usage}, "not a Terraform plan"},
		{"a broken usage file", []string{"cost", plan, "--usage", usage}, "line"},
		{"an unknown format", []string{"cost", plan, "--format", "html"}, "use table, markdown or json"},
		{"a missing catalog", []string{"cost", plan, "--catalog", filepath.Join(dir, "none.json")}, "price catalog"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := gantry(t, map[string]string{"GANTRY_DATA_DIR": dir}, c.args...)
			if code != 2 || !strings.Contains(errOut, c.says) {
				t.Errorf("exit %d, %q: want 2 mentioning %q", code, errOut, c.says)
			}
		})
	}
}

func TestPricesRefreshSaysWhichPermissionIsMissing(t *testing.T) {
	fake := awsfake.NewPricing(t)
	fake.FailNext(403, "AccessDeniedException", "User is not authorized to perform: pricing:GetProducts")
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", awsfake.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", awsfake.SecretAccessKey)
	env := map[string]string{"GANTRY_DATA_DIR": dir, "AWS_ENDPOINT_URL_PRICING": fake.URL(),
		"AWS_ACCESS_KEY_ID": awsfake.AccessKeyID, "AWS_SECRET_ACCESS_KEY": awsfake.SecretAccessKey}
	code, _, errOut := gantry(t, env, "prices", "refresh")
	if code != 1 || !strings.Contains(errOut, "pricing:GetProducts") {
		t.Errorf("exit %d, %q: want 1 naming the permission", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "prices.json")); err == nil {
		t.Error("a catalog was written although the API refused")
	}
	if strings.Contains(errOut, awsfake.SecretAccessKey) {
		t.Error("the error shows the secret key")
	}
}
