package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/sqlite"
	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/testing/s3fake"
	"github.com/classla/gantry/internal/testing/sandboxtest"
)

// A main.tf of a few lines can print megabytes: one output of 6 MB makes a plan whose text is over
// the 4 MiB kept of a step's output, and whose JSON (the value twice) is far over it. (range makes
// at most 1,024 numbers, hence two of them.)
const floodTF = `
terraform {
  backend "s3" {}
}
output "flood" {
  value = join("", [for i in range(250) : join("", [for j in range(250) : "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"])])
}
`

func TestAFloodingPlanStaysWithinTheCaps(t *testing.T) {
	t.Parallel()
	dataDir := sandboxtest.Reachable(t, t.TempDir())
	e := startServerEnv(t, "GANTRY_TERRAFORM_BIN", func(s3 *s3fake.Server, flavor string) string {
		return s3Project(s3, flavor, "flood", "")
	}, map[string]string{"GANTRY_DATA_DIR": dataDir})
	sha := strings.Repeat("f", 40)
	e.commit(sha, map[string]string{"terraform/flood/main.tf": floodTF})
	e.pullRequest("opened", githubfake.PR{Number: 5, User: "mallory", HeadSHA: sha, Files: []string{"terraform/flood/main.tf"}})

	body := e.projectComment(5, "flood", contains("more than the 4194304 bytes gantry keeps"))
	if c := e.checkRun("gantry/plan: flood", sha, "failure"); c.Conclusion != "failure" {
		t.Errorf("check run %+v, want a failure", c)
	}
	comments := e.gh.Comments(e2eRepo, 5)
	if len(comments) > 10 {
		t.Errorf("the flood made %d comments, over the cap of 10", len(comments))
	}
	total := 0
	for _, c := range comments {
		total += len(c.Body)
	}
	if total > 10*65536 {
		t.Errorf("the comments hold %d bytes, more than ten full comments", total)
	}
	if strings.Count(body, "0123456789abcdef") > 100000 {
		t.Errorf("the comment carries the flood:\n%.300s", body)
	}

	st, err := sqlite.Open(context.Background(), filepath.Join(dataDir, "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if p, err := st.LatestPlan(context.Background(), e2eRepo, 5, "flood"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a plan too large to read was stored (%d bytes of JSON, err %v)", len(p.JSON), err)
	}
}
