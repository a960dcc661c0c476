package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The fixtures are `terraform show -json` output of Terraform 1.5.7 with the AWS provider v5.
// The expected values below are read off each fixture's resource_changes by hand.
func TestSummarize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fixture string
		want    Summary
		line    string
		changes bool
	}{
		{
			// resource_changes of mixed_changes.json:
			//   data.aws_region.web                                  read (depends on pending changes)
			//   aws_cloudwatch_log_group.app                         update
			//   aws_cloudwatch_log_group.audit                       create
			//   aws_ecr_repository.app                               delete, create
			//   aws_iam_role.ci                                      delete (no longer in configuration)
			//   aws_security_group.web                               create, delete (create_before_destroy)
			//   module.network[0].aws_subnet.private[0], [1]         no-op
			//   module.network[0].aws_subnet.private[2]              delete (count went from 3 to 2)
			//   module.network[0].aws_vpc.this                       no-op
			//   module.service["api"]: log group and secret          no-op
			//   module.service["worker"].aws_cloudwatch_log_group    update
			//   module.service["worker"].aws_secretsmanager_secret   no-op
			// add 1 + 2 replacements = 3; change 2; destroy 2 + 2 replacements = 4.
			name:    "a plan with every kind of change counts replacements as an add and a destroy",
			fixture: "mixed_changes.json",
			want: Summary{
				TerraformVersion: "1.5.7",
				Add:              3, Change: 2, Destroy: 4,
				Changes: []Change{
					{Address: "data.aws_region.web", Type: "aws_region", Action: Read},
					{Address: "aws_cloudwatch_log_group.app", Type: "aws_cloudwatch_log_group", Action: Update},
					{Address: "aws_cloudwatch_log_group.audit", Type: "aws_cloudwatch_log_group", Action: Create},
					{Address: "aws_ecr_repository.app", Type: "aws_ecr_repository", Action: Replace},
					{Address: "aws_iam_role.ci", Type: "aws_iam_role", Action: Delete},
					{Address: "aws_security_group.web", Type: "aws_security_group", Action: Replace},
					{Address: "module.network[0].aws_subnet.private[2]", Type: "aws_subnet", Action: Delete},
					{Address: `module.service["worker"].aws_cloudwatch_log_group.this`, Type: "aws_cloudwatch_log_group", Action: Update},
				},
				Destroyed: []string{
					"aws_ecr_repository.app",
					"aws_iam_role.ci",
					"aws_security_group.web",
					"module.network[0].aws_subnet.private[2]",
				},
				OutputChanges: []OutputChange{{Name: "audit_log_group", Action: Create}},
			},
			line:    "Plan: 3 to add, 2 to change, 4 to destroy.",
			changes: true,
		},
		{
			// Every resource change of no_changes.json is a no-op, and so is its one output.
			name:    "a plan whose resources are all unchanged says no changes",
			fixture: "no_changes.json",
			want:    Summary{TerraformVersion: "1.5.7"},
			line:    "No changes.",
			changes: false,
		},
		{
			// legacy["api"] is imported and updated (retention 0 -> 30), legacy["worker"] is
			// imported unchanged (no-op), aws_ecr_repository.shop is created.
			name:    "a plan that imports counts imports first as Terraform 1.5 does",
			fixture: "import.json",
			want: Summary{
				TerraformVersion: "1.5.7",
				Add:              1, Change: 1, Import: 2,
				Changes: []Change{
					{Address: `aws_cloudwatch_log_group.legacy["api"]`, Type: "aws_cloudwatch_log_group", Action: Update, Importing: true},
					{Address: `aws_cloudwatch_log_group.legacy["worker"]`, Type: "aws_cloudwatch_log_group", Action: NoOp, Importing: true},
					{Address: "aws_ecr_repository.shop", Type: "aws_ecr_repository", Action: Create},
				},
			},
			line:    "Plan: 2 to import, 1 to add, 1 to change, 0 to destroy.",
			changes: true,
		},
		{
			// All resources are no-ops; the new output repository_url is created.
			name:    "a plan that only adds an output has changes but no resource line",
			fixture: "outputs_only.json",
			want: Summary{
				TerraformVersion: "1.5.7",
				OutputChanges:    []OutputChange{{Name: "repository_url", Action: Create}},
			},
			line:    "Changes to Outputs.",
			changes: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Summarize(readFixture(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			if got.Line() != tt.line {
				t.Errorf("Line() = %q, want %q", got.Line(), tt.line)
			}
			if got.HasChanges() != tt.changes {
				t.Errorf("HasChanges() = %v, want %v", got.HasChanges(), tt.changes)
			}
		})
	}
}

