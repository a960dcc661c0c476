package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/classla/gantry/internal/testing/awsfake"
	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/testing/s3fake"
)

// Subjects of gantry's own tokens for the e2e repository (SPEC §10).
const (
	planSubject   = "repo:" + e2eRepo + ":project:production:phase:plan"
	applySubject  = "repo:" + e2eRepo + ":project:production:phase:apply"
	deploySubject = "repo:" + e2eRepo + ":service:backend:phase:deploy"
)

// identityServer runs gantry with GANTRY_WORKLOAD_IDENTITY=on at a public URL the STS fake
// fetches its keys from, and no token file: every token is one gantry signed for its job.
func identityServer(t *testing.T, sts *awsfake.STS, config func(s3 *s3fake.Server, flavor string) string, extra map[string]string) (*e2e, string) {
	t.Helper()
	addr := freeAddr(t)
	public := "http://" + addr
	env := map[string]string{"GANTRY_WORKLOAD_IDENTITY": "on", "GANTRY_ADDR": addr, "GANTRY_PUBLIC_URL": public,
		"AWS_ENDPOINT_URL_STS": sts.URL()}
	for k, v := range extra {
		env[k] = v
	}
	return startServerEnv(t, "GANTRY_TERRAFORM_BIN", config, env), public
}

// claimsOf reads a JWT's payload; STS verified it.
func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("STS was given a token that is not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// presentedTokens are the web identity tokens STS was given, accepted or not.
func presentedTokens(t *testing.T, sts *awsfake.STS) []string {
	t.Helper()
	var out []string
	for _, r := range sts.Requests() {
		form, err := url.ParseQuery(string(r.Body))
		if err != nil {
			t.Fatalf("STS request body is not a form: %v", err)
		}
		if tok := form.Get("WebIdentityToken"); tok != "" {
			out = append(out, tok)
		}
	}
	return out
}

// assertTokensNotLeaked fails t if a token STS saw is in the server's log or anything gantry sent
// to GitHub.
func assertTokensNotLeaked(t *testing.T, e *e2e, tokens []string) {
	t.Helper()
	if len(tokens) == 0 {
		t.Fatal("STS saw no token: the leak check would prove nothing")
	}
	logs := e.logs.String()
	for _, tok := range tokens {
		sig := tok[strings.LastIndex(tok, ".")+1:]
		if strings.Contains(logs, sig) {
			t.Errorf("the server's log holds a job token (%.12s…)", tok)
		}
		for _, r := range e.gh.Requests() {
			if strings.Contains(string(r.Body), sig) {
				t.Errorf("gantry sent a job token to GitHub in %s %s", r.Method, r.Path)
			}
		}
	}
}

// A pull request's plan gets the plan role, the merge the apply role, the service the deploy
// role — each because gantry's token for that job names its phase, and each role trusts only
// its phase, as STS (fetching gantry's discovery document and keys over HTTP) decides.
func TestWorkloadIdentityGivesEachPhaseItsOwnRole(t *testing.T) {
	t.Parallel()
	reg, ecr, ecs, base := backendWorld(t)
	sts := awsfake.NewSTS(t)
	e, public := identityServer(t, sts, func(s3 *s3fake.Server, flavor string) string {
		return s3Project(s3, flavor, "production", productionAWS) + backendService(base)
	}, map[string]string{"AWS_ENDPOINT_URL_ECR": ecr.URL(), "AWS_ENDPOINT_URL_ECS": ecs.URL(),
		"GANTRY_BUILDER": "oci", "GANTRY_ECS_POLL_INTERVAL": "5ms"})
	sts.TrustOIDC(productionPlanRole, public, "sts.amazonaws.com", planSubject)
	sts.TrustOIDC(productionRole, public, "sts.amazonaws.com", applySubject)
	sts.TrustOIDC(deployRole, public, "sts.amazonaws.com", deploySubject)

	head, merged := strings.Repeat("a", 40), strings.Repeat("b", 40)
	files := map[string]string{"terraform/production/main.tf": tfFiles(1), "backend/server.js": "console.log('hi')\n"}
	e.commit(head, files)
	e.commit(merged, files)
	pr := githubfake.PR{Number: 12, User: "alice", HeadSHA: head, Files: []string{"terraform/production/main.tf", "backend/server.js"}}
	e.pullRequest("opened", pr)
	e.projectComment(12, "production", contains("Plan: 1 to add"))
	e.merge(pr, merged)
	e.applyComment(12, contains("applied `bbbbbbb`"))
	var deployed bool
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && !deployed; time.Sleep(10 * time.Millisecond) {
		for _, c := range e.gh.Comments(e2eRepo, 12) {
			deployed = deployed || strings.Contains(c.Body, "`backend` deployed `bbbbbbb`")
		}
	}
	if !deployed {
		t.Fatalf("backend was not deployed; comments: %+v", e.gh.Comments(e2eRepo, 12))
	}
	if got := reg.Digest(t, reg.Host()+"/classla-backend:"+merged); got == "" {
		t.Error("no image was pushed")
	}

	issued := sts.Issued()
	var got []string
	for _, c := range issued {
		got = append(got, c.RoleARN+" "+c.Subject)
	}
	want := []string{productionPlanRole + " " + planSubject, productionRole + " " + applySubject, deployRole + " " + deploySubject}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("STS issued credentials for\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Each token is the job's own: its claims name the repository, pull request, commit and job,
	// it lives at most 15 minutes, and no two share an id.
	jtis := map[any]bool{}
	for n, c := range issued {
		claims := claimsOf(t, c.Token)
		sha := head
		if n > 0 {
			sha = merged
		}
		if claims["iss"] != public || claims["aud"] != "sts.amazonaws.com" || claims["repository"] != e2eRepo ||
			claims["pull_request"] != float64(12) || claims["sha"] != sha {
			t.Errorf("token %d claims %v", n, claims)
		}
		if id, _ := claims["job_id"].(float64); id <= 0 {
			t.Errorf("token %d has no job id: %v", n, claims["job_id"])
		}
		if life := claims["exp"].(float64) - claims["iat"].(float64); life <= 0 || life > 15*60 {
			t.Errorf("token %d lives %vs, want at most 15 minutes", n, life)
		}
		jtis[claims["jti"]] = true
	}
	if len(jtis) != len(issued) {
		t.Errorf("%d tokens share their jti: %v", len(issued), jtis)
	}
	// The session names are unchanged by where the token comes from.
	if issued[0].SessionName != "gantry-lms-pr12-production" || issued[2].SessionName != "gantry-lms-pr12-backend" {
		t.Errorf("session names %s, %s", issued[0].SessionName, issued[2].SessionName)
	}
	assertTokensNotLeaked(t, e, presentedTokens(t, sts))

	// The documents AWS reads are served where the issuer says.
	resp, err := http.Get(public + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if doc.Issuer != public || doc.JWKSURI != public+"/.well-known/jwks.json" {
		t.Errorf("discovery document %+v", doc)
	}
}

// A plan of a pull request never gets a role that trusts the apply phase, whatever role
// .gantry.yaml names for it: STS refuses, nothing runs, and the pull request is told why.
func TestAPlanAskingForARoleOfTheApplyPhaseIsRefusedBySTS(t *testing.T) {
	t.Parallel()
	sts := awsfake.NewSTS(t)
	// The "plan" role here is an admin role that trusts the production apply only.
	admin := "arn:aws:iam::111111111111:role/gantry-admin"
	e, public := identityServer(t, sts, func(s3 *s3fake.Server, flavor string) string {
		return s3Project(s3, flavor, "production",
			"    aws: {plan_role_arn: "+admin+", role_arn: "+productionRole+", region: us-east-1}\n")
	}, nil)
	sts.TrustOIDC(admin, public, "sts.amazonaws.com", applySubject)
	sts.TrustOIDC(productionRole, public, "sts.amazonaws.com", applySubject)

	head := strings.Repeat("c", 40)
	e.commit(head, map[string]string{"terraform/production/main.tf": tfFiles(2)})
	e.pullRequest("opened", githubfake.PR{Number: 13, User: "alice", HeadSHA: head, Files: []string{"terraform/production/main.tf"}})
	body := e.projectComment(13, "production", contains("AccessDenied"))
	for _, want := range []string{admin, `sub "` + planSubject + `"`, "phase:apply for an apply role"} {
		if !strings.Contains(body, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "Plan: 2 to add") {
		t.Error("the plan ran although STS refused the role")
	}
	if issued := sts.Issued(); len(issued) != 0 {
		t.Errorf("STS issued credentials: %+v", issued)
	}
	if _, ok := e.s3.Object("tfstate", "production.tfstate"); ok {
		t.Error("state was written")
	}
	assertTokensNotLeaked(t, e, presentedTokens(t, sts))
}
