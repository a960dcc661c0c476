package flow

import (
	"fmt"

	"github.com/classla/gantry/internal/server"
)

// JobPath and ServicePath are where the status page (internal/server) shows a job and a
// service's deployments.
var (
	JobPath     = server.JobPath
	ServicePath = server.ServicePath
)

// jobURL is the address of the job's page, "" without GANTRY_PUBLIC_URL.
func (t *task[S]) jobURL() string {
	if t.PublicURL == "" || t.Job.ID == 0 {
		return ""
	}
	return t.PublicURL + JobPath(t.Job.ID)
}

// serviceURL is the address of a service's deployment history, "" without GANTRY_PUBLIC_URL.
func (t *task[S]) serviceURL(service string) string {
	if t.PublicURL == "" {
		return ""
	}
	return t.PublicURL + ServicePath(t.Job.Repo, service)
}

// withJobLink ends a comment with a link to the job's page, so that whoever reads the pull
// request can see the job's state, times and log.
func (t *task[S]) withJobLink(body string) string { return withJobLink(body, t.PublicURL, t.Job.ID) }

func withJobLink(body, publicURL string, id int64) string {
	if publicURL == "" || id == 0 {
		return body
	}
	return fmt.Sprintf("%s\n\n<sub>[gantry job %d](%s)</sub>\n", body, id, publicURL+JobPath(id))
}
