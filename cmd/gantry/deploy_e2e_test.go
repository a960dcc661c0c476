package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classla/gantry/internal/testing/awsfake"
	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/testing/registry"
	"github.com/classla/gantry/internal/testing/s3fake"
)

const deployRole = "arn:aws:iam::111111111111:role/gantry-deploy-backend"

// The whole path with the fakes: a merge applies the infrastructure, then the backend is built
// onto its base image, pushed to the registry behind ECR and rolled out on ECS.
// backendWorld is the registry, ECR and ECS of the service backend: its repository classla-backend, a
// base image, and the ECS service running revision 1, whose rollouts complete at the second poll.
func backendWorld(t *testing.T) (reg *registry.Registry, ecr *awsfake.ECR, ecs *awsfake.ECS, base string) {
	t.Helper()
	reg = registry.New(t)
	ecr = awsfake.NewECR(t, reg.Host())
	reg.SetPassword(ecr.Password())
	ecr.AddRepository("classla-backend")
	base = reg.PushRandomBase(t, "node", "20-slim")
	ecs = awsfake.NewECS(t)
	ecs.AddService("classla-production", "classla-backend", map[string]any{
		"family": "classla-backend", "networkMode": "awsvpc", "requiresCompatibilities": []string{"FARGATE"},
		"cpu": "512", "memory": "1024",
		"containerDefinitions": []map[string]any{{"name": "backend", "image": reg.Host() + "/classla-backend:old", "essential": true}},
	})
	ecs.Rollout("classla-production", "classla-backend", awsfake.Scenario{CompleteAfter: 2})
	return reg, ecr, ecs, base
}

// backendService is the .gantry.yaml services block of backend, built on base and deployed after production.
func backendService(base string) string {
	return "services:\n  - name: backend\n    after: [production]\n    when_modified: [\"backend/**\"]\n" +
		"    build: {context: backend, base_image: \"" + base + "\", entrypoint: [node, server.js]}\n" +
		"    ecr_repository: classla-backend\n" +
		"    ecs: {cluster: classla-production, service: classla-backend, container: backend}\n" +
		"    aws: {role_arn: " + deployRole + ", region: us-east-1}\n"
}

func TestAMergeAppliesThenBuildsPushesAndDeploysEndToEnd(t *testing.T) {
	t.Parallel()
	reg, ecr, ecs, base := backendWorld(t)
	sts := awsfake.NewSTS(t)
	sts.AllowRole(productionPlanRole, webToken)
	sts.AllowRole(productionRole, webToken)
	sts.AllowRole(deployRole, webToken)

	tokenFile := filepath.Join(t.TempDir(), "token")
	writeFile(t, tokenFile, webToken)
	e := startServerEnv(t, "GANTRY_TERRAFORM_BIN", func(s3 *s3fake.Server, flavor string) string {
		return s3Project(s3, flavor, "production", productionAWS) + backendService(base)
	}, map[string]string{
		"AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ENDPOINT_URL_STS": sts.URL(),
		"AWS_ENDPOINT_URL_ECR": ecr.URL(), "AWS_ENDPOINT_URL_ECS": ecs.URL(),
		"GANTRY_BUILDER": "oci", "GANTRY_ECS_POLL_INTERVAL": "5ms",
	})

	head, merged := strings.Repeat("a", 40), strings.Repeat("b", 40)
	files := map[string]string{"terraform/production/main.tf": tfFiles(1), "backend/server.js": "console.log('hi')\n"}
	e.commit(head, files)
	e.commit(merged, files)
	pr := githubfake.PR{Number: 11, User: "alice", HeadSHA: head, Files: []string{"terraform/production/main.tf", "backend/server.js"}}
	e.pullRequest("opened", pr)
	e.projectComment(11, "production", contains("Plan: 1 to add"))
	e.merge(pr, merged)
	e.applyComment(11, contains("applied `bbbbbbb`"))

	var report string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && report == ""; time.Sleep(10 * time.Millisecond) {
		for _, c := range e.gh.Comments(e2eRepo, 11) {
			if strings.Contains(c.Body, "`backend` deployed") || strings.Contains(c.Body, "`backend` deployment") {
				report = c.Body
			}
		}
	}
	if !strings.Contains(report, "`backend` deployed `bbbbbbb`") {
		t.Fatalf("no successful deployment report; comments: %+v", e.gh.Comments(e2eRepo, 11))
	}
	// The image is in the registry under the commit's tag, and ECS runs it pinned to its digest.
	digest := reg.Digest(t, reg.Host()+"/classla-backend:"+merged)
	if !strings.Contains(report, "@"+digest) || !strings.Contains(report, "classla-backend:1` → `classla-backend:2") {
		t.Errorf("report does not show the image digest %s and revision 1 → 2:\n%s", digest, report)
	}
	cfg := reg.Config(t, reg.Host()+"/classla-backend@"+digest)
	if got := strings.Join(cfg.Config.Entrypoint, " "); got != "node server.js" || cfg.Config.Labels["org.opencontainers.image.revision"] != merged {
		t.Errorf("image entrypoint %q labels %v", got, cfg.Config.Labels)
	}
	registered := ecs.Registered()
	if len(registered) != 1 || !strings.Contains(string(registered[0]), reg.Host()+"/classla-backend@"+digest) {
		t.Errorf("registered task definitions %s, want one pinned to the digest", registered)
	}
	if got := fmt.Sprint(deploymentStates(e)); got != "[production:in_progress production:success backend:in_progress backend:success]" {
		t.Errorf("deployment statuses %s", got)
	}
	var roles []string
	for _, c := range sts.Issued() {
		roles = append(roles, c.RoleARN+" "+c.SessionName)
	}
	want := []string{productionPlanRole + " gantry-lms-pr11-production", productionRole + " gantry-lms-pr11-production",
		deployRole + " gantry-lms-pr11-backend"}
	if fmt.Sprint(roles) != fmt.Sprint(want) {
		t.Errorf("STS sessions %v, want the plan role for the pull request, the apply role for the merge, the deploy role for backend", roles)
	}
}
