package awsfake

import (
	"fmt"
	"net/http"
)

func (e *ECS) serviceJSON(s *ecsService) map[string]any {
	primary := s.deployments[0]
	return map[string]any{
		"serviceArn":     fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", ECSRegion, ECSAccount, s.cluster, s.name),
		"serviceName":    s.name,
		"clusterArn":     fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", ECSRegion, ECSAccount, s.cluster),
		"status":         "ACTIVE",
		"desiredCount":   1,
		"runningCount":   primary["runningCount"],
		"pendingCount":   primary["pendingCount"],
		"launchType":     "FARGATE",
		"taskDefinition": s.taskDef,
		"deploymentConfiguration": map[string]any{
			"deploymentCircuitBreaker": map[string]any{"enable": true, "rollback": true},
			"maximumPercent":           200, "minimumHealthyPercent": 100,
		},
		"loadBalancers":      nonNil(s.loadBalancers),
		"deployments":        s.deployments,
		"events":             s.events,
		"schedulingStrategy": "REPLICA",
	}
}

func (e *ECS) deployment(s *ecsService, taskDef string) map[string]any {
	now, id := e.now(), e.nextID()
	e.startTask(s, id, taskDef)
	return map[string]any{
		"id": id, "status": "PRIMARY", "taskDefinition": taskDef,
		"desiredCount": 1, "pendingCount": 0, "runningCount": 0, "failedTasks": 0,
		"createdAt": now, "updatedAt": now, "launchType": "FARGATE", "platformVersion": "1.4.0",
		"rolloutState": "IN_PROGRESS", "rolloutStateReason": "ECS deployment " + id + " in progress.",
	}
}

// event adds a service event, newest first as ECS lists them.
func (e *ECS) event(s *ecsService, message string) {
	ev := map[string]any{"id": fmt.Sprintf("%08x-0000-4000-8000-%012x", e.seq, len(s.events)+1), "createdAt": e.now(), "message": message}
	e.seq++
	s.events = append([]map[string]any{ev}, s.events...)
}

func (e *ECS) describeServices(in map[string]any) (any, *awsError) {
	cluster, _ := in["cluster"].(string)
	names, _ := in["services"].([]any)
	if len(names) == 0 || len(names) > 10 {
		return nil, &awsError{http.StatusBadRequest, "InvalidParameterException", "services must list 1 to 10 services."}
	}
	services, failures := []any{}, []any{}
	for _, n := range names {
		name, _ := n.(string)
		s := e.services[clusterName(cluster)+"/"+clusterName(name)]
		if s == nil {
			failures = append(failures, map[string]any{
				"arn":    fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", ECSRegion, ECSAccount, clusterName(cluster), clusterName(name)),
				"reason": "MISSING"})
			continue
		}
		e.advance(s)
		services = append(services, e.serviceJSON(s))
	}
	return map[string]any{"services": services, "failures": failures}, nil
}

// advance moves a rolling deployment one poll along its scenario.
func (e *ECS) advance(s *ecsService) {
	if !s.rolling {
		return
	}
	s.polls++
	d, sc := s.deployments[0], s.scenario
	if sc == (Scenario{}) {
		sc.CompleteAfter = 1
	}
	id := d["id"].(string)
	d["updatedAt"] = e.now()
	switch {
	case sc.CompleteAfter > 0 && s.polls >= sc.CompleteAfter:
		d["rolloutState"], d["rolloutStateReason"] = "COMPLETED", "ECS deployment "+id+" completed."
		d["runningCount"], d["pendingCount"] = 1, 0
		for _, old := range s.deployments[1:] {
			e.stopTasks(old["id"].(string))
		}
		s.deployments = s.deployments[:1] // the old tasks have drained
		e.event(s, fmt.Sprintf("(service %s) (deployment %s) deployment completed.", s.name, id))
		e.event(s, fmt.Sprintf("(service %s) has reached a steady state.", s.name))
		s.rolling = false
	case sc.FailAfter > 0 && s.polls >= sc.FailAfter:
		d["rolloutState"], d["rolloutStateReason"] = "FAILED", "ECS deployment circuit breaker: tasks failed to start."
		d["failedTasks"] = 3
		e.stopTasks(id)
		e.event(s, fmt.Sprintf("(service %s) (deployment %s) deployment failed: tasks failed to start.", s.name, id))
		s.rolling = false
	case sc.RollbackAfter > 0 && s.polls >= sc.RollbackAfter && len(s.deployments) > 1:
		prev := s.deployments[1]
		e.stopTasks(id)
		e.event(s, fmt.Sprintf("(service %s) (deployment %s) deployment failed: tasks failed to start.", s.name, id))
		e.event(s, fmt.Sprintf("(service %s) rolling back to deployment %s.", s.name, prev["id"]))
		prev["status"], prev["rolloutState"] = "PRIMARY", "COMPLETED"
		prev["rolloutStateReason"], prev["updatedAt"] = "ECS deployment circuit breaker: rollback completed.", e.now()
		s.deployments = []map[string]any{prev}
		s.taskDef = prev["taskDefinition"].(string)
		s.rolling = false
	default:
		d["pendingCount"] = 1
		e.event(s, fmt.Sprintf("(service %s) has started 1 tasks: (task %032x).", s.name, e.seq))
	}
}

func (e *ECS) updateService(in map[string]any) (any, *awsError) {
	cluster, _ := in["cluster"].(string)
	name, _ := in["service"].(string)
	s := e.services[clusterName(cluster)+"/"+clusterName(name)]
	if s == nil {
		return nil, &awsError{http.StatusBadRequest, "ServiceNotFoundException", "Service not found."}
	}
	ref, _ := in["taskDefinition"].(string)
	force, _ := in["forceNewDeployment"].(bool)
	taskDef := s.taskDef
	if ref != "" {
		td := e.lookup(ref)
		if td == nil {
			return nil, clientErr("TaskDefinition not found.")
		}
		if td.body["status"] != "ACTIVE" {
			return nil, clientErr("TaskDefinition is inactive")
		}
		taskDef = td.body["taskDefinitionArn"].(string)
	}
	if taskDef != s.taskDef || force {
		old := s.deployments[0]
		old["status"] = "ACTIVE"
		s.deployments = []map[string]any{e.deployment(s, taskDef), old}
		s.taskDef, s.polls, s.rolling = taskDef, 0, true
	}
	return map[string]any{"service": e.serviceJSON(s)}, nil
}
