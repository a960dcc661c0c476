package config

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// The patterns are mirrored in schema/gantry.schema.json; keep them in step (and within
// what both Go's regexp and ECMAScript, which editors use, understand).
var (
	namePattern      = regexp.MustCompile(`^[A-Za-z0-9_.-]*[A-Za-z0-9_-][A-Za-z0-9_.-]*$`)
	workspacePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	versionPattern   = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$`)
	roleARNPattern   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+$`)
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	ecrRepoPattern   = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)
	amplifyAppID     = regexp.MustCompile(`^d[a-z0-9]{1,19}$`) // Amplify's appId: d[a-z0-9]+, at most 20 characters
)

// maxAmplifyBranch is the longest branch name Amplify accepts.
const maxAmplifyBranch = 255

var (
	applyOns = []string{ApplyOnMerge, ApplyOnComment}
	requires = []string{RequireApproved, RequireMergeable, RequireUndiverged}
)

// validate checks what the types cannot: values, references between entries, uniqueness.
func validate(r *Repo, ps *problems) {
	if r.Version != 1 {
		ps.at("version", "version %d is not supported: this gantry reads version 1", r.Version)
	}
	projects := map[string]string{} // name → path of the project that has it
	for i := range r.Projects {
		at := fmt.Sprintf("projects[%d]", i)
		dirOK := validateProject(&r.Projects[i], at, ps)
		validateProjectName(&r.Projects[i], at, dirOK, ps, projects)
	}
	services := map[string]string{}
	for i := range r.Services {
		at := fmt.Sprintf("services[%d]", i)
		validateService(&r.Services[i], at, ps, projects)
		validateServiceName(&r.Services[i], at, ps, projects, services)
	}
}

// validateProject checks one project and reports whether its dir is fine.
func validateProject(p *Project, at string, ps *problems) (dirOK bool) {
	dirOK = p.Dir != "" && checkRelPath(ps, at+".dir", p.Dir, ".")
	if p.Dir == "" {
		ps.at(at+".dir", "must not be empty: use \".\" for the repository root")
	}
	if !workspacePattern.MatchString(p.Workspace) {
		ps.at(at+".workspace", "%q is not a workspace name: use letters, digits, \".\", \"_\" and \"-\"", p.Workspace)
	}
	if p.TerraformVersion != "" && !versionPattern.MatchString(p.TerraformVersion) {
		ps.at(at+".terraform_version", "%q is not a Terraform version: pin an exact release such as \"1.5.7\"", p.TerraformVersion)
	}
	if ps.pos.written(at + ".when_modified") { // the default list cannot be wrong
		checkGlobs(ps, at+".when_modified", p.WhenModified, p.Dir, "autoplan: false")
	}
	for _, k := range sortedKeys(p.BackendConfig) {
		if k == "" || strings.ContainsAny(k, "= ") {
			ps.key(at+".backend_config."+k, "%q cannot be passed as -backend-config=KEY=VALUE: use the backend's setting name", k)
		}
	}
	checkOneOf(ps, at+".apply.on", p.Apply.On, applyOns)
	checkSubset(ps, at+".apply.requires", p.Apply.Requires, requires)
	if ps.pos.written(at + ".aws") {
		validateProjectAWS(p.AWS, at+".aws", ps)
	}
	if f := p.Cost.UsageFile; f != "" {
		checkRelPath(ps, at+".cost.usage_file", f, p.Dir)
	}
	if m := p.Cost.MaxMonthlyIncrease; m != nil && *m < 0 {
		ps.at(at+".cost.max_monthly_increase", "%v is negative: set the largest monthly increase in USD that may apply without confirmation, 0 or more", *m)
	}
	return dirOK
}