func TestSummarizeExample(t *testing.T) {
	t.Parallel()
	// The demo plan: one NAT gateway and its EIP go (single NAT), the task definition is
	// replaced for more memory, its service and a route and a log group are updated, and a
	// WAF web ACL and its association are added.
	got, err := Summarize(mustRead(t, filepath.Join("..", "..", "examples", "classla", "plan.json")))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Plan: 3 to add, 3 to change, 3 to destroy."; got.Line() != want {
		t.Errorf("Line() = %q, want %q", got.Line(), want)
	}
	wantDestroyed := []string{
		"module.backend.aws_ecs_task_definition.app",
		"module.network.aws_eip.nat[1]",
		"module.network.aws_nat_gateway.this[1]",
	}
	if diff := cmp.Diff(wantDestroyed, got.Destroyed); diff != "" {
		t.Errorf("destroyed (-want +got):\n%s", diff)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFormatWritesCountsWithTheGivenFunction(t *testing.T) {
	t.Parallel()
	s := Summary{Add: 1200, Change: 3, Destroy: 45000, Changes: []Change{{Address: "x.y", Action: Create}}}
	got := s.Format(func(n int) string { return fmt.Sprintf("[%d]", n) })
	want := "Plan: [1200] to add, [3] to change, [45000] to destroy."
	if got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	mixed, err := Summarize(readFixture(t, "mixed_changes.json"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("lists what the plan changes by address, without reads", func(t *testing.T) {
		t.Parallel()
		var got []map[string]string
		if err := json.Unmarshal(mixed.Fingerprint(), &got); err != nil {
			t.Fatal(err)
		}
		// The changes of mixed_changes.json sorted as strings, data.aws_region.web left out.
		want := []map[string]string{
			{"address": "aws_cloudwatch_log_group.app", "action": "update"},
			{"address": "aws_cloudwatch_log_group.audit", "action": "create"},
			{"address": "aws_ecr_repository.app", "action": "replace"},
			{"address": "aws_iam_role.ci", "action": "delete"},
			{"address": "aws_security_group.web", "action": "replace"},
			{"address": "module.network[0].aws_subnet.private[2]", "action": "delete"},
			{"address": `module.service["worker"].aws_cloudwatch_log_group.this`, "action": "update"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("fingerprint (-want +got):\n%s", diff)
		}
	})

	t.Run("is the same for the same plan read twice", func(t *testing.T) {
		t.Parallel()
		again, err := Summarize(readFixture(t, "mixed_changes.json"))
		if err != nil {
			t.Fatal(err)
		}
		if string(again.Fingerprint()) != string(mixed.Fingerprint()) {
			t.Errorf("fingerprints differ:\n%s\n%s", mixed.Fingerprint(), again.Fingerprint())
		}
	})

	t.Run("differs when one action differs", func(t *testing.T) {
		t.Parallel()
		changed := *mixed
		changed.Changes = append([]Change(nil), mixed.Changes...)
		changed.Changes[1].Action = Delete // aws_cloudwatch_log_group.app
		if string(changed.Fingerprint()) == string(mixed.Fingerprint()) {
			t.Error("an update turned into a delete left the fingerprint unchanged")
		}
	})

	t.Run("of a plan without changes is an empty list", func(t *testing.T) {
		t.Parallel()
		none, err := Summarize(readFixture(t, "no_changes.json"))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(none.Fingerprint()); got != "[]" {
			t.Errorf("fingerprint = %s, want []", got)
		}
	})
}

func TestSummarizeRejectsWhatIsNotAPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		says  string
	}{
		{"empty input is refused", "  \n", "the input is empty"},
		{"the human-readable plan is refused", "Terraform will perform the following actions:", "not a JSON object"},
		{"a JSON array is refused", `[{"format_version": "1.2"}]`, "not a JSON object"},
		{"an object without a format version is refused", `{"planned_values": {}}`, "no format_version"},
		{"a state is told apart from a plan", `{"format_version": "1.0", "terraform_version": "1.5.7", "values": {"root_module": {}}}`, "this is a state, not a plan"},
		{"a future major format is refused", `{"format_version": "2.0", "planned_values": {}}`, `plan format "2.0" is not supported`},
		{"a pre-1.0 format is refused", `{"format_version": "0.2", "planned_values": {}}`, `plan format "0.2" is not supported`},
		{"a plan whose fields have the wrong types is refused", `{"format_version": "1.2", "planned_values": {}, "resource_changes": {"a": 1}}`, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Summarize([]byte(tt.input))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrNotPlan) {
				t.Errorf("error %q does not wrap ErrNotPlan", err)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
		})
	}
}

func TestChangeLabelNamesADeposedObject(t *testing.T) {
	t.Parallel()
	c := Change{Address: "aws_instance.web", Deposed: "00000001"}
	if got, want := c.Label(), "aws_instance.web (deposed object 00000001)"; got != want {
		t.Errorf("Label() = %q, want %q", got, want)
	}
}
