package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"
	invopop "github.com/invopop/jsonschema"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/classla/gantry/schema"
)

// shape is a schema's property tree: key names at every level and which are required.
type shape struct {
	Properties map[string]shape
	Required   []string
	Items      *shape
}

// shapeOf walks a JSON Schema document from node, following local $refs.
func shapeOf(t *testing.T, doc, node map[string]any) shape {
	t.Helper()
	node = deref(t, doc, node)
	var s shape
	if props, ok := node["properties"].(map[string]any); ok {
		s.Properties = map[string]shape{}
		for name, p := range props {
			s.Properties[name] = shapeOf(t, doc, p.(map[string]any))
		}
	}
	for _, r := range asSlice(node["required"]) {
		s.Required = append(s.Required, r.(string))
	}
	slices.Sort(s.Required)
	if items, ok := node["items"].(map[string]any); ok {
		is := shapeOf(t, doc, items)
		s.Items = &is
	}
	return s
}

func deref(t *testing.T, doc, node map[string]any) map[string]any {
	t.Helper()
	for {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		target := any(doc)
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, ok := target.(map[string]any)
			if !ok {
				t.Fatalf("$ref %s does not resolve", ref)
			}
			target = m[part]
		}
		node, ok = target.(map[string]any)
		if !ok {
			t.Fatalf("$ref %s does not resolve to a schema", ref)
		}
	}
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func schemaDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(schema.JSON, &doc); err != nil {
		t.Fatalf("schema/gantry.schema.json is not JSON: %v", err)
	}
	return doc
}

func TestSchemaHasTheKeysOfTheGoTypes(t *testing.T) {
	t.Parallel()
	r := &invopop.Reflector{FieldNameTag: "yaml", RequiredFromJSONSchemaTags: true}
	data, err := json.Marshal(r.Reflect(&Repo{}))
	if err != nil {
		t.Fatal(err)
	}
	var reflected map[string]any
	if err := json.Unmarshal(data, &reflected); err != nil {
		t.Fatal(err)
	}
	doc := schemaDoc(t)
	want, got := shapeOf(t, reflected, reflected), shapeOf(t, doc, doc)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schema/gantry.schema.json differs from the Go types (-types +schema):\n%s", diff)
	}
}

func TestSchemaDescribesEveryPropertyAndForbidsUnknownKeys(t *testing.T) {
	t.Parallel()
	doc := schemaDoc(t)
	var walk func(path string, node map[string]any)
	seen := map[string]bool{}
	walk = func(path string, node map[string]any) {
		if seen[path] {
			return
		}
		seen[path] = true
		target := deref(t, doc, node)
		if node["description"] == nil && target["description"] == nil && path != "" {
			t.Errorf("%s has no description for editors to show", path)
		}
		if props, ok := target["properties"].(map[string]any); ok {
			if target["additionalProperties"] != false {
				t.Errorf("%s allows unknown keys", path)
			}
			for name, p := range props {
				walk(strings.TrimPrefix(path+"."+name, "."), p.(map[string]any))
			}
		}
		if items, ok := target["items"].(map[string]any); ok {
			walk(path+"[]", items)
		}
	}
	walk("", doc)
}

// The schema's patterns, enums and defaults mirror validation and defaults in Go.
func TestSchemaMirrorsValidationAndDefaults(t *testing.T) {
	t.Parallel()
	doc := schemaDoc(t)
	at := func(path string) any {
		var v any = doc
		for _, part := range strings.Split(path, "/") {
			v = v.(map[string]any)[part]
		}
		return v
	}
	whenModified := make([]any, len(DefaultWhenModified))
	for i, g := range DefaultWhenModified {
		whenModified[i] = g
	}
	tests := []struct {
		path string
		want any
	}{
		{"$defs/name/pattern", namePattern.String()},
		{"$defs/project/properties/workspace/pattern", workspacePattern.String()},
		{"$defs/project/properties/terraform_version/pattern", versionPattern.String()},
		{"$defs/aws/properties/plan_role_arn/pattern", roleARNPattern.String()},
		{"$defs/aws/properties/role_arn/pattern", roleARNPattern.String()},
		{"$defs/aws/properties/region/pattern", regionPattern.String()},
		{"$defs/service_aws/properties/role_arn/pattern", roleARNPattern.String()},
		{"$defs/service_aws/properties/region/pattern", regionPattern.String()},
		{"$defs/service/properties/ecr_repository/pattern", ecrRepoPattern.String()},
		{"$defs/amplify/properties/app_id/pattern", amplifyAppID.String()},
		{"$defs/amplify/properties/branch/maxLength", float64(maxAmplifyBranch)},
		{"$defs/apply/properties/on/enum", []any{ApplyOnMerge, ApplyOnComment}},
		{"$defs/apply/properties/requires/items/enum", []any{RequireApproved, RequireMergeable, RequireUndiverged}},
		{"$defs/project/properties/workspace/default", DefaultWorkspace},
		{"$defs/project/properties/when_modified/default", whenModified},
		{"$defs/project/properties/autoplan/default", true},
		{"$defs/apply/properties/on/default", ApplyOnMerge},
		{"$defs/service/properties/wait_timeout/default", "10m"}, // DefaultWaitTimeout
	}
	if DefaultWaitTimeout.String() != "10m0s" {
		t.Errorf("DefaultWaitTimeout = %s, but the schema says 10m", DefaultWaitTimeout)
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, at(tt.path)); diff != "" {
			t.Errorf("%s (-go +schema):\n%s", tt.path, diff)
		}
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.JSON))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const url = "gantry.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compiling schema/gantry.schema.json: %v", err)
	}
	return sch
}

