package flow_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/flow"
)

// With GANTRY_PUBLIC_URL, whoever looks at a check run, a deployment or a comment can reach
// the job's page and the service's history on the status page.
func TestCheckRunsDeploymentsAndCommentsLinkToTheStatusPage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.deps.PublicURL = "https://gantry.example.com"
	w.deps.Shipper, w.deps.Credentials = &fakeShipper{}, fakeCredentials{}
	planned(t, w, "fast", "fast")
	w.gh.SetFile(repo, "main", ".gantry.yaml", unorderedServiceConfig)
	jobs := w.deliver(t, "pull_request", merged(t))
	byKind := map[string]int64{}
	for _, j := range jobs {
		byKind[j.Kind] = j.ID
	}
	jobURL := func(kind string) string {
		return "https://gantry.example.com" + flow.JobPath(byKind[kind])
	}

	link := regexp.MustCompile(`https://gantry\.example\.com/jobs/\d+`)
	for _, cr := range w.gh.CheckRuns(repo) {
		if !link.MatchString(cr.DetailsURL) {
			t.Errorf("check run %s has details_url %q, want its job's page", cr.Name, cr.DetailsURL)
		}
		if strings.HasPrefix(cr.Name, "gantry/apply: ") && cr.DetailsURL != jobURL(flow.KindApply) {
			t.Errorf("the apply's check run links %s, want %s", cr.DetailsURL, jobURL(flow.KindApply))
		}
	}
	for _, d := range w.gh.Deployments(repo) {
		for _, s := range w.gh.DeploymentStatuses(d.ID) {
			want := jobURL(flow.KindApply)
			if d.Environment == "backend" {
				want = jobURL(flow.KindDeploy)
				if s.EnvironmentURL != "https://gantry.example.com/services/"+repo+"/backend" {
					t.Errorf("backend's %s status has environment_url %q, want its service page", s.State, s.EnvironmentURL)
				}
			}
			if s.LogURL != want {
				t.Errorf("%s's %s status has log_url %q, want %s", d.Environment, s.State, s.LogURL, want)
			}
		}
	}
	var linked int
	for _, c := range w.gh.Comments(repo, 2) {
		if strings.Contains(c.Body, "[gantry job ") && link.MatchString(c.Body) {
			linked++
		}
	}
	if linked < 2 {
		t.Errorf("%d comments link to their job, want the apply's and the deployment's at least", linked)
	}
}

// Without GANTRY_PUBLIC_URL nothing links anywhere.
func TestWithoutAPublicURLNothingLinks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.deps.Shipper, w.deps.Credentials = &fakeShipper{}, fakeCredentials{}
	planned(t, w, "fast", "fast")
	w.gh.SetFile(repo, "main", ".gantry.yaml", unorderedServiceConfig)
	w.deliver(t, "pull_request", merged(t))
	for _, cr := range w.gh.CheckRuns(repo) {
		if cr.DetailsURL != "" {
			t.Errorf("check run %s links %q", cr.Name, cr.DetailsURL)
		}
	}
	for _, c := range w.gh.Comments(repo, 2) {
		if strings.Contains(c.Body, "gantry job ") {
			t.Errorf("a comment links a job:\n%s", c.Body)
		}
	}
}
