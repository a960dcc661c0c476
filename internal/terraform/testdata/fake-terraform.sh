#!/bin/sh
# A stand-in for terraform in unit tests. It records each call's arguments (calls.log), environment
# (env.STEP) and CLI configuration (cli-config.STEP) next to itself, and answers like Terraform.
# fake.env, next to it, is what the test asks for (shell variables, not exported):
#   FAKE_VERSION  first line of `version` (default "Terraform v1.5.7")
#   FAKE_FAIL     a step that fails with 25 lines of stderr
#   FAKE_HANG     a step that starts a grandchild (pid in grandchild.pid) and waits forever
#   FAKE_IGNORE_INT=1  the hanging step ignores SIGINT; else it writes "interrupted" and exits
#   FAKE_PLAN_EXIT  exit code of a successful plan (default 2: changes)
#   FAKE_INIT_SLEEP  seconds init takes, bracketed by "start"/"end" lines in init.log
#   FAKE_FLOOD  a step that prints FAKE_FLOOD_BYTES more bytes of "x" on stdout and stderr after its output
dir=$(dirname "$0")
[ -f "$dir/fake.env" ] && . "$dir/fake.env"
step=$1

{
	for a in "$@"; do printf 'ARG:%s\n' "$a"; done
	echo END
} >>"$dir/calls.log"
env >"$dir/env.$step"
[ -f "$TF_CLI_CONFIG_FILE" ] && cat "$TF_CLI_CONFIG_FILE" >"$dir/cli-config.$step"

if [ "$step" = version ]; then
	echo "${FAKE_VERSION:-Terraform v1.5.7}"
	echo "on linux_amd64"
	exit 0
fi

if [ "$FAKE_FAIL" = "$step" ]; then
	echo "stdout of the failing $step"
	i=1
	while [ $i -le 24 ]; do
		echo "diagnostic line $i" >&2
		i=$((i + 1))
	done
	echo "Error: Unsupported block type" >&2
	exit 1
fi

if [ "$FAKE_HANG" = "$step" ]; then
	if [ "$FAKE_IGNORE_INT" = 1 ]; then
		trap '' INT
	else
		trap 'echo interrupted >"$dir/interrupted"; exit 130' INT
	fi
	# A non-interactive shell starts background jobs with SIGINT ignored: only a kill reaches it.
	sleep 300 &
	echo $! >"$dir/grandchild.pid"
	wait
	exit 0
fi

if [ "$FAKE_FLOOD" = "$step" ]; then
	trap 'head -c "$FAKE_FLOOD_BYTES" /dev/zero | tr "\\0" x; head -c "$FAKE_FLOOD_BYTES" /dev/zero | tr "\\0" x >&2' EXIT
fi

case "$step" in
init)
	echo "start $$" >>"$dir/init.log"
	sleep "${FAKE_INIT_SLEEP:-0}"
	echo "end $$" >>"$dir/init.log"
	echo "Terraform has been successfully initialized!"
	;;
workspace)
	name=$(eval echo "\${$#}")
	touch "$dir/workspaces"
	case "$2" in
	select)
		if [ "$4" != "-or-create=true" ] && ! grep -qx "$name" "$dir/workspaces"; then
			echo "Workspace \"$name\" doesn't exist." >&2
			exit 1
		fi
		grep -qx "$name" "$dir/workspaces" || echo "$name" >>"$dir/workspaces"
		echo "Switched to workspace \"$name\"."
		;;
	new)
		echo "$name" >>"$dir/workspaces"
		echo "Created and switched to workspace \"$name\"!"
		;;
	esac
	;;
plan)
	echo "Terraform will perform the following actions:"
	echo "  # terraform_data.x will be created"
	echo "Plan: 1 to add, 0 to change, 0 to destroy."
	exit "${FAKE_PLAN_EXIT:-2}"
	;;
show)
	echo '{"format_version":"1.2","resource_changes":[]}'
	;;
apply)
	echo "Apply complete! Resources: 1 added, 0 changed, 0 destroyed."
	;;
esac
