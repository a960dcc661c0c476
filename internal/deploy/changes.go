package deploy

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Fields shown with their values in a change: sizes, modes and roles. Everything else is named
// only ("container app: command changed"), since commands, labels, log options and environment
// values can carry secrets; environment variables and secrets are listed by name.
var (
	shownTaskFields      = []string{"Cpu", "Memory", "NetworkMode", "PidMode", "IpcMode", "TaskRoleArn", "ExecutionRoleArn"}
	shownContainerFields = []string{"Image", "Cpu", "Memory", "MemoryReservation", "Essential"}
	// skippedTaskFields are filled in by ECS, or compared apart.
	skippedTaskFields = []string{"TaskDefinitionArn", "Revision", "Status", "RequiresAttributes", "Compatibilities",
		"RegisteredAt", "RegisteredBy", "DeregisteredAt", "DeleteRequestedAt", "Family", "ContainerDefinitions"}
	listedContainerFields = []string{"Name", "Environment", "Secrets"}
)

// changes lists how base (the revision a deployment copies) differs from running (the revision the
// service runs), besides container's image, which the deployment replaces anyway: "memory 1024 → 2048",
// "container app: environment LOG_LEVEL added", "tag team changed". It prints no environment values.
func changes(running, base *types.TaskDefinition, runningTags, baseTags []types.Tag, container string) []string {
	if running == nil || base == nil || aws.ToString(running.TaskDefinitionArn) == aws.ToString(base.TaskDefinitionArn) {
		return nil
	}
	out := fieldChanges("", reflect.ValueOf(*running), reflect.ValueOf(*base), skippedTaskFields, shownTaskFields)
	out = append(out, named("tag", tagMap(runningTags), tagMap(baseTags))...)
	for _, bc := range base.ContainerDefinitions {
		name := aws.ToString(bc.Name)
		i := slices.IndexFunc(running.ContainerDefinitions, func(c types.ContainerDefinition) bool { return aws.ToString(c.Name) == name })
		if i < 0 {
			out = append(out, fmt.Sprintf("container %s added", name))
			continue
		}
		rc := running.ContainerDefinitions[i]
		if name == container {
			rc.Image = bc.Image
		}
		prefix := "container " + name + ": "
		out = append(out, fieldChanges(prefix, reflect.ValueOf(rc), reflect.ValueOf(bc), listedContainerFields, shownContainerFields)...)
		out = append(out, prefixed(prefix, named("environment", envMap(rc.Environment), envMap(bc.Environment)))...)
		out = append(out, prefixed(prefix, named("secret", secretMap(rc.Secrets), secretMap(bc.Secrets)))...)
	}
	for _, rc := range running.ContainerDefinitions {
		if !slices.ContainsFunc(base.ContainerDefinitions, func(c types.ContainerDefinition) bool { return aws.ToString(c.Name) == aws.ToString(rc.Name) }) {
			out = append(out, fmt.Sprintf("container %s removed", aws.ToString(rc.Name)))
		}
	}
	return out
}

// fieldChanges compares the exported fields of two structs of one type, in declaration order.
func fieldChanges(prefix string, before, after reflect.Value, skip, shown []string) []string {
	var out []string
	t := before.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || slices.Contains(skip, f.Name) {
			continue
		}
		b, a := before.Field(i), after.Field(i)
		if same(b, a) {
			continue
		}
		label := prefix + lowerFirst(f.Name)
		if slices.Contains(shown, f.Name) {
			out = append(out, fmt.Sprintf("%s %s → %s", label, shownValue(b), shownValue(a)))
		} else {
			out = append(out, label+" changed")
		}
	}
	return out
}

// same is deep equality where an empty list or map equals a missing one, as ECS treats them.
func same(a, b reflect.Value) bool {
	empty := func(v reflect.Value) bool {
		return (v.Kind() == reflect.Slice || v.Kind() == reflect.Map) && v.Len() == 0
	}
	if empty(a) && empty(b) {
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

func shownValue(v reflect.Value) string {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "(none)"
		}
		v = v.Elem()
	}
	if s := fmt.Sprint(v.Interface()); s != "" {
		return s
	}
	return "(none)"
}

// named lists the names added, removed or changed between two name → value maps, values left out.
func named(what string, before, after map[string]string) []string {
	var names []string
	for n := range before {
		names = append(names, n)
	}
	for n := range after {
		if _, ok := before[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var out []string
	for _, n := range names {
		b, inBefore := before[n]
		a, inAfter := after[n]
		switch {
		case !inBefore:
			out = append(out, what+" "+n+" added")
		case !inAfter:
			out = append(out, what+" "+n+" removed")
		case a != b:
			out = append(out, what+" "+n+" changed")
		}
	}
	return out
}

func prefixed(prefix string, lines []string) []string {
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return lines
}

func envMap(kv []types.KeyValuePair) map[string]string {
	m := map[string]string{}
	for _, e := range kv {
		m[aws.ToString(e.Name)] = aws.ToString(e.Value)
	}
	return m
}

func secretMap(secrets []types.Secret) map[string]string {
	m := map[string]string{}
	for _, s := range secrets {
		m[aws.ToString(s.Name)] = aws.ToString(s.ValueFrom)
	}
	return m
}

func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// lowerFirst turns a Go field name into ECS's JSON name: Memory → memory, TaskRoleArn → taskRoleArn.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToLower(string(unicode.ToLower(r))) + s[n:]
}
