package config

import (
	"fmt"
	"os"
	"path"
	"reflect"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// The yaml tags below are the .gantry.yaml keys of SPEC §4; `jsonschema:"required"` marks
// keys that must be present. Both are read by the decoder and by the test that keeps
// schema/gantry.schema.json in step with these types.

// Repo is a parsed, defaulted and validated .gantry.yaml.
type Repo struct {
	Version  int       `yaml:"version" jsonschema:"required"`
	Projects []Project `yaml:"projects,omitempty"`
	Services []Service `yaml:"services,omitempty"`
}

// Project is one Terraform root module.
type Project struct {
	Name             string            `yaml:"name"`
	Dir              string            `yaml:"dir" jsonschema:"required"`
	Workspace        string            `yaml:"workspace"`
	TerraformVersion string            `yaml:"terraform_version,omitempty"`
	WhenModified     []string          `yaml:"when_modified"` // relative to Dir
	Autoplan         bool              `yaml:"autoplan"`
	BackendConfig    map[string]string `yaml:"backend_config,omitempty"`
	Apply            Apply             `yaml:"apply"`
	AWS              AWS               `yaml:"aws,omitempty"` // zero: Terraform runs without AWS credentials
	Cost             Cost              `yaml:"cost,omitempty"`
}

// Apply says when a project's plans are applied.
type Apply struct {
	On       string   `yaml:"on"`                 // ApplyOnMerge or ApplyOnComment
	Requires []string `yaml:"requires,omitempty"` // any of RequireApproved, RequireMergeable, RequireUndiverged
}

// Values of Apply.On and Apply.Requires.
const (
	ApplyOnMerge   = "merge"
	ApplyOnComment = "comment"

	RequireApproved   = "approved"
	RequireMergeable  = "mergeable"
	RequireUndiverged = "undiverged"
)

// AWS is the roles a project's Terraform assumes by web identity, one per phase (SPEC §10):
// a plan of a pull request's code never gets the role that applies. Validation requires
// PlanRoleARN whenever RoleARN is set; PlanRoleARN alone is a project gantry only plans with
// credentials (its merge-time plan and apply run without any).
type AWS struct {
	PlanRoleARN string `yaml:"plan_role_arn,omitempty"` // read-only: autoplan and /plan of pull-request code
	RoleARN     string `yaml:"role_arn,omitempty"`      // the merge-time plan and the apply, /apply under apply.on: comment
	Region      string `yaml:"region,omitempty"`        // empty: the SDK's default (AWS_REGION)
}

// ServiceAWS is the role a service's deployments and rollbacks assume by web identity.
// Services have no plan phase: they ship merged code only, so they have one role.
type ServiceAWS struct {
	RoleARN string `yaml:"role_arn" jsonschema:"required"`
	Region  string `yaml:"region,omitempty"` // empty: the SDK's default (AWS_REGION)
}

// Cost holds a project's cost-estimation settings.
type Cost struct {
	UsageFile          string   `yaml:"usage_file,omitempty"`           // relative to the project's Dir
	MaxMonthlyIncrease *float64 `yaml:"max_monthly_increase,omitempty"` // USD; nil: no limit
}

// Service is deployed after the infrastructure: either a container service (Build,
// ECRRepository and ECS: an image built, pushed and rolled out on ECS) or, when Amplify is
// set, a frontend on AWS Amplify (a release of a branch; Build, ECRRepository and ECS are
// then zero). Validation ensures it is exactly one of the two.
type Service struct {
	Name          string     `yaml:"name" jsonschema:"required"`
	After         []string   `yaml:"after,omitempty"`
	WhenModified  []string   `yaml:"when_modified"` // relative to the repository root
	Build         Build      `yaml:"build,omitempty"`
	ECRRepository string     `yaml:"ecr_repository,omitempty"`
	ECS           ECS        `yaml:"ecs,omitempty"`
	Amplify       *Amplify   `yaml:"amplify,omitempty"` // nil: a container service
	AWS           ServiceAWS `yaml:"aws" jsonschema:"required"`
	WaitTimeout   Duration   `yaml:"wait_timeout"`
}

// IsAmplify reports whether the service is a frontend on Amplify rather than a container service.
func (s *Service) IsAmplify() bool { return s.Amplify != nil }

// Amplify names the Amplify app and branch a frontend service releases (SPEC §6).
type Amplify struct {
	AppID  string `yaml:"app_id" jsonschema:"required"` // such as d1a2b3c4d5e6f7
	Branch string `yaml:"branch" jsonschema:"required"`
}

// Build says how a service's image is built.
type Build struct {
	Context    string   `yaml:"context" jsonschema:"required"`
	Dockerfile string   `yaml:"dockerfile"`                // docker builder; relative to the repository root
	BaseImage  string   `yaml:"base_image,omitempty"`      // oci builder
	Entrypoint []string `yaml:"entrypoint,omitempty,flow"` // oci builder; nil keeps the base image's
}

// ECS names the ECS service a service is deployed to.
type ECS struct {
	Cluster   string `yaml:"cluster" jsonschema:"required"`
	Service   string `yaml:"service" jsonschema:"required"`
	Container string `yaml:"container" jsonschema:"required"`
}

// Defaults of SPEC §4.
var (
	DefaultWhenModified = []string{"*.tf", "*.tf.json", "*.tfvars", ".terraform.lock.hcl"}
)

const (
	DefaultWorkspace   = "default"
	DefaultWaitTimeout = Duration(10 * time.Minute)
)

// Parse reads a .gantry.yaml, applies defaults and validates it. Any problem is reported in
// an *Error holding every problem found, each with its line and column.
func Parse(data []byte) (*Repo, error) {
	return parse(DefaultFileName, data)
}

// ParseFile is Parse of the file at name; problems are reported against name.
func ParseFile(name string) (*Repo, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading gantry configuration: %w", err)
	}
	return parse(name, data)
}

