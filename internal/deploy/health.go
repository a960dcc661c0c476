package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// ELBAPI is the part of the Elastic Load Balancing v2 client the deployer uses; *elasticloadbalancingv2.Client
// implements it.
type ELBAPI interface {
	DescribeTargetHealth(ctx context.Context, in *elb.DescribeTargetHealthInput, opts ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error)
}

// unhealthyPolls is how many polls in a row a target of the new tasks may be unhealthy before the
// deployment fails: the load balancer has already failed it its unhealthy threshold of checks by the
// first, the others leave room for a slow start.
const unhealthyPolls = 3

// awaitTargets waits until every target group of the service reports the deployment's tasks healthy.
// Targets are matched by the tasks' private IPs (awsvpc, as on Fargate). Tasks without an ENI (bridge
// or host networking on EC2) cannot be matched to targets, so then every target of the group that is
// not draining must be healthy.
func (d *Deployer) awaitTargets(ctx context.Context, req Request, res Result, lbs []types.LoadBalancer, deadline time.Time, timeout time.Duration) error {
	groups := map[string]int32{} // target group ARN → the container port it sends traffic to
	for _, lb := range lbs {
		if arn := aws.ToString(lb.TargetGroupArn); arn != "" {
			groups[arn] = aws.ToInt32(lb.ContainerPort)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	if d.ELB == nil {
		return fmt.Errorf("service %s is behind a load balancer, but the deployer has no Elastic Load Balancing client to check its targets", req.Service)
	}
	unhealthy := map[string]int{} // "group target" → unhealthy polls in a row
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the targets of deployment %s of service %s: %w", res.DeploymentID, req.Service, ctx.Err())
		case <-timer.C:
		}
		ips, err := d.taskIPs(ctx, req, res.DeploymentID)
		if err != nil {
			return err
		}
		waiting, failed, err := d.checkTargets(ctx, groups, ips, unhealthy)
		if err != nil {
			return err
		}
		if failed != "" {
			return d.healthFailure(ctx, req, &Failure{Outcome: OutcomeUnhealthy, Reason: failed +
				": check the target group's health check (path, port, codes) and the security groups between the load balancer and the tasks"})
		}
		if waiting == "" {
			d.log().InfoContext(ctx, "targets healthy", "service", req.Service, "deployment", res.DeploymentID, "target_groups", len(groups))
			return nil
		}
		if !d.now().Before(deadline) {
			return d.healthFailure(ctx, req, &Failure{Outcome: OutcomeTimedOut, Reason: fmt.Sprintf(
				"the tasks of deployment %s of service %s were not healthy in every target group within %s: %s; see the events, or raise wait_timeout",
				res.DeploymentID, req.Service, timeout, waiting)})
		}
		timer.Reset(d.poll())
	}
}

// checkTargets asks each target group once. waiting says what is not healthy yet; failed, which target
// stayed unhealthy for unhealthyPolls polls.
func (d *Deployer) checkTargets(ctx context.Context, groups map[string]int32, ips map[string]bool, unhealthy map[string]int) (waiting, failed string, err error) {
	arns := make([]string, 0, len(groups))
	for arn := range groups {
		arns = append(arns, arn)
	}
	sort.Strings(arns)
	var notYet []string
	for _, arn := range arns {
		out, err := d.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
		if err != nil {
			return "", "", fmt.Errorf("describing the target health of target group %s: %w", arn, err)
		}
		group, seen := "target group "+targetGroupName(arn), map[string]bool{}
		for _, th := range out.TargetHealthDescriptions {
			id, h := aws.ToString(th.Target.Id), th.TargetHealth
			if h == nil {
				h = &elbtypes.TargetHealth{}
			}
			ours := ips[id] && (groups[arn] == 0 || th.Target.Port == nil || aws.ToInt32(th.Target.Port) == groups[arn])
			if len(ips) > 0 && !ours || len(ips) == 0 && h.State == elbtypes.TargetHealthStateEnumDraining {
				continue
			}
			seen[id] = true
			target := fmt.Sprintf("%s target %s:%d", group, id, aws.ToInt32(th.Target.Port))
			if h.State == elbtypes.TargetHealthStateEnumHealthy {
				delete(unhealthy, target)
				continue
			}
			status := fmt.Sprintf("%s is %s", target, h.State)
			if h.Reason != "" {
				status += fmt.Sprintf(" (%s: %s)", h.Reason, aws.ToString(h.Description))
			}
			if h.State == elbtypes.TargetHealthStateEnumUnhealthy {
				unhealthy[target]++
				if unhealthy[target] >= unhealthyPolls {
					return "", status, nil
				}
			} else {
				delete(unhealthy, target)
			}
			notYet = append(notYet, status)
		}
		for ip := range ips {
			if !seen[ip] {
				notYet = append(notYet, fmt.Sprintf("%s has not registered task IP %s yet", group, ip))
			}
		}
	}
	sort.Strings(notYet)
	return strings.Join(notYet, "; "), "", nil
}

// taskIPs are the private IPs of the running tasks the deployment started (ECS sets their startedBy
// to the deployment's id).
func (d *Deployer) taskIPs(ctx context.Context, req Request, deploymentID string) (map[string]bool, error) {
	var arns []string
	pages := ecs.NewListTasksPaginator(d.Client, &ecs.ListTasksInput{Cluster: aws.String(req.Cluster), StartedBy: aws.String(deploymentID)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the tasks of deployment %s of service %s: %w", deploymentID, req.Service, err)
		}
		arns = append(arns, page.TaskArns...)
	}
	ips := map[string]bool{}
	for len(arns) > 0 {
		batch := arns[:min(len(arns), 100)]
		arns = arns[len(batch):]
		out, err := d.Client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(req.Cluster), Tasks: batch})
		if err != nil {
			return nil, fmt.Errorf("describing the tasks of deployment %s of service %s: %w", deploymentID, req.Service, err)
		}
		for _, t := range out.Tasks {
			if ip := eniIP(t); ip != "" && aws.ToString(t.LastStatus) != "STOPPED" {
				ips[ip] = true
			}
		}
	}
	return ips, nil
}

// eniIP is the private IPv4 address of a task's elastic network interface, "" without one.
func eniIP(t types.Task) string {
	for _, a := range t.Attachments {
		if aws.ToString(a.Type) != "ElasticNetworkInterface" {
			continue
		}
		for _, kv := range a.Details {
			if aws.ToString(kv.Name) == "privateIPv4Address" {
				return aws.ToString(kv.Value)
			}
		}
	}
	return ""
}

// healthFailure adds the service's latest events to a failed target check.
func (d *Deployer) healthFailure(ctx context.Context, req Request, f *Failure) *Failure {
	if svc, err := d.service(ctx, req); err == nil {
		f.Events = latestEvents(svc.Events)
	}
	return f
}

// targetGroupName is NAME of arn:…:targetgroup/NAME/ID.
func targetGroupName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":targetgroup/")
	if !ok {
		return arn
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}
