package terraform

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"
)

// Each step's arguments come from its own function, so what one step accepts cannot leak into
// another (-lock-timeout means nothing to show, -backend-config nothing to plan).

func initArgs(backendConfig map[string]string) []string {
	args := []string{"init", "-input=false", "-no-color", "-reconfigure"}
	for _, k := range slices.Sorted(maps.Keys(backendConfig)) {
		args = append(args, "-backend-config="+k+"="+backendConfig[k])
	}
	return args
}

func planArgs(planFile string, lockTimeout time.Duration, extra []string) []string {
	args := []string{"plan", "-input=false", "-no-color", "-detailed-exitcode",
		"-lock-timeout=" + lockTimeout.String(), "-out=" + planFile}
	return append(args, extra...)
}

func showJSONArgs(planFile string) []string { return []string{"show", "-json", planFile} }

func applyArgs(planFile string, lockTimeout time.Duration) []string {
	return []string{"apply", "-input=false", "-no-color", "-lock-timeout=" + lockTimeout.String(), planFile}
}

// Exit codes of plan -detailed-exitcode besides 0 (no changes).
const planExitChanges = 2

// isDefaultWorkspace: "" is the project default, which is "default".
func isDefaultWorkspace(name string) bool { return name == "" || name == "default" }

// prepare runs init and, for another workspace than "default", selects it (creating it the first
// time). It returns their stdout for the run's log.
func (s *session) prepare(ctx context.Context, v Version, workspace string, backendConfig map[string]string) (string, error) {
	var log strings.Builder
	release, err := s.r.acquireInit(ctx, s.trust)
	if err != nil {
		return "", &RunError{Step: "init", Err: s.stopError(ctx)}
	}
	out, err := s.run(ctx, "init", initArgs(backendConfig))
	release()
	log.WriteString(out.stdout)
	if err != nil {
		return log.String(), err
	}
	if isDefaultWorkspace(workspace) {
		return log.String(), nil
	}
	if hasOrCreate(v) {
		out, err = s.run(ctx, "workspace", []string{"workspace", "select", "-no-color", "-or-create=true", workspace})
		log.WriteString(out.stdout)
		return log.String(), err
	}
	// Before -or-create: select, and create only when selecting failed.
	out, err = s.run(ctx, "workspace", []string{"workspace", "select", "-no-color", workspace})
	log.WriteString(out.stdout)
	if err == nil || ctx.Err() != nil {
		return log.String(), err
	}
	out, err = s.run(ctx, "workspace", []string{"workspace", "new", "-no-color", workspace})
	log.WriteString(out.stdout)
	return log.String(), err
}