func validateProjectName(p *Project, at string, dirOK bool, ps *problems, seen map[string]string) {
	namePath, from := at+".name", ""
	if !ps.pos.written(namePath) {
		// The default name comes from dir, so point at dir.
		namePath, from = at+".dir", " (from dir)"
		if p.Dir == "." {
			ps.key(at, "a project in the repository root needs a name: set name")
			return
		}
	}
	switch {
	case from != "" && !dirOK:
		return // the problem with dir is reported already
	case p.Name == "":
		ps.at(namePath, "must not be empty")
	case !namePattern.MatchString(p.Name):
		ps.at(namePath, "project name %q%s is not a valid name: set name using letters, digits, \".\", \"_\" and \"-\"", p.Name, from)
	case seen[p.Name] != "":
		ps.at(namePath, "project name %q%s is already used by %s: give each project a distinct name", p.Name, from, seen[p.Name])
	default:
		seen[p.Name] = at
	}
}

func validateService(s *Service, at string, ps *problems, projects map[string]string) {
	for i, name := range s.After {
		if projects[name] == "" {
			msg := fmt.Sprintf("no project is called %q", name)
			if sug, ok := suggest(name, slices.Sorted(maps.Keys(projects))); ok {
				msg += fmt.Sprintf("; did you mean %q?", sug)
			}
			ps.at(fmt.Sprintf("%s.after[%d]", at, i), "%s", msg)
		}
	}
	checkDuplicates(ps, at+".after", s.After)
	// when_modified and dockerfile default to paths under build.context, so only what the
	// file wrote is checked: a bad context is reported once, at the context.
	if ps.pos.written(at + ".when_modified") {
		checkGlobs(ps, at+".when_modified", s.WhenModified, ".", "a pattern that matches the service's sources")
	}
	if validateServiceKind(s, at, ps) {
		validateContainer(s, at, ps)
	}
	checkRoleARN(ps, at+".aws.role_arn", s.AWS.RoleARN)
	checkRegion(ps, at+".aws.region", s.AWS.Region)
	if s.WaitTimeout <= 0 {
		ps.at(at+".wait_timeout", "%s is not a positive duration: set how long to wait for the deployment, such as 10m", s.WaitTimeout)
	}
}

// containerKeys are the keys of a container service, with what to write when one is missing.
var containerKeys = []struct{ key, hint string }{
	{"build", "say how to build the image: build.context at least"},
	{"ecr_repository", "name the ECR repository the image is pushed to"},
	{"ecs", "set cluster, service and container of the ECS service to deploy"},
}

// validateServiceKind checks that a service is either a container service or an Amplify
// frontend, and the Amplify one; it reports whether the container keys are to be checked.
func validateServiceKind(s *Service, at string, ps *problems) (container bool) {
	var given []string
	for _, k := range containerKeys {
		if ps.pos.given(at + "." + k.key) {
			given = append(given, k.key)
		}
	}
	switch {
	case s.Amplify != nil:
		for _, k := range given {
			ps.key(at+"."+k, "%s is for a container service on ECS, but this service deploys the Amplify app of amplify: "+
				"remove %s, or make it two services", k, k)
		}
		validateAmplify(s, at, ps)
		return false
	case len(given) == 0:
		ps.at(at, "deploys nothing: set build, ecr_repository and ecs for a container service on ECS, "+
			"or amplify: {app_id: ID, branch: NAME} for a frontend on Amplify")
		return false
	}
	for _, k := range containerKeys {
		if !slices.Contains(given, k.key) {
			ps.at(at, "missing required key %q: %s", k.key, k.hint)
		}
	}
	return true
}

