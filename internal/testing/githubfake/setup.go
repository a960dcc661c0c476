package githubfake

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// AddRepo creates a repository with the given default branch.
func (s *Server) AddRepo(owner, name, defaultBranch string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(owner + "/" + name)
	if _, ok := s.repos[key]; ok {
		s.t.Fatalf("githubfake: repository %s/%s added twice", owner, name)
	}
	t := now()
	s.repos[key] = &repoState{
		id: s.stableID("repo:" + key), owner: owner, name: name, defaultBranch: defaultBranch,
		files: map[string]map[string]string{}, pulls: map[int]*PR{}, issueComments: map[int][]int64{},
		roles: map[string]role{}, tarballs: map[string]map[string]string{}, reviews: map[int][]*review{},
		comparisons: map[string]comparison{}, commits: map[string]*commit{}, createdAt: t, updatedAt: t,
	}
}

// AddPullRequest adds a pull request to repo ("owner/name"), or replaces the one with the same number.
func (s *Server) AddPullRequest(repo string, pr PR) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	if pr.Number <= 0 {
		s.t.Fatalf("githubfake: pull request number %d is not positive", pr.Number)
	}
	defaults := PR{
		Title: fmt.Sprintf("Pull request %d", pr.Number), User: "octocat",
		HeadSHA: fakeSHA(fmt.Sprintf("%s#%d", repo, pr.Number)), HeadRef: fmt.Sprintf("feature-%d", pr.Number),
		HeadRepo: r.fullName(), BaseRef: r.defaultBranch, State: "open", MergeableState: "clean",
	}
	for _, f := range []struct{ v, d *string }{
		{&pr.Title, &defaults.Title}, {&pr.User, &defaults.User}, {&pr.HeadSHA, &defaults.HeadSHA},
		{&pr.HeadRef, &defaults.HeadRef}, {&pr.HeadRepo, &defaults.HeadRepo}, {&pr.BaseRef, &defaults.BaseRef},
		{&pr.State, &defaults.State}, {&pr.MergeableState, &defaults.MergeableState},
	} {
		if *f.v == "" {
			*f.v = *f.d
		}
	}
	pr.Files = append([]string(nil), pr.Files...)
	r.pulls[pr.Number] = &pr
}

// SetFile sets the content of path at ref (a branch name or a commit SHA) of repo.
func (s *Server) SetFile(repo, branch, path, content string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	if r.files[branch] == nil {
		r.files[branch] = map[string]string{}
	}
	r.files[branch][strings.Trim(path, "/")] = content
}

// legacyPermission is the read/write/admin view GitHub reports in "permission" for each role.
var legacyPermission = map[string]string{
	"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read",
}

// SetPermission gives user a repository role: admin, maintain, write, triage or read. Users without a
// role are not collaborators: the permission endpoint answers, as GitHub does for an account without
// access, permission and role "none" on a private repository (the default) and "read" on a public one
// (SetPublic). Only logins passed to RemoveUser answer 404, as accounts that do not exist do.
func (s *Server) SetPermission(repo, user, roleName string) {
	s.t.Helper()
	legacy, ok := legacyPermission[roleName]
	if !ok {
		s.t.Fatalf("githubfake: %q is not a repository role (admin, maintain, write, triage, read); use SetCustomRole", roleName)
	}
	s.SetCustomRole(repo, user, roleName, legacy)
}

// SetCustomRole gives user an organisation's custom role whose base permission is legacy (read, write
// or admin); GitHub reports the custom name in role_name and the base in permission.
func (s *Server) SetCustomRole(repo, user, roleName, legacy string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustRepo(repo).roles[strings.ToLower(user)] = role{name: roleName, legacy: legacy}
}

// SetPublic makes repo public: anyone may read it, so every account has at least read permission.
func (s *Server) SetPublic(repo string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustRepo(repo).public = true
}

// RemoveUser makes login an account that does not exist (deleted or never created): the permission
// endpoint answers 404 for it, on every repository.
func (s *Server) RemoveUser(login string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.missing[strings.ToLower(login)] = true
}

// SetTarball sets the files of the archive served for ref. Paths are relative to the repository root;
// the archive puts them under GitHub's "owner-repo-sha/" directory.
func (s *Server) SetTarball(repo, ref string, files map[string]string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	copied := make(map[string]string, len(files))
	for k, v := range files {
		copied[k] = v
	}
	s.mustRepo(repo).tarballs[ref] = copied
}

// AddComment adds a comment by a person (not the App) to issue or pull request number pr, and returns its ID.
func (s *Server) AddComment(repo string, pr int, user, body string) int64 {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addComment(s.mustRepo(repo), pr, user, "User", body).ID
}

// RemoveComment deletes a comment, as a person would in the web interface.
func (s *Server) RemoveComment(id int64) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.comments[id]
	if c == nil {
		s.t.Fatalf("githubfake: there is no comment %d to remove", id)
	}
	s.removeComment(c)
}

func (s *Server) removeComment(c *commentState) {
	delete(s.comments, c.ID)
	ids := c.repo.issueComments[c.issue]
	for i, id := range ids {
		if id == c.ID {
			c.repo.issueComments[c.issue] = append(ids[:i:i], ids[i+1:]...)
			return
		}
	}
}

func (s *Server) addComment(r *repoState, issue int, user, userType, body string) *commentState {
	t := now()
	c := &commentState{
		Comment: Comment{ID: s.nextID(), Body: body, User: user, UserType: userType, CreatedAt: t, UpdatedAt: t},
		repo:    r, issue: issue,
	}
	s.comments[c.ID] = c
	r.issueComments[issue] = append(r.issueComments[issue], c.ID)
	return c
}

