package githubfake

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"
	"time"
)

// PR describes a pull request for AddPullRequest. Zero fields get GitHub-like defaults.
type PR struct {
	Number         int
	Title          string // default "Pull request N"
	User           string // author login; default "octocat"
	HeadSHA        string // default: a SHA derived from the number
	HeadRef        string // default "feature-N"
	HeadRepo       string // "owner/name" of the head repository; default the base repository (not a fork)
	BaseRef        string // default: the repository's default branch
	Draft          bool
	State          string // open (default) or closed
	Merged         bool
	MergeCommitSHA string
	MergeableState string // default "clean"
	Files          []string
	Renamed        map[string]string // new path → previous path, for files in Files that were renamed
}

// Comment is an issue comment as stored by the fake.
type Comment struct {
	ID        int64
	Body      string
	User      string // login
	UserType  string // "Bot" or "User"
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CheckRun is a check run as stored by the fake.
type CheckRun struct {
	ID          int64
	Name        string
	HeadSHA     string
	Status      string
	Conclusion  string
	Title       string
	Summary     string
	Text        string
	DetailsURL  string
	ExternalID  string
	StartedAt   time.Time
	CompletedAt time.Time
}

// Deployment is a deployment as stored by the fake. RequiredContexts is nil when the request left it out
// (GitHub then requires every status context), and AutoMerge nil when it left that out (GitHub: true).
type Deployment struct {
	ID               int64
	Ref              string
	SHA              string
	Task             string
	Environment      string
	Description      string
	Payload          json.RawMessage
	AutoMerge        *bool
	RequiredContexts []string
	Creator          string
	CreatedAt        time.Time
}

// DeploymentStatus is a deployment status as stored by the fake.
type DeploymentStatus struct {
	ID             int64
	DeploymentID   int64
	State          string
	Description    string
	LogURL         string
	EnvironmentURL string
	Creator        string
	CreatedAt      time.Time
}

// review is a pull request review as stored by the fake.
type review struct {
	id          int64
	user        string
	state       string // APPROVED, CHANGES_REQUESTED, COMMENTED or DISMISSED
	commitID    string // the commit reviewed: the pull request's head when the review was submitted
	commitGone  bool   // the commit no longer exists: commit_id is null
	submittedAt time.Time
}

// comparison is what SetCompare (the counts) or SetCompareCommits (the commits) says about BASE...HEAD.
type comparison struct {
	aheadBy, behindBy int
	commits           []string // SHAs of commits set with SetCommit, oldest first
}

// commit is a commit as stored by the fake.
type commit struct {
	sha     string
	files   []string
	renamed map[string]string // new path → previous path
	pulls   []int             // pull requests the commit belongs to
	at      time.Time
}

type repoState struct {
	id                   int64
	owner, name          string
	defaultBranch        string
	files                map[string]map[string]string // branch → path → content
	pulls                map[int]*PR
	issueComments        map[int][]int64 // issue number → comment ids, oldest first
	checkRuns            []*CheckRun
	deployments          []*Deployment
	roles                map[string]role // lower-case login → role
	tarballs             map[string]map[string]string
	reviews              map[int][]*review     // pull request number → reviews, oldest first
	comparisons          map[string]comparison // "BASE...HEAD" → counts
	commits              map[string]*commit    // SHA → commit
	public               bool                  // anyone may read it (SetPublic); private by default
	workflows            []string              // workflow files that may be dispatched (AddWorkflow)
	refuseRunDetails     bool                  // dispatches with return_run_details are refused (RefuseRunDetails)
	dispatches           []Dispatch
	createdAt, updatedAt time.Time
}

type role struct{ name, legacy string }

type commentState struct {
	Comment
	repo  *repoState
	issue int
}

func (r *repoState) fullName() string { return r.owner + "/" + r.name }

func (s *Server) nextID() int64 {
	s.lastID++
	return s.lastID
}

// stableID gives the same id for the same key within one fake.
func (s *Server) stableID(key string) int64 {
	if id, ok := s.ids[key]; ok {
		return id
	}
	id := s.nextID()
	s.ids[key] = id
	return id
}

func (s *Server) repo(fullName string) *repoState { return s.repos[strings.ToLower(fullName)] }

// mustRepo is for setup helpers, which run on the test goroutine.
func (s *Server) mustRepo(fullName string) *repoState {
	s.t.Helper()
	r := s.repo(fullName)
	if r == nil {
		s.t.Fatalf("githubfake: repository %q was not added: call AddRepo first", fullName)
	}
	return r
}

// fakeSHA derives a 40-hex commit SHA from text, for defaults.
func fakeSHA(text string) string {
	sum := sha1.Sum([]byte(text))
	return hex.EncodeToString(sum[:])
}

func now() time.Time { return time.Now().UTC().Truncate(time.Second) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
