package store

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// The helpers below are shared by the SQL implementations; each writes its own dialect.

// Equalities returns the conditions of f other than States and Limit, as the jobs table's column
// names and the values they must equal, in a fixed order.
func (f JobFilter) Equalities() (columns []string, values []any) {
	add := func(set bool, column string, v any) {
		if set {
			columns, values = append(columns, column), append(values, v)
		}
	}
	add(f.Kind != "", "kind", f.Kind)
	add(f.Repo != "", "repo", f.Repo)
	add(f.PR != 0, "pr", f.PR)
	add(f.Key != "", "job_key", f.Key)
	add(f.SHA != "", "sha", f.SHA)
	add(f.DeliveryID != "", "delivery_id", f.DeliveryID)
	return columns, values
}

// CutOffReport names, among a job's GitHub objects, the comment that reported it cut off.
const CutOffReport = "gantry:cut-off-report"

// CutOffPhrases are in the error of a job whose worker (ExpireLeases) or server (a shutdown past
// its grace) stopped under it.
var CutOffPhrases = []string{"stopped before it finished", "shut down before the job finished"}

// Migration is one schema migration embedded in an implementation: NNNN_description.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ReadMigrations returns the migrations in dir of fsys in version order, refusing a file that is
// not named NNNN_description.sql and two files of one version.
func ReadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("embedded migration %s is not named NNNN_description.sql", e.Name())
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read embedded migration %s: %w", e.Name(), err)
		}
		ms = append(ms, Migration{Version: version, Name: e.Name(), SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("embedded migrations %s and %s share version %d", ms[i-1].Name, ms[i].Name, ms[i].Version)
		}
	}
	return ms, nil
}

// Check refuses a GitHubObject without a known kind, a job or GitHub's id.
func (o GitHubObject) Check() error {
	switch o.Kind {
	case GitHubCheckRun, GitHubDeployment, GitHubComment:
	default:
		return fmt.Errorf("record GitHub object of job %d: kind %q is not check_run, deployment or comment", o.JobID, o.Kind)
	}
	if o.JobID == 0 || o.ID == 0 {
		return fmt.Errorf("record %s of job %d: job and GitHub id are required (got %d)", o.Kind, o.JobID, o.ID)
	}
	return nil
}
