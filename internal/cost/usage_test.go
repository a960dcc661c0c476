package cost

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUsageValuesComeFromTheMostSpecificEntry(t *testing.T) {
	t.Parallel()
	u := mustUsage(t, `version: 0.1
resource_type_default_usage:
  aws_nat_gateway:
    monthly_data_processed_gb: 10
resource_usage:
  module.network.aws_nat_gateway.this[*]:
    monthly_data_processed_gb: 100
  module.network.aws_nat_gateway.this[1]:
    monthly_data_processed_gb: 1000
  module.app["eu"].aws_s3_bucket.files:
    standard:
      storage_gb: 5
`)
	cases := []struct {
		name, address, typ, key string
		want                    float64
		found                   bool
	}{
		{"an exact address wins over a wildcard", "module.network.aws_nat_gateway.this[1]", "aws_nat_gateway", "monthly_data_processed_gb", 1000, true},
		{"a wildcard matches any index", "module.network.aws_nat_gateway.this[0]", "aws_nat_gateway", "monthly_data_processed_gb", 100, true},
		{"the type default covers other addresses", "aws_nat_gateway.other", "aws_nat_gateway", "monthly_data_processed_gb", 10, true},
		{"a wildcard does not match another module", "module.edge.aws_nat_gateway.this[0]", "aws_nat_gateway", "monthly_data_processed_gb", 10, true},
		{"nested keys are read as dotted keys", `module.app["eu"].aws_s3_bucket.files`, "aws_s3_bucket", "standard.storage_gb", 5, true},
		{"a resource with no usage has none", "aws_vpc_endpoint.ecr", "aws_vpc_endpoint", "monthly_data_processed_gb", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := u.lookup(tc.address, tc.typ)[tc.key]
			if ok != tc.found || got != tc.want {
				t.Errorf("%s = %v (found %v), want %v (found %v)", tc.key, got, ok, tc.want, tc.found)
			}
		})
	}
}

func TestWildcardsMatchStringKeysAndModuleInstances(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern, address string
		want             bool
	}{
		{`aws_vpc_endpoint.interface[*]`, `aws_vpc_endpoint.interface["ecr.api"]`, true},
		{`module.acm[*].aws_acm_certificate.this`, `module.acm["api.classla.org"].aws_acm_certificate.this`, true},
		{`aws_eip.nat[*]`, `aws_eip.nat`, false},
		{`aws_eip.nat[*]`, `aws_eip.nat[0].x`, false},
		{`aws_secretsmanager_secret.this[*]`, `aws_secretsmanager_secret.this["a]b"]`, true},
	}
	for _, tc := range cases {
		t.Run(tc.pattern+" against "+tc.address, func(t *testing.T) {
			t.Parallel()
			if got := matchWildcard(tc.pattern, tc.address); got != tc.want {
				t.Errorf("match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestUsageFileProblemsAreWarningsWithLines(t *testing.T) {
	t.Parallel()
	_, warnings, err := ParseUsage([]byte(`version: 0.1
resource_usage:
  aws_nat_gateway.this:
    monthly_data_processed_gb: 10
    monthly_gb_data_processed: 10
  aws_lambda_function.hi:
    monthly_requests: 100
  aws_ecr_repository.app:
    storage_gb: lots
colour: red
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`line 5: unknown key "monthly_gb_data_processed" for aws_nat_gateway is ignored (known: monthly_data_processed_gb)`,
		`line 7: gantry prices no usage of aws_lambda_function: its usage is ignored`,
		`line 9: storage_gb: "lots" is not a number of 0 or more; it is ignored`,
		`line 10: unknown top-level key "colour" is ignored (known: version, resource_usage, resource_type_default_usage)`,
	}
	if diff := cmp.Diff(want, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestAUsageFileThatCannotBeReadIsAnErrorWithItsLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file string
		line       int
		want       string
	}{
		{"broken YAML", "version: 0.1\nresource_usage:\n  aws_nat_gateway.this:\n    monthly_data_processed_gb: [1, 2\n", 4, "YAML syntax error"},
		{"another version", "version: 2\nresource_usage: {}\n", 1, `version "2" is not supported`},
		{"no version", "resource_usage: {}\n", 1, "no version"},
		{"an empty file", "", 1, "empty"},
		{"a list instead of a mapping", "- version: 0.1\n", 1, "not a mapping"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			t.Parallel()
			_, _, err := ParseUsage([]byte(tc.file))
			var ue *UsageError
			if !errors.As(err, &ue) || !errors.Is(err, ErrBadUsage) {
				t.Fatalf("err = %v, want a *UsageError wrapping ErrBadUsage", err)
			}
			if ue.Line != tc.line || !strings.Contains(ue.Message, tc.want) {
				t.Errorf("err = %q at line %d, want line %d mentioning %q", ue.Message, ue.Line, tc.line, tc.want)
			}
		})
	}
}

func TestTheVersionMayBeWrittenAsInfracostsOlderFilesDo(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"0.1", `"0.1"`, "v0.1"} {
		if _, _, err := ParseUsage([]byte("version: " + v + "\n")); err != nil {
			t.Errorf("version %s: %v", v, err)
		}
	}
}
