// Package deploy rolls a container image out to an ECS service: it registers a copy of the latest ACTIVE
// revision of the running task definition's family (so what Terraform registered ships) with only that
// container's image changed, points the service at it and watches the deployment until it completes,
// fails, is rolled back by the circuit breaker or times out; a service behind a load balancer counts as
// deployed only once its target groups report the new tasks healthy.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ECSAPI is the part of the ECS client the deployer uses; *ecs.Client implements it.
type ECSAPI interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, opts ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, opts ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, opts ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, opts ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
}

// Defaults used when a Deployer or Request leaves them zero.
const (
	DefaultPoll    = 15 * time.Second
	DefaultTimeout = 10 * time.Minute
)

// Deployer deploys images to ECS services. Zero Poll, Log and Now get DefaultPoll, a discarding
// logger and time.Now. ELB is needed only for services behind a load balancer.
type Deployer struct {
	Client ECSAPI
	ELB    ELBAPI
	Poll   time.Duration
	Log    *slog.Logger
	Now    func() time.Time
}

// Request is one deployment (or, with TaskDefinition, one rollback) of a service.
type Request struct {
	Cluster   string
	Service   string
	Container string // the container whose image Deploy replaces
	Image     string // REPO@sha256:DIGEST

	// TaskDefinition is the ARN Rollback returns the service to.
	TaskDefinition string

	Timeout time.Duration // how long to wait for the rollout; DefaultTimeout when zero
	DryRun  bool          // describe only: register and update nothing
	Out     io.Writer     // where a dry run says what it would do
}

// Result is what a deployment did. It is filled as far as the deployment got, failures included.
type Result struct {
	TaskDefBefore string // the revision the service ran before
	TaskDefAfter  string // the revision the service was pointed at
	DeploymentID  string // the ECS deployment started by UpdateService
	Polls         int
	Duration      time.Duration
	Events        []string // the service's latest events, newest first, on failure
	// Changes are how the revision copied (the family's latest ACTIVE one) differs from the one the
	// service ran, besides the deployed image: "memory 1024 → 2048", "container app: environment
	// LOG_LEVEL added". Environment values are never shown.
	Changes []string
}

// ErrInactiveTaskDefinition is returned by Rollback for a target revision that was deregistered.
var ErrInactiveTaskDefinition = errors.New("task definition is INACTIVE")

var digestImage = regexp.MustCompile(`^[^@\s]+@sha256:[0-9a-f]{64}$`)

// Deploy registers a revision of the latest ACTIVE task definition of the running revision's family
// with req.Container's image set to req.Image, updates the service to it and waits for the rollout. A
// rollout that does not complete, or whose tasks the load balancer does not find healthy, returns a
// *Failure.
func (d *Deployer) Deploy(ctx context.Context, req Request) (Result, error) {
	start := d.now()
	var res Result
	if !digestImage.MatchString(req.Image) {
		return res, fmt.Errorf("image %q is not pinned by digest: pass REPOSITORY@sha256:<64 hex digits>", req.Image)
	}
	svc, err := d.service(ctx, req)
	if err != nil {
		return res, err
	}
	res.TaskDefBefore = aws.ToString(svc.TaskDefinition)
	running, base, err := d.baseRevision(ctx, req, res.TaskDefBefore)
	if err != nil {
		return res, err
	}
	res.Changes = changes(running.TaskDefinition, base.TaskDefinition, running.Tags, base.Tags, req.Container)
	in, oldImage, err := registerInput(base.TaskDefinition, base.Tags, req.Container, req.Image)
	if err != nil {
		return res, fmt.Errorf("service %s in cluster %s: %w", req.Service, req.Cluster, err)
	}
	if req.DryRun {
		return res, d.describeDryRun(req, aws.ToString(base.TaskDefinition.TaskDefinitionArn), aws.ToString(in.Family), oldImage, res.Changes)
	}
	registered, err := d.Client.RegisterTaskDefinition(ctx, in)
	if err != nil {
		return res, fmt.Errorf("registering a new revision of task definition family %s: %w", aws.ToString(in.Family), err)
	}
	res.TaskDefAfter = aws.ToString(registered.TaskDefinition.TaskDefinitionArn)
	d.log().InfoContext(ctx, "registered task definition", "service", req.Service, "before", res.TaskDefBefore,
		"base", aws.ToString(base.TaskDefinition.TaskDefinitionArn), "after", res.TaskDefAfter, "image", req.Image, "changes", res.Changes)
	return d.rollOut(ctx, req, res, start)
}

