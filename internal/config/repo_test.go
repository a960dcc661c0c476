package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

// testdata/spec-example.yaml is the .gantry.yaml example of SPEC §4, copied verbatim; the
// want value below is that example read by hand, plus the defaults SPEC §4 names.
func TestParseReadsTheSpecExample(t *testing.T) {
	t.Parallel()
	got, err := ParseFile("testdata/spec-example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Repo{
		Version: 1,
		Projects: []Project{{
			Name:             "production",
			Dir:              "terraform/envs/production",
			Workspace:        "default",
			TerraformVersion: "1.5.7",
			WhenModified:     []string{"*.tf", "*.tfvars", "../../modules/**/*.tf"},
			Autoplan:         true,
			BackendConfig:    map[string]string{"key": "production.tfstate"},
			Apply:            Apply{On: "merge", Requires: []string{"approved"}},
			AWS: AWS{PlanRoleARN: "arn:aws:iam::111111111111:role/gantry-plan-production",
				RoleARN: "arn:aws:iam::111111111111:role/gantry-terraform-production", Region: "us-east-1"},
			Cost: Cost{UsageFile: "cost-usage.yml", MaxMonthlyIncrease: ptr(200.0)},
		}},
		Services: []Service{{
			Name:         "backend",
			After:        []string{"production"},
			WhenModified: []string{"backend/**"},
			Build: Build{
				Context:    "backend",
				Dockerfile: "backend/Dockerfile",
				BaseImage:  "node:20-slim",
				Entrypoint: []string{"node", "dist/server.js"},
			},
			ECRRepository: "classla-backend",
			ECS:           ECS{Cluster: "classla-production", Service: "classla-backend", Container: "backend"},
			AWS:           ServiceAWS{RoleARN: "arn:aws:iam::111111111111:role/gantry-deploy-backend", Region: "us-east-1"},
			WaitTimeout:   Duration(10 * time.Minute),
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spec example (-want +got):\n%s", diff)
	}
}

func TestParseAppliesDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		want *Repo
	}{{
		name: "a project with only a dir gets every default of SPEC §4",
		yaml: "version: 1\nprojects:\n  - dir: terraform/envs/production\n",
		want: &Repo{Version: 1, Projects: []Project{{
			Name:         "terraform-envs-production",
			Dir:          "terraform/envs/production",
			Workspace:    "default",
			WhenModified: []string{"*.tf", "*.tf.json", "*.tfvars", ".terraform.lock.hcl"},
			Autoplan:     true,
			Apply:        Apply{On: "merge"},
		}}},
	}, {
		name: "a service gets its context as when_modified and Dockerfile, and a 10 minute wait",
		yaml: `version: 1
services:
  - name: api
    build: {context: services/api}
    ecr_repository: api
    ecs: {cluster: prod, service: api, container: app}
    aws: {role_arn: "arn:aws:iam::222222222222:role/deploy"}
`,
		want: &Repo{Version: 1, Services: []Service{{
			Name:          "api",
			WhenModified:  []string{"services/api/**"},
			Build:         Build{Context: "services/api", Dockerfile: "services/api/Dockerfile"},
			ECRRepository: "api",
			ECS:           ECS{Cluster: "prod", Service: "api", Container: "app"},
			AWS:           ServiceAWS{RoleARN: "arn:aws:iam::222222222222:role/deploy"},
			WaitTimeout:   Duration(10 * time.Minute),
		}}},
	}, {
		name: "autoplan false and an explicit workspace are kept",
		yaml: "version: 1\nprojects:\n  - {name: blue, dir: infra, workspace: blue, autoplan: false}\n",
		want: &Repo{Version: 1, Projects: []Project{{
			Name: "blue", Dir: "infra", Workspace: "blue", Autoplan: false, Apply: Apply{On: "merge"},
			WhenModified: []string{"*.tf", "*.tf.json", "*.tfvars", ".terraform.lock.hcl"},
		}}},
	}, {
		name: "backend settings written as numbers and booleans are passed as text",
		yaml: "version: 1\nprojects:\n  - name: p\n    dir: .\n    backend_config: {encrypt: true, retries: 3}\n",
		want: &Repo{Version: 1, Projects: []Project{{
			Name: "p", Dir: ".", Workspace: "default", Autoplan: true, Apply: Apply{On: "merge"},
			WhenModified:  []string{"*.tf", "*.tf.json", "*.tfvars", ".terraform.lock.hcl"},
			BackendConfig: map[string]string{"encrypt": "true", "retries": "3"},
		}}},
	}, {
		name: "a quoted or !!str-tagged number is a string",
		yaml: "version: 1\nprojects:\n  - {dir: x, terraform_version: \"1.10.0\", workspace: !!str 2024}\n",
		want: &Repo{Version: 1, Projects: []Project{{
			Name: "x", Dir: "x", Workspace: "2024", TerraformVersion: "1.10.0", Autoplan: true, Apply: Apply{On: "merge"},
			WhenModified: []string{"*.tf", "*.tf.json", "*.tfvars", ".terraform.lock.hcl"},
		}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFollowsAnchorsAndMergeKeys(t *testing.T) {
	t.Parallel()
	got, err := ParseFile("testdata/anchors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	staging, ok := got.Project("staging")
	if !ok {
		t.Fatalf("no project staging in %+v", got.Projects)
	}
	// staging merges production's keys and overrides name and dir.
	want := Project{
		Name: "staging", Dir: "terraform/envs/staging", Workspace: "default", Autoplan: true,
		WhenModified: []string{"*.tf", "*.tf.json", "*.tfvars", ".terraform.lock.hcl"},
		Apply:        Apply{On: "comment", Requires: []string{"approved"}},
		AWS: AWS{PlanRoleARN: "arn:aws:iam::111111111111:role/gantry-plan",
			RoleARN: "arn:aws:iam::111111111111:role/gantry-terraform", Region: "us-east-1"},
	}
	if diff := cmp.Diff(want, *staging); diff != "" {
		t.Errorf("staging (-want +got):\n%s", diff)
	}
}

func TestClasslaConfigDescribesTheFirstUsersStack(t *testing.T) {
	t.Parallel()
	r, err := ParseFile("testdata/classla.yaml")
	if err != nil {
		t.Fatal(err)
	}
	prod, ok := r.Project("production")
	if !ok {
		t.Fatal("no production project")
	}
	if _, ok := r.Project("staging"); !ok {
		t.Fatal("no staging project")
	}
	backend, ok := r.Service("backend")
	if !ok {
		t.Fatal("no backend service")
	}
	if _, ok := r.Service("production"); ok {
		t.Error("Service found a project's name")
	}
	if diff := cmp.Diff(map[string]string{
		"bucket": "classla-terraform-state", "key": "production/terraform.tfstate", "region": "us-east-1",
		"dynamodb_table": "classla-terraform-locks", "encrypt": "true",
	}, prod.BackendConfig); diff != "" {
		t.Errorf("production backend_config (-want +got):\n%s", diff)
	}
	if got, want := backend.WaitTimeout, Duration(15*time.Minute); got != want {
		t.Errorf("backend wait_timeout = %v, want %v", got, want)
	}
	// Lookups return the configured entry itself, so callers see the same values.
	if prod != &r.Projects[1] || backend != &r.Services[0] {
		t.Error("lookups do not point into the configuration")
	}
}

func TestAffectedMatchesChangedFiles(t *testing.T) {
	t.Parallel()
	r, err := ParseFile("testdata/spec-example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	prod, backend := &r.Projects[0], &r.Services[0]
	tests := []struct {
		file             string
		project, service bool
	}{
		{"terraform/envs/production/main.tf", true, false},
		{"terraform/envs/production/prod.tfvars", true, false},
		{"terraform/modules/alb/outputs.tf", true, false}, // ../../modules/**/*.tf from the project dir
		{"terraform/modules/alb/README.md", false, false},
		{"terraform/envs/production/nested/main.tf", false, false}, // *.tf does not cross directories
		{"terraform/envs/staging/main.tf", false, false},
		{"backend/src/server.ts", false, true},
		{"backend/Dockerfile", false, true},
		{"frontend/src/App.tsx", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			if got := prod.Affected(tt.file); got != tt.project {
				t.Errorf("production affected by %s = %v, want %v", tt.file, got, tt.project)
			}
			if got := backend.Affected(tt.file); got != tt.service {
				t.Errorf("backend affected by %s = %v, want %v", tt.file, got, tt.service)
			}
		})
	}
}

func TestParseFileNamesAMissingFile(t *testing.T) {
	t.Parallel()
	_, err := ParseFile("testdata/no-such.yaml")
	if err == nil {
		t.Fatal("no error for a missing file")
	}
	if want := "reading gantry configuration: open testdata/no-such.yaml: no such file or directory"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

// A project may plan with a role and apply without one; nothing falls back to the other key.
func TestParseKeepsAPlanOnlyProjectWithoutAnApplyRole(t *testing.T) {
	t.Parallel()
	r, err := ParseFile("testdata/plan-only.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := AWS{PlanRoleARN: "arn:aws:iam::111111111111:role/gantry-plan-audit", Region: "eu-west-1"}
	if diff := cmp.Diff(want, r.Projects[0].AWS); diff != "" {
		t.Errorf("aws (-want +got):\n%s", diff)
	}
}

func TestParseReadsAnAmplifyServiceBesideAContainerOne(t *testing.T) {
	t.Parallel()
	r, err := ParseFile("testdata/amplify.yaml")
	if err != nil {
		t.Fatal(err)
	}
	backend, _ := r.Service("backend")
	frontend, ok := r.Service("frontend")
	if !ok || backend.IsAmplify() || !frontend.IsAmplify() {
		t.Fatalf("backend amplify %v, frontend found %v; want only the frontend on Amplify", backend.Amplify, ok)
	}
	want := Service{
		Name:         "frontend",
		After:        []string{"production"},
		WhenModified: []string{"frontend/**"},
		Amplify:      &Amplify{AppID: "d1a2b3c4d5e6f7", Branch: "main"},
		AWS:          ServiceAWS{RoleARN: "arn:aws:iam::111111111111:role/gantry-deploy-frontend", Region: "us-east-1"},
		WaitTimeout:  Duration(20 * time.Minute),
	}
	if diff := cmp.Diff(want, *frontend); diff != "" {
		t.Errorf("frontend (-want +got):\n%s", diff)
	}
	if !frontend.Affected("frontend/src/main.ts") || frontend.Affected("backend/server.ts") {
		t.Error("the frontend deploys on changes outside frontend/ or not on changes inside it")
	}
}
