package command

import "testing"

// allowedList is the allow-list as the brief and the /help reply state it.
const allowedList = "`-target`, `-replace`, `-var`, `-var-file`, `-refresh`, `-refresh-only`, `-destroy`, " +
	"`-parallelism`, `-lock`, `-lock-timeout`, `-compact-warnings`"

func TestParsePlanTerraformArguments(t *testing.T) {
	t.Parallel()
	plan := func(args ...string) Command { return Command{Name: NamePlan, Args: args} }
	runParseCases(t, []parseCase{
		{
			name: "every allowed flag is passed, each as one -name or -name=value argument",
			body: "/plan -- -target module.alb -replace=aws_instance.web --var 'env=prod us' -var-file=envs/prod.tfvars " +
				"-refresh=false -refresh-only -destroy -parallelism=4 -lock=false -lock-timeout 60s -compact-warnings",
			want: plan("-target=module.alb", "-replace=aws_instance.web", "-var=env=prod us", "-var-file=envs/prod.tfvars",
				"-refresh=false", "-refresh-only", "-destroy", "-parallelism=4", "-lock=false", "-lock-timeout=60s",
				"-compact-warnings"),
		},
		{
			name: "boolean values are written the one way Terraform reads them",
			body: "/plan -- -refresh=0 -lock=T -destroy=true",
			want: plan("-refresh=false", "-lock=true", "-destroy=true"),
		},
		{
			name: "a var-file path below the project, with dots inside names, is accepted",
			body: "/plan -- -var-file ./env/a..b.tfvars",
			want: plan("-var-file=./env/a..b.tfvars"),
		},
		{
			name: "a -var whose value starts with a dash needs the = form",
			body: "/plan -- -var=offset=-1",
			want: plan("-var=offset=-1"),
		},
		{
			name:  "-chdir is refused",
			body:  "/plan -- -chdir=..",
			reply: "`/plan`: Terraform flag `-chdir` is not allowed: it would run Terraform in another directory." + planUsage,
		},
		{
			name:  "-chdir with two dashes and a separate value is refused",
			body:  "/plan -- --chdir /",
			reply: "`/plan`: Terraform flag `--chdir` is not allowed: it would run Terraform in another directory." + planUsage,
		},
		{
			name:  "-plugin-dir is refused",
			body:  "/plan -- -plugin-dir=/tmp/evil",
			reply: "`/plan`: Terraform flag `-plugin-dir` is not allowed: it would load providers from another directory." + planUsage,
		},
		{
			name:  "-state is refused",
			body:  "/plan -- -state=/tmp/x.tfstate",
			reply: "`/plan`: Terraform flag `-state` is not allowed: it would change where Terraform keeps its state." + planUsage,
		},
		{
			name:  "-state-out is refused",
			body:  "/plan -- -state-out x",
			reply: "`/plan`: Terraform flag `-state-out` is not allowed: it would change where Terraform keeps its state." + planUsage,
		},
		{
			name:  "any flag starting with -state is refused",
			body:  "/plan -- -statefile=x",
			reply: "`/plan`: Terraform flag `-statefile` is not allowed: it would change where Terraform keeps its state." + planUsage,
		},
		{
			name:  "-backup is refused",
			body:  "/plan -- -backup=-",
			reply: "`/plan`: Terraform flag `-backup` is not allowed: it would change where Terraform keeps its state." + planUsage,
		},
		{
			name:  "-out is refused because gantry sets it",
			body:  "/plan -- -out=/tmp/plan",
			reply: "`/plan`: Terraform flag `-out` is not allowed: gantry sets `-out` itself." + planUsage,
		},
		{
			name:  "an absolute var-file is refused",
			body:  "/plan -- -var-file=/etc/passwd",
			reply: "`/plan`: `-var-file` must be a path relative to the project directory, naming a file in the repository; `/etc/passwd` is not." + planUsage,
		},
		{
			name:  "a var-file in the home directory is refused",
			body:  "/plan -- -var-file=~/x.tfvars",
			reply: "`/plan`: `-var-file` must be a path relative to the project directory, naming a file in the repository; `~/x.tfvars` is not." + planUsage,
		},
		{
			name:  "a var-file on a Windows drive is refused",
			body:  `/plan -- -var-file=C:\secrets.tfvars`,
			reply: "`/plan`: `-var-file` must be a path relative to the project directory, naming a file in the repository; `C:\\secrets.tfvars` is not." + planUsage,
		},
		{
			name:  "a var-file on a Windows share is refused",
			body:  `/plan -- -var-file=\\host\share\x.tfvars`,
			reply: "`/plan`: `-var-file` must be a path relative to the project directory, naming a file in the repository; `\\\\host\\share\\x.tfvars` is not." + planUsage,
		},
		{
			// Whether it stays in the repository depends on the project's directory: the plan checks it (VarFileOutside).
			name: "a separate var-file value going up to a shared file is passed on",
			body: "/plan -- -var-file ../../common.tfvars",
			want: plan("-var-file=../../common.tfvars"),
		},
		{
			name: "a .. in the middle of a --var-file path is passed on",
			body: "/plan -- --var-file=env/../../x.tfvars",
			want: plan("-var-file=env/../../x.tfvars"),
		},
		{
			name:  "a flag outside the allow-list is refused with the list",
			body:  "/plan -- -json",
			reply: "`/plan`: Terraform flag `-json` is not allowed. Allowed: " + allowedList + "." + planUsage,
		},
		{
			name:  "-generate-config-out, which writes files, is refused",
			body:  "/plan -- -generate-config-out=x.tf",
			reply: "`/plan`: Terraform flag `-generate-config-out` is not allowed. Allowed: " + allowedList + "." + planUsage,
		},
		{
			name:  "three dashes are not a flag Terraform knows",
			body:  "/plan -- ---target=x",
			reply: "`/plan`: Terraform flag `---target` is not allowed. Allowed: " + allowedList + "." + planUsage,
		},
		{
			name:  "-h after -- is a Terraform flag, and not an allowed one",
			body:  "/plan -- -h",
			reply: "`/plan`: Terraform flag `-h` is not allowed. Allowed: " + allowedList + "." + planUsage,
		},
		{
			name:  "a positional argument is refused",
			body:  "/plan -- module.alb",
			reply: "`/plan`: Terraform argument `module.alb` is not a flag: `terraform plan` takes only flags, such as `-target=ADDRESS`." + planUsage,
		},
		{
			name:  "an em dash from a phone keyboard gets a hint",
			body:  "/plan -- —target=x",
			reply: "`/plan`: Terraform argument `—target=x` is not a flag. Your keyboard may have turned `--` into a dash: type two hyphens." + planUsage,
		},
		{
			name:  "a lone dash is refused",
			body:  "/plan -- -",
			reply: "`/plan`: Terraform argument `-` is not a flag: `terraform plan` takes only flags, such as `-target=ADDRESS`." + planUsage,
		},
		{
			name:  "a second -- is refused",
			body:  "/plan -- -destroy -- -chdir=..",
			reply: "`/plan`: `--` may appear only once; everything after it goes to Terraform." + planUsage,
		},
		{
			name:  "a value flag at the end is missing its value",
			body:  "/plan -- -target",
			reply: "`/plan`: Terraform flag `-target` needs a value, as in `-target=VALUE`." + planUsage,
		},
		{
			name:  "a value flag followed by a flag is missing its value",
			body:  "/plan -- -target -destroy",
			reply: "`/plan`: Terraform flag `-target` needs a value, as in `-target=VALUE`." + planUsage,
		},
		{
			name:  "an empty value is refused",
			body:  "/plan -- --var=",
			reply: "`/plan`: Terraform flag `--var` needs a value, as in `-var=VALUE`." + planUsage,
		},
		{
			name:  "a boolean flag with a value that is not a boolean is refused",
			body:  "/plan -- -refresh=maybe",
			reply: "`/plan`: Terraform flag `-refresh` takes `true` or `false`, not `maybe`." + planUsage,
		},
	})
}

