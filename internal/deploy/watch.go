package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Outcome says how a rollout that did not complete ended.
type Outcome string

const (
	OutcomeFailed     Outcome = "failed"      // ECS marked the deployment FAILED
	OutcomeRolledBack Outcome = "rolled back" // the circuit breaker returned to the previous deployment
	OutcomeTimedOut   Outcome = "timed out"   // still in progress (or targets not yet healthy) when the timeout passed
	OutcomeUnhealthy  Outcome = "unhealthy"   // a target group kept reporting a new task unhealthy
)

// Failure is a rollout that did not complete. Events are the service's latest events, newest first.
type Failure struct {
	Outcome Outcome
	Reason  string
	Events  []string
}

func (f *Failure) Error() string { return "deployment " + string(f.Outcome) + ": " + f.Reason }

// maxEvents is how many of the service's events a failure carries: enough to show why tasks failed.
const maxEvents = 10

// rollOut updates the service to res.TaskDefAfter with a forced new deployment and watches it.
func (d *Deployer) rollOut(ctx context.Context, req Request, res Result, start time.Time) (Result, error) {
	out, err := d.Client.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(req.Cluster), Service: aws.String(req.Service),
		TaskDefinition: aws.String(res.TaskDefAfter), ForceNewDeployment: true,
	})
	if err != nil {
		return res, fmt.Errorf("updating service %s in cluster %s to %s: %w", req.Service, req.Cluster, res.TaskDefAfter, err)
	}
	for _, dep := range out.Service.Deployments {
		if aws.ToString(dep.Status) == "PRIMARY" {
			res.DeploymentID = aws.ToString(dep.Id)
		}
	}
	if res.DeploymentID == "" {
		return res, fmt.Errorf("ECS started no PRIMARY deployment for service %s: check the service in the ECS console", req.Service)
	}
	d.log().InfoContext(ctx, "service updated", "service", req.Service, "deployment", res.DeploymentID)
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	deadline := start.Add(timeout)
	res, err = d.watch(ctx, req, res, deadline, timeout)
	if err == nil {
		// The rollout and the target check share the one wait_timeout.
		if err = d.awaitTargets(ctx, req, res, out.Service.LoadBalancers, deadline, timeout); err != nil {
			var fail *Failure
			if errors.As(err, &fail) {
				res.Events = fail.Events
			}
		}
	}
	res.Duration = d.now().Sub(start)
	return res, err
}

// watch polls the service until our deployment settles or the timeout passes.
func (d *Deployer) watch(ctx context.Context, req Request, res Result, deadline time.Time, timeout time.Duration) (Result, error) {
	poll := d.poll()
	timer := time.NewTimer(poll)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("waiting for deployment %s of service %s: %w", res.DeploymentID, req.Service, ctx.Err())
		case <-timer.C:
		}
		svc, err := d.service(ctx, req)
		if err != nil {
			return res, err
		}
		res.Polls++
		if done, fail := settled(svc, res.DeploymentID); done {
			if fail != nil {
				fail.Events = latestEvents(svc.Events)
				res.Events = fail.Events
				return res, fail
			}
			return res, nil
		}
		if !d.now().Before(deadline) {
			fail := &Failure{Outcome: OutcomeTimedOut, Events: latestEvents(svc.Events),
				Reason: fmt.Sprintf("deployment %s of service %s did not complete within %s: see the events, or raise wait_timeout", res.DeploymentID, req.Service, timeout)}
			res.Events = fail.Events
			return res, fail
		}
		timer.Reset(poll)
	}
}

// settled reports whether deployment id has finished, with a *Failure when it did not succeed.
func settled(svc *types.Service, id string) (bool, *Failure) {
	for _, dep := range svc.Deployments {
		if aws.ToString(dep.Id) != id {
			continue
		}
		if aws.ToString(dep.Status) != "PRIMARY" {
			break
		}
		switch dep.RolloutState {
		case types.DeploymentRolloutStateCompleted:
			return true, nil
		case types.DeploymentRolloutStateFailed:
			return true, &Failure{Outcome: OutcomeFailed, Reason: fmt.Sprintf("deployment %s failed: %s", id, aws.ToString(dep.RolloutStateReason))}
		}
		return false, nil
	}
	return true, &Failure{Outcome: OutcomeRolledBack,
		Reason: fmt.Sprintf("deployment %s was rolled back by the deployment circuit breaker; the service runs %s again", id, aws.ToString(svc.TaskDefinition))}
}

func latestEvents(events []types.ServiceEvent) []string {
	var out []string
	for _, e := range events[:min(len(events), maxEvents)] {
		out = append(out, aws.ToString(e.Message))
	}
	return out
}