func parse(file string, data []byte) (*Repo, error) {
	ps := &problems{pos: newPositions()}
	root, ok := parseDocument(data, ps)
	if !ok {
		return nil, &Error{File: file, Problems: ps.sorted()}
	}
	var r Repo
	newDecoder(root, ps).decode(root, reflect.ValueOf(&r).Elem(), "")
	r.applyDefaults()
	validate(&r, ps)
	if len(ps.list) > 0 {
		return nil, &Error{File: file, Problems: ps.sorted()}
	}
	return &r, nil
}

// preset sets the defaults that cannot be told apart from a written zero value after
// decoding; the decoder calls it on each new project and service before filling it in.
func (p *Project) preset() {
	p.Workspace = DefaultWorkspace
	p.Autoplan = true
	p.Apply.On = ApplyOnMerge
}

func (s *Service) preset() {
	s.WaitTimeout = DefaultWaitTimeout
}

// applyDefaults derives the defaults that depend on other keys. Empty lists and mappings
// become nil: `requires: []` means the same as leaving requires out.
func (r *Repo) applyDefaults() {
	r.Projects, r.Services = nilIfEmpty(r.Projects), nilIfEmpty(r.Services)
	for i := range r.Projects {
		p := &r.Projects[i]
		p.Apply.Requires = nilIfEmpty(p.Apply.Requires)
		if len(p.BackendConfig) == 0 {
			p.BackendConfig = nil
		}
		if p.Name == "" && p.Dir != "." {
			p.Name = defaultProjectName(p.Dir)
		}
		if p.WhenModified == nil {
			p.WhenModified = append([]string(nil), DefaultWhenModified...)
		}
	}
	for i := range r.Services {
		s := &r.Services[i]
		s.After, s.Build.Entrypoint = nilIfEmpty(s.After), nilIfEmpty(s.Build.Entrypoint)
		if s.WhenModified == nil && s.Build.Context != "" {
			s.WhenModified = []string{path.Join(s.Build.Context, "**")}
		}
		if s.Build.Dockerfile == "" && s.Build.Context != "" {
			s.Build.Dockerfile = path.Join(s.Build.Context, "Dockerfile")
		}
	}
}

func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

func defaultProjectName(dir string) string {
	b := []byte(dir)
	for i, c := range b {
		if c == '/' {
			b[i] = '-'
		}
	}
	return string(b)
}

// Project returns the project called name.
func (r *Repo) Project(name string) (*Project, bool) {
	for i := range r.Projects {
		if r.Projects[i].Name == name {
			return &r.Projects[i], true
		}
	}
	return nil, false
}

// Service returns the service called name.
func (r *Repo) Service(name string) (*Service, bool) {
	for i := range r.Services {
		if r.Services[i].Name == name {
			return &r.Services[i], true
		}
	}
	return nil, false
}

// Affected reports whether a change to file (a slash-separated path relative to the
// repository root) should plan the project: when_modified is relative to Dir.
func (p *Project) Affected(file string) bool {
	return matchAny(p.Dir, p.WhenModified, file)
}

// Affected reports whether a change to file (relative to the repository root) should
// rebuild and redeploy the service.
func (s *Service) Affected(file string) bool {
	return matchAny(".", s.WhenModified, file)
}

func matchAny(dir string, patterns []string, file string) bool {
	for _, p := range patterns {
		// Validation guarantees the pattern is valid, so an error cannot occur here.
		if ok, _ := doublestar.Match(path.Join(dir, p), file); ok {
			return true
		}
	}
	return false
}
