package awsfake

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// ecsTask is one task a deployment started. Under awsvpc it has an ENI with a private IP, which is the
// target an IP target group registers.
type ecsTask struct {
	id, cluster, service string
	startedBy            string // the deployment's id, as ECS sets it for tasks a service starts
	taskDef              string
	ip                   string // "" outside awsvpc
	stopped              bool
}

func (t *ecsTask) arn() string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/%s", ECSRegion, ECSAccount, t.cluster, t.id)
}

// AttachTargetGroup puts the service behind targetGroupARN, container receiving its traffic on port, as
// the service's loadBalancers in DescribeServices. Pair it with ELBv2.AddTargetGroupFor, which does both.
func (e *ECS) AttachTargetGroup(cluster, service, targetGroupARN, container string, port int) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.services[cluster+"/"+service]
	if s == nil {
		e.t.Fatalf("awsfake: AttachTargetGroup: no service %s in cluster %s: AddService it first", service, cluster)
		return
	}
	s.loadBalancers = append(s.loadBalancers, map[string]any{"targetGroupArn": targetGroupARN, "containerName": container, "containerPort": port})
}

// TaskTarget is a task of a service as a load balancer sees it.
type TaskTarget struct {
	IP      string
	Stopped bool
}

// Targets lists the tasks cluster/service ever ran that have an IP, oldest first: what an IP target group
// of the service has registered (running tasks) or is draining (stopped ones).
func (e *ECS) Targets(cluster, service string) []TaskTarget {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []TaskTarget
	for _, t := range e.tasks {
		if t.cluster == cluster && t.service == service && t.ip != "" {
			out = append(out, TaskTarget{IP: t.ip, Stopped: t.stopped})
		}
	}
	return out
}

// startTask starts the one task of deployment id of s.
func (e *ECS) startTask(s *ecsService, id, taskDef string) {
	e.seq++
	t := &ecsTask{id: fmt.Sprintf("%032x", uint64(e.seq)*0x9e3779b97f4a7c15), cluster: s.cluster, service: s.name, startedBy: id, taskDef: taskDef}
	if td := e.taskDefs[taskDef]; td != nil && td.body["networkMode"] == "awsvpc" {
		n := len(e.tasks)
		t.ip = fmt.Sprintf("10.0.%d.%d", 1+n/200, 10+n%200)
	}
	e.tasks = append(e.tasks, t)
}

// stopTasks stops the tasks deployment id started.
func (e *ECS) stopTasks(id string) {
	for _, t := range e.tasks {
		if t.startedBy == id {
			t.stopped = true
		}
	}
}

func (e *ECS) listTasks(in map[string]any) (any, *awsError) {
	cluster, _ := in["cluster"].(string)
	service, _ := in["serviceName"].(string)
	startedBy, _ := in["startedBy"].(string)
	status, _ := in["desiredStatus"].(string)
	if family, _ := in["family"].(string); startedBy != "" && (service != "" || family != "") {
		return nil, &awsError{http.StatusBadRequest, "InvalidParameterException", "startedBy must be the only filter of ListTasks."}
	}
	if status == "" {
		status = "RUNNING"
	}
	arns := []any{}
	for _, t := range e.tasks {
		if t.cluster != clusterName(cluster) || service != "" && t.service != clusterName(service) ||
			startedBy != "" && t.startedBy != startedBy || (status == "RUNNING") == t.stopped {
			continue
		}
		arns = append(arns, t.arn())
	}
	return map[string]any{"taskArns": arns}, nil
}

func (e *ECS) describeTasks(in map[string]any) (any, *awsError) {
	cluster, _ := in["cluster"].(string)
	refs, _ := in["tasks"].([]any)
	if len(refs) == 0 || len(refs) > 100 {
		return nil, &awsError{http.StatusBadRequest, "InvalidParameterException", "tasks must list 1 to 100 tasks."}
	}
	tasks, failures := []any{}, []any{}
	for _, r := range refs {
		ref, _ := r.(string)
		i := slices.IndexFunc(e.tasks, func(t *ecsTask) bool {
			return t.cluster == clusterName(cluster) && (t.arn() == ref || t.id == ref[strings.LastIndex(ref, "/")+1:])
		})
		if i < 0 {
			failures = append(failures, map[string]any{"arn": ref, "reason": "MISSING"})
			continue
		}
		tasks = append(tasks, e.taskJSON(e.tasks[i]))
	}
	return map[string]any{"tasks": tasks, "failures": failures}, nil
}

func (e *ECS) taskJSON(t *ecsTask) map[string]any {
	status := "RUNNING"
	if t.stopped {
		status = "STOPPED"
	}
	out := map[string]any{
		"taskArn": t.arn(), "clusterArn": fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", ECSRegion, ECSAccount, t.cluster),
		"taskDefinitionArn": t.taskDef, "startedBy": t.startedBy, "group": "service:" + t.service,
		"lastStatus": status, "desiredStatus": status, "launchType": "FARGATE", "platformVersion": "1.4.0",
		"availabilityZone": ECSRegion + "a", "attachments": []any{},
	}
	if t.ip != "" {
		eni := "eni-" + t.id[:17]
		out["attachments"] = []any{map[string]any{
			"id": t.id[:8] + "-" + t.id[8:12] + "-4" + t.id[13:16] + "-8" + t.id[17:20] + "-" + t.id[20:32], "type": "ElasticNetworkInterface",
			"status": "ATTACHED", "details": []any{
				map[string]any{"name": "subnetId", "value": "subnet-0a1b2c3d4e5f67890"},
				map[string]any{"name": "networkInterfaceId", "value": eni},
				map[string]any{"name": "macAddress", "value": "0a:1b:2c:3d:4e:5f"},
				map[string]any{"name": "privateDnsName", "value": "ip-" + strings.ReplaceAll(t.ip, ".", "-") + ".ec2.internal"},
				map[string]any{"name": "privateIPv4Address", "value": t.ip},
			},
		}}
	}
	return out
}