func TestVarFileOutsideTheRepositoryIsRefused(t *testing.T) {
	t.Parallel()
	const prefix = "`-var-file` "
	cases := []struct {
		name, dir string
		args      []string
		reply     string // "" when every var-file stays inside the repository
	}{
		{"a file in the project directory is inside", "terraform/envs/production", []string{"-var-file=prod.tfvars"}, ""},
		{"a file shared by the environments is inside", "terraform/envs/production",
			[]string{"-target=x", "-var-file=../common.tfvars", "-var-file=../../../globals.tfvars"}, ""},
		{"a file at the root of a project at the root is inside", ".", []string{"-var-file=./a/../b.tfvars"}, ""},
		{"going up past the root is refused, saying how far it may go", "terraform/envs/production",
			[]string{"-var-file=../common.tfvars", "-var-file=../../../../etc/passwd"},
			prefix + "`../../../../etc/passwd` leaves the repository: from the project directory `terraform/envs/production/` " +
				"it may go up at most 3 directories."},
		{"going down and then up past the root is refused", "infra",
			[]string{"-var-file=a/../../../x.tfvars"},
			prefix + "`a/../../../x.tfvars` leaves the repository: from the project directory `infra/` it may go up at most 1 directory."},
		{"backslashes count as separators", "infra", []string{`-var-file=..\..\x.tfvars`},
			prefix + "`..\\..\\x.tfvars` leaves the repository: from the project directory `infra/` it may go up at most 1 directory."},
		{"a project at the root may not go up at all", "", []string{"-var-file=../x.tfvars"},
			prefix + "`../x.tfvars` leaves the repository: from the project directory `/` it may go up at most 0 directories."},
		{"an absolute path is refused (a job queued by an older gantry)", "infra", []string{"-var-file=/etc/passwd"},
			"`-var-file` must be a path relative to the project directory, naming a file in the repository; `/etc/passwd` is not."},
		{"other arguments are not paths", "infra", []string{"-var=path=../../../x", "-target=../../x"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := VarFileOutside(c.args, c.dir); got != c.reply {
				t.Errorf("VarFileOutside(%q, %q) =\n%q\nwant\n%q", c.args, c.dir, got, c.reply)
			}
		})
	}
}