func validateAmplify(s *Service, at string, ps *problems) {
	a := s.Amplify
	if a.AppID != "" && !amplifyAppID.MatchString(a.AppID) {
		ps.at(at+".amplify.app_id", "%q is not an Amplify app ID such as d1a2b3c4d5e6f7: copy it from the end of the app's ARN "+
			"or the Amplify console's App settings", a.AppID)
	}
	if ps.pos.given(at+".amplify.branch") && strings.TrimSpace(a.Branch) == "" {
		ps.at(at+".amplify.branch", "must not be empty: name the Amplify branch to release, such as main")
	} else if len(a.Branch) > maxAmplifyBranch {
		ps.at(at+".amplify.branch", "is %d characters long; Amplify branch names have at most %d", len(a.Branch), maxAmplifyBranch)
	}
	// A container service's when_modified defaults to its build context; a frontend has none.
	if !ps.pos.written(at + ".when_modified") {
		ps.key(at+".amplify", "an Amplify service needs when_modified: list the globs of the frontend's sources, "+
			"such as [\"frontend/**\"], so that merges that change them deploy it")
	}
}

// validateContainer checks the keys of a container service that are given.
func validateContainer(s *Service, at string, ps *problems) {
	if s.Build.Context != "" {
		checkRelPath(ps, at+".build.context", s.Build.Context, ".")
	} else if ps.pos.written(at + ".build.context") {
		ps.at(at+".build.context", "must not be empty: use \".\" for the repository root")
	}
	if ps.pos.written(at + ".build.dockerfile") {
		checkRelPath(ps, at+".build.dockerfile", s.Build.Dockerfile, ".")
	}
	switch r := s.ECRRepository; {
	case !ps.pos.given(at + ".ecr_repository"):
	case strings.Contains(r, ".dkr.ecr."):
		ps.at(at+".ecr_repository", "%q is a repository URI: give the repository name only", r)
	case !ecrRepoPattern.MatchString(r):
		ps.at(at+".ecr_repository", "%q is not an ECR repository name: use lowercase letters, digits and . _ - /", r)
	}
	for _, f := range [...]struct{ key, value string }{
		{"cluster", s.ECS.Cluster}, {"service", s.ECS.Service}, {"container", s.ECS.Container},
	} {
		if f.value == "" && ps.pos.given(at+".ecs") {
			ps.at(at+".ecs."+f.key, "must not be empty")
		}
	}
}

func validateServiceName(s *Service, at string, ps *problems, projects, seen map[string]string) {
	switch at := at + ".name"; {
	case !namePattern.MatchString(s.Name):
		ps.at(at, "service name %q is not a valid name: use letters, digits, \".\", \"_\" and \"-\"", s.Name)
	case projects[s.Name] != "":
		ps.at(at, "%q is also the name of %s: give the service another name so commands cannot mistake one for the other", s.Name, projects[s.Name])
	case seen[s.Name] != "":
		ps.at(at, "service name %q is already used by %s: give each service a distinct name", s.Name, seen[s.Name])
	default:
		seen[s.Name] = strings.TrimSuffix(at, ".name")
	}
}

// validateProjectAWS checks a project's roles: least privilege by phase (SPEC §10) means a
// project that has an apply role must also name the read-only role its pull requests' plans
// assume, and that role must be another one.
func validateProjectAWS(a AWS, at string, ps *problems) {
	plan, apply := ps.pos.written(at+".plan_role_arn"), ps.pos.written(at+".role_arn")
	switch {
	case !plan && !apply:
		ps.at(at, "names no role: set plan_role_arn (the read-only role plans of pull requests assume) and "+
			"role_arn (the role the merge-time plan and the apply assume), or leave aws out")
	case !plan:
		ps.at(at, "missing key \"plan_role_arn\": role_arn is only for the merge-time plan and the apply, so plans of "+
			"pull-request code need a read-only role of their own; add plan_role_arn (terraform/modules/github_oidc "+
			"creates it as ${name_prefix}-plan-${environment}%s)", likelyPlanRole(a.RoleARN))
	}
	if plan {
		checkRoleARN(ps, at+".plan_role_arn", a.PlanRoleARN)
	}
	if apply {
		checkRoleARN(ps, at+".role_arn", a.RoleARN)
	}
	if plan && apply && a.PlanRoleARN == a.RoleARN && a.RoleARN != "" {
		ps.at(at+".plan_role_arn", "is the same role as role_arn, so plans of pull-request code would run with the "+
			"permissions that apply: name a read-only role here")
	}
	checkRegion(ps, at+".region", a.Region)
}

