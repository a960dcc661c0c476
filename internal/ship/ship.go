// Package ship takes a service from a checkout to a running ECS deployment: ECR credentials
// and repository, an image built and pushed with its commit and branch tags, and a task
// definition revision pinned to the image digest rolled out on ECS — or, for a frontend on
// Amplify, a release of the branch at the commit. It implements flow.Shipper.
package ship

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/classla/gantry/internal/build"
	"github.com/classla/gantry/internal/deploy"
	"github.com/classla/gantry/internal/flow"
)

// Shipper builds, pushes and deploys services.
type Shipper struct {
	// Builder builds and pushes images (GANTRY_BUILDER).
	Builder build.Builder
	// Poll is how often a rollout is checked (GANTRY_ECS_POLL_INTERVAL).
	Poll time.Duration
	// Getenv reads AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL_ECS,
	// AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 and AWS_REGION.
	Getenv func(string) string
	// Insecure lets the builder talk plain HTTP to the registry (tests only).
	Insecure bool
	// DryRun describes the rollout on Out instead of changing anything on ECS.
	DryRun bool
	Out    io.Writer
	Log    *slog.Logger
}

var _ flow.Shipper = (*Shipper)(nil)

// Ship implements flow.Shipper.
func (s *Shipper) Ship(ctx context.Context, req flow.ShipRequest) (flow.ShipResult, error) {
	if req.Service.IsAmplify() {
		return s.shipAmplify(ctx, req, false)
	}
	start := time.Now()
	svc := req.Service
	cfg, err := s.awsConfig(ctx, req)
	if err != nil {
		return flow.ShipResult{}, err
	}
	repoURI, auth, err := build.ECRAuth(ctx, ecr.NewFromConfig(cfg, s.endpoint("ECR")), svc.ECRRepository)
	if err != nil {
		return flow.ShipResult{}, err
	}
	tags := []string{req.SHA}
	if tag := branchTag(req.Branch); tag != "" {
		tags = append(tags, tag)
	}
	if s.DryRun {
		// Nothing is built or pushed, so the digest the rollout would pin is not known yet.
		fmt.Fprintf(s.out(), "would build %s and push %s:%s\n", svc.Build.Context, repoURI, strings.Join(tags, ", "+repoURI+":"))
		fmt.Fprintf(s.out(), "(the digest below stands for the image's; it is known once the image is built)\n")
		d := s.deployer(cfg)
		out, err := d.Deploy(ctx, deploy.Request{Cluster: svc.ECS.Cluster, Service: svc.ECS.Service, Container: svc.ECS.Container,
			Image: repoURI + "@sha256:" + strings.Repeat("0", 64), DryRun: true, Out: s.out()})
		return flow.ShipResult{TaskDefBefore: out.TaskDefBefore}, err
	}
	img, err := s.Builder.Build(ctx, build.Request{
		Jail:       req.Jail,
		Context:    filepath.Join(req.Dir, svc.Build.Context),
		Dockerfile: dockerfile(req.Dir, svc.Build.Dockerfile),
		BaseImage:  svc.Build.BaseImage,
		Entrypoint: svc.Build.Entrypoint,
		Repository: repoURI,
		Tags:       tags,
		Labels: map[string]string{
			"org.opencontainers.image.revision": req.SHA,
			"org.opencontainers.image.source":   "https://github.com/" + req.Repo,
		},
		Auth:     auth,
		Insecure: s.Insecure,
	})
	if err != nil {
		return flow.ShipResult{}, fmt.Errorf("building %s: %w", svc.Name, err)
	}
	res := flow.ShipResult{Image: img.Ref(), Digest: img.Digest}
	d := s.deployer(cfg)
	out, err := d.Deploy(ctx, deploy.Request{Cluster: svc.ECS.Cluster, Service: svc.ECS.Service, Container: svc.ECS.Container,
		Image: img.Ref(), Timeout: time.Duration(svc.WaitTimeout)})
	res.TaskDefBefore, res.TaskDefAfter, res.Events, res.Changes = out.TaskDefBefore, out.TaskDefAfter, out.Events, out.Changes
	res.Duration = time.Since(start)
	return res, err
}