// Comments lists the comments on issue or pull request pr, oldest first.
func (s *Server) Comments(repo string, pr int) []Comment {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, id := range s.mustRepo(repo).issueComments[pr] {
		out = append(out, s.comments[id].Comment)
	}
	return out
}

// CheckRuns lists the check runs of repo, oldest first.
func (s *Server) CheckRuns(repo string) []CheckRun {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CheckRun
	for _, c := range s.mustRepo(repo).checkRuns {
		out = append(out, *c)
	}
	return out
}

// Deployments lists the deployments of repo, oldest first.
func (s *Server) Deployments(repo string) []Deployment {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Deployment
	for _, d := range s.mustRepo(repo).deployments {
		out = append(out, *d)
	}
	return out
}

// DeploymentStatuses lists the statuses of deployment id, oldest first.
func (s *Server) DeploymentStatuses(id int64) []DeploymentStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []DeploymentStatus
	for _, st := range s.statuses[id] {
		out = append(out, *st)
	}
	return out
}

// reviewStates are the states a submitted review can have.
var reviewStates = []string{"APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"}

// Review is a submitted review for AddReviewOf.
type Review struct {
	User  string // the reviewer's login
	State string // APPROVED, CHANGES_REQUESTED, COMMENTED or DISMISSED
	// CommitID is the commit reviewed; empty means the pull request's head when the review is added,
	// as when someone reviews it now. Set it to record a review of an earlier head.
	CommitID string
	// CommitGone: the commit reviewed was force-pushed away and collected, so GitHub answers a null
	// commit_id.
	CommitGone bool
}

// AddReview adds a submitted review by user to pull request pr of repo, on the pull request's current head,
// and returns its ID. state is APPROVED, CHANGES_REQUESTED, COMMENTED or DISMISSED. Reviews are listed in
// the order they were added; each gets a larger ID and a later submitted_at than the one before.
func (s *Server) AddReview(repo string, pr int, user, state string) int64 {
	s.t.Helper()
	return s.AddReviewOf(repo, pr, Review{User: user, State: state})
}

// AddReviewOf adds review rv to pull request pr of repo, like AddReview, and returns its ID.
func (s *Server) AddReviewOf(repo string, pr int, rv Review) int64 {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	p := r.pulls[pr]
	if p == nil {
		s.t.Fatalf("githubfake: pull request %s#%d was not added: call AddPullRequest first", repo, pr)
	}
	if !slices.Contains(reviewStates, rv.State) {
		s.t.Fatalf("githubfake: review state %q is not one of %v", rv.State, reviewStates)
	}
	if rv.User == "" {
		s.t.Fatalf("githubfake: a review needs a user")
	}
	commitID := rv.CommitID
	if commitID == "" {
		commitID = p.HeadSHA
	}
	at := now()
	if prev := r.reviews[pr]; len(prev) > 0 && !at.After(prev[len(prev)-1].submittedAt) {
		at = prev[len(prev)-1].submittedAt.Add(time.Second)
	}
	stored := &review{id: s.nextID(), user: rv.User, state: rv.State, commitID: commitID, commitGone: rv.CommitGone, submittedAt: at}
	r.reviews[pr] = append(r.reviews[pr], stored)
	return stored.id
}

// SetCompare says how HEAD relates to BASE in repo: GET compare/BASE...HEAD answers aheadBy and behindBy
// (and the status GitHub derives from them). Pairs never set answer 404, as unknown refs do on GitHub.
func (s *Server) SetCompare(repo, base, head string, aheadBy, behindBy int) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if aheadBy < 0 || behindBy < 0 {
		s.t.Fatalf("githubfake: SetCompare(%s...%s): ahead %d and behind %d must not be negative", base, head, aheadBy, behindBy)
	}
	s.mustRepo(repo).comparisons[base+"..."+head] = comparison{aheadBy: aheadBy, behindBy: behindBy}
}

// SetCommit adds (or replaces) commit sha of repo: the files it changed and the pull requests it belongs
// to, which must have been added. A commit that belongs to none is a direct push.
func (s *Server) SetCommit(repo, sha string, files []string, prs []int) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	if !fullSHA.MatchString(sha) {
		s.t.Fatalf("githubfake: SetCommit: %q is not a full 40-character lower-case commit SHA", sha)
	}
	for _, n := range prs {
		if r.pulls[n] == nil {
			s.t.Fatalf("githubfake: SetCommit: pull request %s#%d was not added: call AddPullRequest first", repo, n)
		}
	}
	r.commits[sha] = &commit{
		sha: sha, files: append([]string(nil), files...), renamed: map[string]string{},
		pulls: append([]int(nil), prs...), at: now(),
	}
}

// SetCommitRenames marks files of commit sha as renamed: renamed maps each new path, which must be one of
// the commit's files, to its previous path.
func (s *Server) SetCommitRenames(repo, sha string, renamed map[string]string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustRepo(repo).commits[sha]
	if c == nil {
		s.t.Fatalf("githubfake: commit %s of %s was not added: call SetCommit first", sha, repo)
	}
	for file, prev := range renamed {
		if !slices.Contains(c.files, file) {
			s.t.Fatalf("githubfake: SetCommitRenames: %q is not among the files of commit %s", file, sha)
		}
		c.renamed[file] = prev
	}
}