// likelyPlanRole suggests the plan role terraform/modules/github_oidc creates beside an apply
// role it created (NAME_PREFIX-terraform-ENV → NAME_PREFIX-plan-ENV), or "".
func likelyPlanRole(applyARN string) string {
	m := moduleApplyRole.FindStringSubmatch(applyARN)
	if m == nil {
		return ""
	}
	return ", here probably " + m[1] + m[2] + "-plan-" + m[3]
}

var moduleApplyRole = regexp.MustCompile(`^(arn:aws[a-z-]*:iam::[0-9]{12}:role/(?:[A-Za-z0-9_+=,.@-]+/)*)([A-Za-z0-9_+=,.@-]+)-terraform-([A-Za-z0-9_+=,.@-]+)$`)

func checkRoleARN(ps *problems, at, arn string) {
	if !roleARNPattern.MatchString(arn) {
		ps.at(at, "%q is not an IAM role ARN: expected arn:aws:iam::ACCOUNT_ID:role/NAME", arn)
	}
}

func checkRegion(ps *problems, at, region string) {
	if region != "" && !regionPattern.MatchString(region) {
		ps.at(at, "%q is not an AWS region such as \"us-east-1\"", region)
	}
}

// checkRelPath checks a slash-separated path relative to base (itself relative to the
// repository root) stays clean and inside the repository, and reports whether it does.
func checkRelPath(ps *problems, at, p, base string) bool {
	full := path.Join(base, p)
	switch {
	case p == "":
		ps.at(at, "must not be empty")
	case strings.Contains(p, `\`):
		ps.at(at, "write %q as %q: use forward slashes", p, strings.ReplaceAll(p, `\`, "/"))
	case path.IsAbs(p):
		ps.at(at, "%q must be a relative path", p)
	case full == ".." || strings.HasPrefix(full, "../"):
		ps.at(at, "%q points outside the repository", p)
	case path.Clean(p) != p:
		ps.at(at, "write %q as %q", p, path.Clean(p))
	default:
		return true
	}
	return false
}

// checkGlobs checks when_modified patterns, relative to dir; unlisted (nil) means the default.
func checkGlobs(ps *problems, at string, globs []string, dir, instead string) {
	if globs != nil && len(globs) == 0 {
		ps.at(at, "lists no patterns: leave it out for the default, or use %s", instead)
	}
	for i, g := range globs {
		gp := fmt.Sprintf("%s[%d]", at, i)
		full := path.Join(dir, g)
		switch {
		case g == "":
			ps.at(gp, "must not be empty")
		case !doublestar.ValidatePattern(g):
			ps.at(gp, "%q is not a valid glob: check that its [ ] and { } are paired", g)
		case path.IsAbs(g):
			ps.at(gp, "%q must be relative", g)
		case full == ".." || strings.HasPrefix(full, "../"):
			ps.at(gp, "%q reaches outside the repository", g)
		}
	}
}

func checkOneOf(ps *problems, at, v string, allowed []string) {
	if slices.Contains(allowed, v) {
		return
	}
	msg := fmt.Sprintf("%q is not one of %s", v, quoteList(allowed))
	if s, ok := suggest(v, allowed); ok {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	ps.at(at, "%s", msg)
}

func checkSubset(ps *problems, at string, vs, allowed []string) {
	for i, v := range vs {
		checkOneOf(ps, fmt.Sprintf("%s[%d]", at, i), v, allowed)
	}
	checkDuplicates(ps, at, vs)
}

func checkDuplicates(ps *problems, at string, vs []string) {
	for i, v := range vs {
		if j := slices.Index(vs, v); j < i {
			ps.at(fmt.Sprintf("%s[%d]", at, i), "%q is listed twice", v)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