func (s *Shipper) out() io.Writer {
	if s.Out == nil {
		return io.Discard
	}
	return s.Out
}

// Rollback implements flow.Shipper: the service goes back to an earlier task definition
// revision, nothing is built or registered, and the rollout is watched as a deployment is.
func (s *Shipper) Rollback(ctx context.Context, req flow.RollbackRequest) (flow.ShipResult, error) {
	if req.Service.IsAmplify() {
		return s.shipAmplify(ctx, flow.ShipRequest{Service: req.Service, SHA: req.SHA, Env: req.Env}, true)
	}
	start := time.Now()
	svc := req.Service
	cfg, err := s.awsConfig(ctx, flow.ShipRequest{Service: svc, Env: req.Env})
	if err != nil {
		return flow.ShipResult{}, err
	}
	d := s.deployer(cfg)
	out, err := d.Rollback(ctx, deploy.Request{Cluster: svc.ECS.Cluster, Service: svc.ECS.Service, Container: svc.ECS.Container,
		TaskDefinition: req.TaskDefinition, Timeout: time.Duration(svc.WaitTimeout), DryRun: s.DryRun, Out: s.out()})
	return flow.ShipResult{TaskDefBefore: out.TaskDefBefore, TaskDefAfter: out.TaskDefAfter, Events: out.Events,
		Duration: time.Since(start)}, err
}

// awsConfig is the SDK configuration for the service's role: its temporary credentials when
// the server assumed it, else the SDK's own chain (an operator's terminal).
func (s *Shipper) awsConfig(ctx context.Context, req flow.ShipRequest) (awssdk.Config, error) {
	region := req.Service.AWS.Region
	if region == "" {
		region = req.Env["AWS_REGION"]
	}
	if region == "" && s.Getenv != nil {
		region = s.Getenv("AWS_REGION")
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if id := req.Env["AWS_ACCESS_KEY_ID"]; id != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id,
			req.Env["AWS_SECRET_ACCESS_KEY"], req.Env["AWS_SESSION_TOKEN"])))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, fmt.Errorf("AWS configuration for %s: %w", req.Service.Name, err)
	}
	return cfg, nil
}

// endpoint honours AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL from Getenv.
func (s *Shipper) endpoint(service string) func(*ecr.Options) {
	return func(o *ecr.Options) {
		if u := s.endpointURL(service); u != "" {
			o.BaseEndpoint = awssdk.String(u)
		}
	}
}

func (s *Shipper) endpointECS() func(*ecs.Options) {
	return func(o *ecs.Options) {
		if u := s.endpointURL("ECS"); u != "" {
			o.BaseEndpoint = awssdk.String(u)
		}
	}
}

// deployer rolls out on ECS and checks the load balancer's targets (ELBv2) with cfg's credentials.
func (s *Shipper) deployer(cfg awssdk.Config) *deploy.Deployer {
	return &deploy.Deployer{Client: ecs.NewFromConfig(cfg, s.endpointECS()), ELB: elb.NewFromConfig(cfg, s.endpointELB()), Poll: s.Poll, Log: s.Log}
}

func (s *Shipper) endpointELB() func(*elb.Options) {
	return func(o *elb.Options) {
		if u := s.endpointURL("ELASTIC_LOAD_BALANCING_V2"); u != "" {
			o.BaseEndpoint = awssdk.String(u)
		}
	}
}

func (s *Shipper) endpointURL(service string) string {
	if s.Getenv == nil {
		return ""
	}
	if u := s.Getenv("AWS_ENDPOINT_URL_" + service); u != "" {
		return u
	}
	return s.Getenv("AWS_ENDPOINT_URL")
}

// dockerfile is the service's Dockerfile in the checkout ("" leaves the builder's default).
func dockerfile(dir, rel string) string {
	if rel == "" {
		return ""
	}
	return filepath.Join(dir, rel)
}

// branchTag turns a branch name into a valid image tag: [A-Za-z0-9_.-], at most 128
// characters, not starting with '.' or '-' ("feature/login" → "feature-login").
func branchTag(branch string) string {
	b := []byte(branch)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			b[i] = '-'
		}
	}
	tag := strings.TrimLeft(string(b), ".-")
	if len(tag) > 128 {
		tag = tag[:128]
	}
	return tag
}
