package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// schemaVerdict is what schema/gantry.schema.json must say about a broken file.
type schemaVerdict int

const (
	schemaRejects    schemaVerdict = iota // broken in a way the schema expresses
	schemaAccepts                         // broken only in ways Parse alone checks (references, uniqueness, ...)
	schemaCannotRead                      // not one YAML document, so there is nothing to give the schema
)

// brokenFiles lists every file under testdata/broken with the problems Parse must report.
// Lines and columns were counted by hand in the files; the messages are the contract of
// `gantry config validate`.
var brokenFiles = []struct {
	file   string
	want   []Problem
	schema schemaVerdict
}{{
	file: "unknown-keys.yaml",
	want: []Problem{
		{7, 5, "projects[0].when_modifed", `unknown key; did you mean "when_modified"?`},
		{8, 5, "projects[0].flavour", "unknown key; known keys here are name, dir, workspace, terraform_version, when_modified, autoplan, backend_config, apply, aws, cost"},
		{11, 7, "projects[0].apply.require", `unknown key; did you mean "requires"?`},
		{12, 1, "servces", `unknown key; did you mean "services"?`},
	},
}, {
	file: "bad-values.yaml",
	want: []Problem{
		{1, 10, "version", "version 2 is not supported: this gantry reads version 1"},
		{5, 24, "projects[0].terraform_version", `expected a string, got the number 1.10; put it in quotes: "1.10"`},
		{6, 15, "projects[0].autoplan", "expected true or false, got a string"},
		{8, 11, "projects[0].apply.on", `"merged" is not one of "merge" or "comment"; did you mean "merge"?`},
		{9, 28, "projects[0].apply.requires[1]", `"green" is not one of "approved", "mergeable" or "undiverged"`},
		{9, 35, "projects[0].apply.requires[2]", `"approved" is listed twice`},
		{11, 17, "projects[0].aws.role_arn", `"arn:aws:iam::1111:role/x" is not an IAM role ARN: expected arn:aws:iam::ACCOUNT_ID:role/NAME`},
		{13, 15, "projects[0].aws.region", `"us-east" is not an AWS region such as "us-east-1"`},
		{15, 29, "projects[0].cost.max_monthly_increase", "-5 is negative: set the largest monthly increase in USD that may apply without confirmation, 0 or more"},
		{17, 11, "services[0].name", `service name "back end" is not a valid name: use letters, digits, ".", "_" and "-"`},
		{19, 21, "services[0].ecr_repository", `"Classla_Backend" is not an ECR repository name: use lowercase letters, digits and . _ - /`},
		{20, 77, "services[0].ecs.container", "must not be empty"},
	},
}, {
	file: "references.yaml",
	want: []Problem{
		{5, 11, "projects[1].name", `project name "production" is already used by projects[0]: give each project a distinct name`},
		{10, 21, "projects[2].when_modified[0]", `"../../../../*.tf" reaches outside the repository`},
		{10, 41, "projects[2].when_modified[1]", `"[*.tf" is not a valid glob: check that its [ ] and { } are paired`},
		{11, 10, "projects[3].dir", `project name "staging" (from dir) is already used by projects[2]: give each project a distinct name`},
		{13, 11, "services[0].name", `"staging" is also the name of projects[2]: give the service another name so commands cannot mistake one for the other`},
		{14, 13, "services[0].after[0]", `no project is called "prodution"; did you mean "production"?`},
		{16, 21, "services[0].ecr_repository", `"111111111111.dkr.ecr.us-east-1.amazonaws.com/classla-backend" is a repository URI: give the repository name only`},
		{19, 19, "services[0].wait_timeout", "0s is not a positive duration: set how long to wait for the deployment, such as 10m"},
	},
	schema: schemaAccepts,
}, {
	file: "paths.yaml",
	want: []Problem{
		{4, 10, "projects[0].dir", `write "terraform/envs/staging/" as "terraform/envs/staging"`},
		{6, 10, "projects[1].dir", `"/srv/terraform" must be a relative path`},
		{8, 10, "projects[2].dir", `"terraform/../../other" points outside the repository`},
		{10, 10, "projects[3].dir", `write "terraform\\envs\\prod" as "terraform/envs/prod": use forward slashes`},
		{11, 24, "projects[3].cost.usage_file", `"../../../../usage.yml" points outside the repository`},
		{14, 22, "services[0].build.context", `"../backend" points outside the repository`},
		{14, 46, "services[0].build.dockerfile", `write "./backend/Dockerfile" as "backend/Dockerfile"`},
	},
}, {
	file: "types.yaml",
	want: []Problem{
		{1, 10, "version", "expected a whole number, got a string"},
		{3, 3, "projects", "expected a list, got a mapping"},
		{6, 20, "services[0].when_modified", "expected a list, got a string"},
		{7, 12, "services[0].build", "expected a mapping of keys, got a string"},
		{9, 55, "services[0].ecs.port", "unknown key; known keys here are cluster, service, container"},
		{11, 19, "services[0].wait_timeout", "expected a duration such as 10m or 1h30m, got the number 600"},
	},
}, {
	file: "missing.yaml",
	want: []Problem{
		{1, 1, "", "missing required key \"version\": add `version: 1` at the top of the file"},
		{2, 5, "projects[0]", `missing required key "dir": set it to the Terraform root module's directory, relative to the repository root`},
		{3, 10, "projects[0].aws", "names no role: set plan_role_arn (the read-only role plans of pull requests assume) and role_arn (the role the merge-time plan and the apply assume), or leave aws out"},
		{5, 5, "services[0]", `missing required key "aws": set role_arn of the role the service's deployments assume (ECR and ECS, or Amplify)`},
		{5, 5, "services[0]", `missing required key "ecr_repository": name the ECR repository the image is pushed to`},
		{7, 7, "services[0].build", `missing required key "context": set the directory sent to the image build, relative to the repository root`},
		{8, 10, "services[0].ecs", `missing required key "service": set the ECS service name`},
		{8, 10, "services[0].ecs", `missing required key "container": set the name of the container in the task definition whose image is replaced`},
	},
}, {
	// Least privilege by phase (SPEC §10): every project that applies with a role also names
	// the read-only role its pull requests' plans assume, and that role is another one.
	file: "roles.yaml",
	want: []Problem{
		{6, 7, "projects[0].aws", `missing key "plan_role_arn": role_arn is only for the merge-time plan and the apply, so plans of ` +
			`pull-request code need a read-only role of their own; add plan_role_arn (terraform/modules/github_oidc creates it as ` +
			`${name_prefix}-plan-${environment}, here probably arn:aws:iam::111111111111:role/gantry-plan-production)`},
		{10, 26, "projects[1].aws.plan_role_arn", `"arn:aws:iam::111111111111:user/gantry-plan-staging" is not an IAM role ARN: expected arn:aws:iam::ACCOUNT_ID:role/NAME`},
		{14, 22, "projects[2].aws.plan_role_arn", "is the same role as role_arn, so plans of pull-request code would run with the permissions that apply: name a read-only role here"},
		{18, 10, "projects[3].aws", `missing key "plan_role_arn": role_arn is only for the merge-time plan and the apply, so plans of ` +
			`pull-request code need a read-only role of their own; add plan_role_arn (terraform/modules/github_oidc creates it as ` +
			`${name_prefix}-plan-${environment})`},
		{24, 77, "services[0].aws.plan_role_arn", "services have no plan phase (a deployment ships merged code with role_arn): remove plan_role_arn; it belongs to projects"},
	},
}, {
	// A service is a container service or an Amplify frontend, never both and never neither.
	file: "amplify.yaml",
	want: []Problem{
		{5, 5, "services[0].build", "build is for a container service on ECS, but this service deploys the Amplify app of amplify: remove build, or make it two services"},
		{7, 5, "services[0].ecs", "ecs is for a container service on ECS, but this service deploys the Amplify app of amplify: remove ecs, or make it two services"},
		{11, 14, "services[1].amplify", `missing required key "app_id": set the Amplify app's ID, such as d1a2b3c4d5e6f7 (the end of the app's ARN, shown in the console's App settings)`},
		{14, 5, "services[2].amplify", `an Amplify service needs when_modified: list the globs of the frontend's sources, such as ["frontend/**"], so that merges that change them deploy it`},
		{15, 7, "services[2].amplify", `missing required key "branch": set the Amplify branch whose releases deploy the service, such as main`},
		{15, 15, "services[2].amplify.app_id", `"App-1" is not an Amplify app ID such as d1a2b3c4d5e6f7: copy it from the end of the app's ARN or the Amplify console's App settings`},
		{17, 5, "services[3]", "deploys nothing: set build, ecr_repository and ecs for a container service on ECS, or amplify: {app_id: ID, branch: NAME} for a frontend on Amplify"},
	},
}, {
	file: "empty.yaml",
	want: []Problem{{1, 1, "", "the file is empty: start it with `version: 1` and list projects or services"}},
}, {
	file:   "two-documents.yaml",
	want:   []Problem{{5, 1, "", "the file holds 2 YAML documents; gantry reads one: remove the `---` separators"}},
	schema: schemaCannotRead,
}, {
	file:   "syntax.yaml",
	want:   []Problem{{4, 10, "", "YAML syntax error: sequence end token ']' not found"}},
	schema: schemaCannotRead,
}, {
	file:   "duplicate-key.yaml",
	want:   []Problem{{4, 5, "", `YAML syntax error: mapping key "dir" already defined at [3:5]`}},
	schema: schemaCannotRead,
}}

