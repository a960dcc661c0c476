package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/testing/awsfake"
	"github.com/classla/gantry/internal/testing/registry"
)

// deployWorld is a repository checkout with one service, and the fakes it deploys to.
func deployWorld(t *testing.T) (dir string, env map[string]string, reg *registry.Registry, ecs *awsfake.ECS) {
	reg = registry.New(t)
	ecr := awsfake.NewECR(t, reg.Host())
	reg.SetPassword(ecr.Password())
	ecr.AddRepository("classla-backend")
	base := reg.PushRandomBase(t, "node", "20-slim")
	ecs = awsfake.NewECS(t)
	ecs.AddService("classla-production", "classla-backend", map[string]any{
		"family": "classla-backend", "requiresCompatibilities": []string{"FARGATE"}, "cpu": "512", "memory": "1024",
		"containerDefinitions": []map[string]any{{"name": "backend", "image": reg.Host() + "/classla-backend:old", "essential": true}},
	})
	ecs.Rollout("classla-production", "classla-backend", awsfake.Scenario{CompleteAfter: 1})
	dir = t.TempDir()
	writeFile(t, filepath.Join(dir, ".gantry.yaml"), "version: 1\nservices:\n  - name: backend\n"+
		"    build: {context: backend, base_image: \""+base+"\"}\n    ecr_repository: classla-backend\n"+
		"    ecs: {cluster: classla-production, service: classla-backend, container: backend}\n"+
		"    aws: {role_arn: \"arn:aws:iam::111111111111:role/gantry-deploy-backend\", region: us-east-1}\n")
	if err := os.MkdirAll(filepath.Join(dir, "backend"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "backend", "server.js"), "console.log('hi')\n")
	// The operator's own credentials, through the SDK's usual chain.
	t.Setenv("AWS_ACCESS_KEY_ID", awsfake.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", awsfake.SecretAccessKey)
	env = map[string]string{"AWS_ENDPOINT_URL_ECR": ecr.URL(), "AWS_ENDPOINT_URL_ECS": ecs.URL(),
		"GANTRY_BUILDER": "oci", "GANTRY_ECS_POLL_INTERVAL": "5ms"}
	return dir, env, reg, ecs
}

func TestDeployFromATerminal(t *testing.T) {
	dir, env, reg, ecs := deployWorld(t)
	sha := strings.Repeat("c", 40)
	code, out, errOut := gantry(t, env, "deploy", "--service", "backend", "--ref", sha, "--dir", dir,
		"--config", filepath.Join(dir, ".gantry.yaml"), "--branch", "main")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	digest := reg.Digest(t, reg.Host()+"/classla-backend:"+sha)
	if !strings.Contains(out, "backend is running "+reg.Host()+"/classla-backend@"+digest) || !strings.Contains(out, "classla-backend:1 → classla-backend:2") {
		t.Errorf("output %q", out)
	}
	if len(ecs.Registered()) != 1 {
		t.Errorf("%d task definitions registered, want 1", len(ecs.Registered()))
	}
	if reg.Digest(t, reg.Host()+"/classla-backend:main") != digest {
		t.Error("the branch tag does not point at the pushed image")
	}
}

func TestDeployDryRunChangesNothing(t *testing.T) {
	dir, env, _, ecs := deployWorld(t)
	code, out, errOut := gantry(t, env, "deploy", "--service", "backend", "--ref", strings.Repeat("c", 40), "--dir", dir,
		"--config", filepath.Join(dir, ".gantry.yaml"), "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "would build") || !strings.Contains(out, "/classla-backend:old") {
		t.Errorf("dry run output %q does not describe the build and the image it replaces", out)
	}
	if len(ecs.Registered()) != 0 {
		t.Error("a dry run registered a task definition")
	}
}

func TestDeployRefusesAnUnknownService(t *testing.T) {
	dir, env, _, _ := deployWorld(t)
	code, _, errOut := gantry(t, env, "deploy", "--service", "frontend", "--ref", "abc", "--dir", dir, "--config", filepath.Join(dir, ".gantry.yaml"))
	if code != 2 || !strings.Contains(errOut, `no service "frontend" (services: backend)`) {
		t.Errorf("exit %d, %q", code, errOut)
	}
}