// yamlToJSON turns a .gantry.yaml into the JSON value an editor's YAML support validates.
func yamlToJSON(t *testing.T, file string) any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSchemaAcceptsEveryValidConfig(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	// spec-example.yaml is SPEC §4's example, copied verbatim into testdata.
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(files, "testdata/spec-example.yaml") {
		t.Fatal("testdata/spec-example.yaml is missing")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			if _, err := ParseFile(file); err != nil {
				t.Fatalf("Parse rejects a config meant to be valid: %v", err)
			}
			if err := sch.Validate(yamlToJSON(t, file)); err != nil {
				t.Errorf("schema rejects a valid config: %v", err)
			}
		})
	}
}

func TestSchemaRejectsWhatItCanExpress(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	for _, tt := range brokenFiles {
		if tt.schema == schemaCannotRead {
			continue
		}
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			err := sch.Validate(yamlToJSON(t, filepath.Join("testdata/broken", tt.file)))
			switch {
			case tt.schema == schemaRejects && err == nil:
				t.Error("schema accepts a config broken in a way it can express")
			case tt.schema == schemaAccepts && err != nil:
				t.Errorf("schema rejects a config whose only problems it cannot express: %v", err)
			}
		})
	}
}

// The schema says what validation says about a project's roles by phase, so an editor flags an
// apply role without a plan role as the file is written.
func TestSchemaChecksTheRolesOfEachPhase(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	const (
		plan  = `"arn:aws:iam::111111111111:role/gantry-plan-production"`
		apply = `"arn:aws:iam::111111111111:role/gantry-terraform-production"`
		svc   = `build: {context: b}, ecr_repository: b, ecs: {cluster: c, service: s, container: b}`
	)
	tests := []struct {
		name  string
		aws   string
		valid bool
	}{
		{"a project with both roles", `{dir: x, aws: {plan_role_arn: ` + plan + `, role_arn: ` + apply + `}}`, true},
		{"a project that only plans with a role", `{dir: x, aws: {plan_role_arn: ` + plan + `}}`, true},
		{"a project with an apply role and no plan role", `{dir: x, aws: {role_arn: ` + apply + `}}`, false},
		{"a project whose aws names no role", `{dir: x, aws: {region: us-east-1}}`, false},
		{"a plan role that is not a role ARN", `{dir: x, aws: {plan_role_arn: "gantry-plan", role_arn: ` + apply + `}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := "version: 1\nprojects:\n  - " + tt.aws + "\n"
			checkSchema(t, sch, doc, tt.valid)
		})
	}
	t.Run("a service with a plan role", func(t *testing.T) {
		t.Parallel()
		doc := "version: 1\nservices:\n  - {name: b, " + svc + ", aws: {role_arn: " + apply + ", plan_role_arn: " + plan + "}}\n"
		checkSchema(t, sch, doc, false)
	})
}

// checkSchema validates a .gantry.yaml written out in the test against the schema and against
// Parse, which must agree.
func checkSchema(t *testing.T, sch *jsonschema.Schema, doc string, valid bool) {
	t.Helper()
	file := filepath.Join(t.TempDir(), ".gantry.yaml")
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(yamlToJSON(t, file)); (err == nil) != valid {
		t.Errorf("schema accepts %q: %v, want %v (%v)", doc, err == nil, valid, err)
	}
	if _, err := Parse([]byte(doc)); (err == nil) != valid {
		t.Errorf("Parse accepts %q: %v, want %v (%v)", doc, err == nil, valid, err)
	}
}

// The schema says a service is a container service or an Amplify frontend, as Parse does.
func TestSchemaTellsContainerServicesFromAmplifyOnes(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	const (
		role      = `aws: {role_arn: "arn:aws:iam::111111111111:role/deploy"}`
		container = `build: {context: b}, ecr_repository: b, ecs: {cluster: c, service: s, container: b}`
		amplify   = `when_modified: ["web/**"], amplify: {app_id: d1a2b3c4, branch: main}`
	)
	tests := []struct {
		name    string
		service string
		valid   bool
	}{
		{"a container service", container, true},
		{"an Amplify service", amplify, true},
		{"an Amplify service with ecs", amplify + `, ecs: {cluster: c, service: s, container: b}`, false},
		{"an Amplify service with ecr_repository", amplify + `, ecr_repository: b`, false},
		{"an Amplify service without when_modified", `amplify: {app_id: d1a2b3c4, branch: main}`, false},
		{"an Amplify service without a branch", `when_modified: ["web/**"], amplify: {app_id: d1a2b3c4}`, false},
		{"an Amplify app id that is not one", `when_modified: ["web/**"], amplify: {app_id: my-app, branch: main}`, false},
		{"a service with neither", `when_modified: ["web/**"]`, false},
		{"a container service without ecs", `build: {context: b}, ecr_repository: b`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkSchema(t, sch, "version: 1\nservices:\n  - {name: web, "+tt.service+", "+role+"}\n", tt.valid)
		})
	}
}