// baseRevision describes the running revision and the one a deployment copies: the latest ACTIVE revision
// of its family, which is what ECS answers for the bare family name. They are one when nothing newer
// was registered.
func (d *Deployer) baseRevision(ctx context.Context, req Request, runningARN string) (running, base *ecs.DescribeTaskDefinitionOutput, err error) {
	withTags := []types.TaskDefinitionField{types.TaskDefinitionFieldTags}
	running, err = d.Client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(runningARN), Include: withTags})
	if err != nil {
		return nil, nil, fmt.Errorf("describing task definition %s of service %s: %w", runningARN, req.Service, err)
	}
	if running.TaskDefinition == nil {
		return nil, nil, fmt.Errorf("ECS described no task definition for %s", runningARN)
	}
	family := aws.ToString(running.TaskDefinition.Family)
	base, err = d.Client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family), Include: withTags})
	if err != nil {
		return nil, nil, fmt.Errorf("describing the latest ACTIVE revision of task definition family %s of service %s: %w", family, req.Service, err)
	}
	if base.TaskDefinition == nil {
		return nil, nil, fmt.Errorf("ECS described no task definition for family %s", family)
	}
	return running, base, nil
}

// Rollback points the service at the existing revision req.TaskDefinition, registering nothing, and
// waits for the rollout as Deploy does.
func (d *Deployer) Rollback(ctx context.Context, req Request) (Result, error) {
	start := d.now()
	var res Result
	if req.TaskDefinition == "" {
		return res, errors.New("rollback needs the task definition ARN to return to")
	}
	svc, err := d.service(ctx, req)
	if err != nil {
		return res, err
	}
	res.TaskDefBefore = aws.ToString(svc.TaskDefinition)
	target, err := d.Client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(req.TaskDefinition)})
	if err != nil {
		return res, fmt.Errorf("describing rollback target %s: %w", req.TaskDefinition, err)
	}
	if target.TaskDefinition.Status == types.TaskDefinitionStatusInactive {
		return res, fmt.Errorf("refusing to roll service %s back to %s: %w (it was deregistered); pick an ACTIVE revision",
			req.Service, req.TaskDefinition, ErrInactiveTaskDefinition)
	}
	res.TaskDefAfter = aws.ToString(target.TaskDefinition.TaskDefinitionArn)
	if req.DryRun {
		_, err := fmt.Fprintf(d.out(req), "would update service %s in cluster %s from %s to %s (forceNewDeployment), registering nothing\n",
			req.Service, req.Cluster, res.TaskDefBefore, res.TaskDefAfter)
		return res, err
	}
	return d.rollOut(ctx, req, res, start)
}

// service describes the one service the request names.
func (d *Deployer) service(ctx context.Context, req Request) (*types.Service, error) {
	out, err := d.Client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(req.Cluster), Services: []string{req.Service}})
	if err != nil {
		return nil, fmt.Errorf("describing service %s in cluster %s: %w", req.Service, req.Cluster, err)
	}
	for i := range out.Services {
		if aws.ToString(out.Services[i].ServiceName) == req.Service {
			return &out.Services[i], nil
		}
	}
	return nil, fmt.Errorf("service %s was not found in cluster %s: check the service and cluster names in .gantry.yaml", req.Service, req.Cluster)
}

func (d *Deployer) describeDryRun(req Request, base, family, oldImage string, changes []string) error {
	var also strings.Builder
	if len(changes) > 0 {
		also.WriteString("  besides the image, it differs from the running revision in:\n")
		for _, c := range changes {
			also.WriteString("    " + c + "\n")
		}
	}
	_, err := fmt.Fprintf(d.out(req), "would register a new revision of task definition family %s (a copy of %s):\n"+
		"  container %s: image %s → %s\n%s"+
		"would update service %s in cluster %s to the new revision (forceNewDeployment)\n",
		family, base, req.Container, oldImage, req.Image, also.String(), req.Service, req.Cluster)
	return err
}

func (d *Deployer) poll() time.Duration {
	if d.Poll <= 0 {
		return DefaultPoll
	}
	return d.Poll
}

func (d *Deployer) out(req Request) io.Writer {
	if req.Out == nil {
		return io.Discard
	}
	return req.Out
}

func (d *Deployer) log() *slog.Logger {
	if d.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Log
}

func (d *Deployer) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

func containerNames(cs []types.ContainerDefinition) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = fmt.Sprintf("%q", aws.ToString(c.Name))
	}
	return strings.Join(names, ", ")
}
