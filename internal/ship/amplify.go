package ship

import (
	"context"
	"time"

	"github.com/classla/gantry/internal/amplify"
	"github.com/classla/gantry/internal/flow"
)

// shipAmplify releases an Amplify service's branch at the commit: the job Amplify's own build
// started for it, else a RELEASE gantry starts. The ledger keeps the job's ARN where an ECS
// deployment keeps its task definition.
func (s *Shipper) shipAmplify(ctx context.Context, req flow.ShipRequest, rollback bool) (flow.ShipResult, error) {
	start := time.Now()
	svc := req.Service
	client, err := amplify.NewClient(ctx, amplify.ClientConfig{Region: svc.AWS.Region, Env: req.Env, Getenv: s.Getenv})
	if err != nil {
		return flow.ShipResult{}, err
	}
	d := &amplify.Deployer{Client: client, Region: svc.AWS.Region, Poll: s.Poll, Log: s.Log, DryRun: s.DryRun, Out: s.out()}
	r := amplify.Request{AppID: svc.Amplify.AppID, Branch: svc.Amplify.Branch, CommitSHA: req.SHA,
		WaitTimeout: time.Duration(svc.WaitTimeout)}
	deployFn := d.Deploy
	if rollback {
		deployFn = d.Rollback
	}
	out, err := deployFn(ctx, r)
	res := flow.ShipResult{TaskDefAfter: out.JobARN, Amplify: &flow.AmplifyJob{ID: out.JobID, ARN: out.JobARN,
		Status: out.Status, Started: out.Started, ConsoleURL: out.ConsoleURL}, Duration: time.Since(start)}
	return res, err
}
