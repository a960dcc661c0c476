package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/sqlite"
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
		"GANTRY_BUILDER": "oci", "GANTRY_ECS_POLL_INTERVAL": "5ms", "GANTRY_DATA_DIR": t.TempDir()}
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

func TestRollbackFromATerminalReturnsToTheEarlierRevision(t *testing.T) {
	dir, env, _, ecs := deployWorld(t)
	cfg := filepath.Join(dir, ".gantry.yaml")
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	for i, sha := range []string{a, b} {
		writeFile(t, filepath.Join(dir, "backend", "server.js"), fmt.Sprintf("console.log(%d)\n", i))
		if code, _, errOut := gantry(t, env, "deploy", "--service", "backend", "--ref", sha, "--dir", dir, "--config", cfg, "--repo", "classla/lms"); code != 0 {
			t.Fatalf("deploy %s: exit %d: %s", sha[:7], code, errOut)
		}
	}
	code, out, errOut := gantry(t, env, "rollback", "--service", "backend", "--config", cfg)
	if code != 0 {
		t.Fatalf("rollback: exit %d: %s", code, errOut)
	}
	// Deploying A registered revision 2, B revision 3: the rollback returns to 2 without registering anything.
	if !strings.Contains(out, "backend rolled back from bbbbbbb (classla-backend:3) to aaaaaaa (classla-backend:2)") {
		t.Errorf("output %q", out)
	}
	if n := len(ecs.Registered()); n != 2 {
		t.Errorf("%d task definitions registered, want 2 (the rollback registers none)", n)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(env["GANTRY_DATA_DIR"], "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ds, _ := st.ListDeployments(context.Background(), "classla/lms", "backend", 0)
	if len(ds) != 3 || ds[0].RollbackOf != ds[1].ID || !strings.HasSuffix(ds[0].TaskDefAfter, ":2") || ds[0].State != store.DeploymentSuccess {
		t.Errorf("ledger %+v, want the rollback recorded, linked to B's deployment", ds)
	}
}

// An Amplify frontend from a terminal: gantry deploy releases the commit, gantry rollback
// releases the earlier one again, and both are in the ledger.
func TestAnAmplifyFrontendIsReleasedAndRolledBackFromATerminal(t *testing.T) {
	amp := awsfake.NewAmplify(t)
	amp.AddBranch(amplifyApp, "main")
	amp.Script(amplifyApp, "main", awsfake.JobScript{SucceedAfter: 1})
	dir := t.TempDir()
	cfg := filepath.Join(dir, ".gantry.yaml")
	writeFile(t, cfg, "version: 1\n"+strings.Replace(frontendService, "    after: [production]\n", "", 1))
	t.Setenv("AWS_ACCESS_KEY_ID", awsfake.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", awsfake.SecretAccessKey)
	env := map[string]string{"AWS_ENDPOINT_URL_AMPLIFY": amp.URL(), "GANTRY_ECS_POLL_INTERVAL": "5ms", "GANTRY_DATA_DIR": t.TempDir()}
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	for _, sha := range []string{a, b} {
		code, out, errOut := gantry(t, env, "deploy", "--service", "frontend", "--ref", sha, "--dir", dir, "--config", cfg, "--repo", "classla/lms")
		if code != 0 || !strings.Contains(out, "frontend released "+sha[:7]+": Amplify job") {
			t.Fatalf("deploy %s: exit %d: %q %s", sha[:7], code, out, errOut)
		}
	}
	code, out, errOut := gantry(t, env, "rollback", "--service", "frontend", "--config", cfg)
	if code != 0 || !strings.Contains(out, "frontend rolled back from bbbbbbb") || !strings.Contains(out, "to aaaaaaa") {
		t.Fatalf("rollback: exit %d: %q %s", code, out, errOut)
	}
	started := amp.Started()
	if len(started) != 3 || started[2].JobType != "RELEASE" || started[2].CommitID != a {
		t.Errorf("Amplify started %+v, want releases of a, b, then a again", started)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(env["GANTRY_DATA_DIR"], "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ds, _ := st.ListDeployments(context.Background(), "classla/lms", "frontend", 0)
	if len(ds) != 3 || ds[0].RollbackOf != ds[1].ID || ds[0].SHA != a || ds[0].TaskDefAfter == ds[2].TaskDefAfter || ds[0].State != store.DeploymentSuccess {
		t.Errorf("ledger %+v, want the rollback recorded as a release job of its own, linked to b's", ds)
	}
}