func TestParseReportsEveryProblemWithItsPosition(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/broken/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(brokenFiles) {
		t.Errorf("testdata/broken has %d files, the table %d: give every file its expected problems", len(files), len(brokenFiles))
	}
	for _, tt := range brokenFiles {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			_, err := ParseFile(filepath.Join("testdata/broken", tt.file))
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error = %v, want an *Error", err)
			}
			if diff := cmp.Diff(tt.want, perr.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorPrintsOneProblemPerLineWithTheFileName(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/broken/unknown-keys.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(data)
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	want := `.gantry.yaml:7:5: projects[0].when_modifed: unknown key; did you mean "when_modified"?`
	if len(lines) != 4 || lines[0] != want {
		t.Errorf("error =\n%s\nwant 4 lines, the first %q", err, want)
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	const head = "version: 1\nprojects:\n"
	tests := []struct {
		name string
		yaml string
		want []Problem
	}{{
		name: "a project in the repository root without a name",
		yaml: head + "  - dir: .\n",
		want: []Problem{{3, 5, "projects[0]", "a project in the repository root needs a name: set name"}},
	}, {
		name: "a dir with backslashes, reported once although the default name comes from it",
		yaml: head + "  - dir: infra\\prod\n",
		want: []Problem{{3, 10, "projects[0].dir", `write "infra\\prod" as "infra/prod": use forward slashes`}},
	}, {
		name: "an empty when_modified list, which would never plan",
		yaml: head + "  - {dir: infra, when_modified: []}\n",
		want: []Problem{{3, 33, "projects[0].when_modified", "lists no patterns: leave it out for the default, or use autoplan: false"}},
	}, {
		name: "a version range where an exact Terraform version belongs",
		yaml: head + "  - {dir: infra, terraform_version: \"~> 1.5\"}\n",
		want: []Problem{{3, 37, "projects[0].terraform_version", `"~> 1.5" is not a Terraform version: pin an exact release such as "1.5.7"`}},
	}, {
		name: "an alias to an anchor that does not exist",
		yaml: head + "  - {dir: infra, apply: *missing}\n",
		want: []Problem{{3, 25, "projects[0].apply", "alias *missing refers to no anchor defined before it"}},
	}, {
		name: "a custom YAML tag",
		yaml: head + "  - {dir: !Ref infra}\n",
		want: []Problem{{3, 11, "projects[0].dir", "YAML tag !Ref is not supported: remove it"}},
	}, {
		name: "an infinite cost limit",
		yaml: head + "  - {dir: infra, cost: {max_monthly_increase: .inf}}\n",
		want: []Problem{{3, 47, "projects[0].cost.max_monthly_increase", "expected a number, got the number .inf"}},
	}, {
		name: "a whole number too large for the version",
		yaml: "version: 99999999999999999999\n",
		want: []Problem{{1, 10, "version", "99999999999999999999 is too large"}},
	}, {
		name: "a list where the file's keys belong",
		yaml: "- version: 1\n",
		want: []Problem{{1, 1, "", "expected a mapping of keys, got a list"}},
	}, {
		name: "backend settings with '=' in the name",
		yaml: head + "  - dir: infra\n    backend_config: {\"a=b\": c}\n",
		want: []Problem{{4, 22, "projects[0].backend_config.a=b", `"a=b" cannot be passed as -backend-config=KEY=VALUE: use the backend's setting name`}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.yaml))
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error = %v, want an *Error", err)
			}
			if diff := cmp.Diff(tt.want, perr.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseStopsAFileThatExpandsExponentially(t *testing.T) {
	t.Parallel()
	// Each level merges the two mappings of the level below: 2^40 keys from 80 lines.
	var b strings.Builder
	b.WriteString("version: 1\nlevels:\n  - &a0 {dir: x}\n  - &b0 {dir: y}\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "  - &a%d {<<: [*a%d, *b%d]}\n  - &b%d {<<: [*b%d, *a%d]}\n", i, i-1, i-1, i, i-1, i-1)
	}
	b.WriteString("projects:\n  - <<: *a40\n")
	_, err := Parse([]byte(b.String()))
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("error = %v, want an *Error", err)
	}
	want := Problem{Msg: "the file expands to more than 100000 values through aliases and merge keys: write it out plainly"}
	if !slices.Contains(perr.Problems, want) {
		t.Errorf("problems = %v, want one saying the file expands too far", perr.Problems)
	}
}
