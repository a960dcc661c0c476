package githubfake

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// The builders below produce GitHub's REST shapes: the field names, types and nullability of
// api.github.com, including every field the OpenAPI description marks required (the conformance test
// checks them against it). API URLs point at the fake; web URLs at github.com.

type object = map[string]any

const webURL = "https://github.com/"

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func tsOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

func nodeID(prefix string, id int64) string {
	return prefix + "_kwDO" + base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprint(id)))
}

// escapePath escapes each segment of a slash-separated path.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func (s *Server) userJSON(login, userType string) object {
	id := s.stableID("user:" + strings.ToLower(login))
	api := s.URL() + "users/" + url.PathEscape(login)
	html := webURL + url.PathEscape(login)
	prefix := "U"
	if userType == "Bot" {
		html = webURL + "apps/" + url.PathEscape(strings.TrimSuffix(login, "[bot]"))
		prefix = "BOT"
	}
	return object{
		"login": login, "id": id, "node_id": nodeID(prefix, id),
		"avatar_url":  fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id),
		"gravatar_id": "", "url": api, "html_url": html,
		"followers_url": api + "/followers", "following_url": api + "/following{/other_user}",
		"gists_url": api + "/gists{/gist_id}", "starred_url": api + "/starred{/owner}{/repo}",
		"subscriptions_url": api + "/subscriptions", "organizations_url": api + "/orgs",
		"repos_url": api + "/repos", "events_url": api + "/events{/privacy}",
		"received_events_url": api + "/received_events", "type": userType, "site_admin": false,
		"user_view_type": "public",
	}
}

func (s *Server) botJSON() object { return s.userJSON(s.BotLogin(), "Bot") }

func (s *Server) appJSON() object {
	id := s.appID
	created := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	return object{
		"id": id, "slug": s.slug, "client_id": "Iv1." + fmt.Sprintf("%016x", id), "node_id": nodeID("A", id),
		"owner": s.userJSON("classla", "Organization"), "name": s.slug,
		"description":  "Plans, applies and deploys infrastructure from pull requests.",
		"external_url": "https://gantry.example.com", "html_url": webURL + "apps/" + s.slug,
		"created_at": ts(created), "updated_at": ts(created), "permissions": appPermissions,
		"events": []string{"check_run", "issue_comment", "pull_request", "push"}, "installations_count": 1,
	}
}

func visibility(public bool) string {
	if public {
		return "public"
	}
	return "private"
}

// repoJSON describes a repository; full names not added with AddRepo (fork heads) get a stand-in.
func (s *Server) repoJSON(fullName string) object {
	r := s.repo(fullName)
	if r == nil {
		owner, name, _ := strings.Cut(fullName, "/")
		t := now()
		r = &repoState{id: s.stableID("repo:" + strings.ToLower(fullName)), owner: owner, name: name,
			defaultBranch: "main", createdAt: t, updatedAt: t}
	}
	api := s.URL() + "repos/" + r.fullName()
	html := webURL + r.fullName()
	o := object{
		"id": r.id, "node_id": nodeID("R", r.id), "name": r.name, "full_name": r.fullName(), "private": !r.public,
		"owner": s.userJSON(r.owner, "Organization"), "html_url": html, "description": nil, "fork": false,
		"url": api, "git_url": "git://github.com/" + r.fullName() + ".git", "ssh_url": "git@github.com:" + r.fullName() + ".git",
		"clone_url": html + ".git", "svn_url": html, "mirror_url": nil, "homepage": nil, "language": "HCL",
		"forks_count": 0, "forks": 0, "stargazers_count": 0, "watchers_count": 0, "watchers": 0, "size": 0,
		"default_branch": r.defaultBranch, "open_issues_count": len(r.pulls), "open_issues": len(r.pulls),
		"has_issues": true, "has_projects": true, "has_wiki": false, "has_pages": false, "has_downloads": true,
		"has_discussions": false, "archived": false, "disabled": false, "visibility": visibility(r.public), "license": nil,
		"topics": []string{}, "is_template": false, "allow_forking": true, "web_commit_signoff_required": false,
		"pushed_at": ts(r.updatedAt), "created_at": ts(r.createdAt), "updated_at": ts(r.updatedAt),
	}
	for field, suffix := range map[string]string{
		"archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}",
		"blobs_url": "/git/blobs{/sha}", "branches_url": "/branches{/branch}",
		"collaborators_url": "/collaborators{/collaborator}", "comments_url": "/comments{/number}",
		"commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}",
		"contents_url": "/contents/{+path}", "contributors_url": "/contributors", "deployments_url": "/deployments",
		"downloads_url": "/downloads", "events_url": "/events", "forks_url": "/forks",
		"git_commits_url": "/git/commits{/sha}", "git_refs_url": "/git/refs{/sha}", "git_tags_url": "/git/tags{/sha}",
		"hooks_url": "/hooks", "issue_comment_url": "/issues/comments{/number}",
		"issue_events_url": "/issues/events{/number}", "issues_url": "/issues{/number}", "keys_url": "/keys{/key_id}",
		"labels_url": "/labels{/name}", "languages_url": "/languages", "merges_url": "/merges",
		"milestones_url": "/milestones{/number}", "notifications_url": "/notifications{?since,all,participating}",
		"pulls_url": "/pulls{/number}", "releases_url": "/releases{/id}", "stargazers_url": "/stargazers",
		"statuses_url": "/statuses/{sha}", "subscribers_url": "/subscribers", "subscription_url": "/subscription",
		"tags_url": "/tags", "teams_url": "/teams", "trees_url": "/git/trees{/sha}",
	} {
		o[field] = api + suffix
	}
	return o
}

func (s *Server) commentJSON(c *commentState) object {
	api := s.URL() + "repos/" + c.repo.fullName()
	o := object{
		"id": c.ID, "node_id": nodeID("IC", c.ID), "url": fmt.Sprintf("%s/issues/comments/%d", api, c.ID),
		"html_url":  fmt.Sprintf("%s%s/pull/%d#issuecomment-%d", webURL, c.repo.fullName(), c.issue, c.ID),
		"issue_url": fmt.Sprintf("%s/issues/%d", api, c.issue), "body": c.Body,
		"user": s.userJSON(c.User, c.UserType), "created_at": ts(c.CreatedAt), "updated_at": ts(c.UpdatedAt),
		"author_association": "NONE", "performed_via_github_app": nil,
	}
	if c.UserType == "Bot" {
		o["performed_via_github_app"] = s.appJSON()
	} else if _, ok := c.repo.roles[strings.ToLower(c.User)]; ok {
		o["author_association"] = "COLLABORATOR"
	}
	return o
}

func (s *Server) checkRunJSON(r *repoState, c *CheckRun) object {
	api := fmt.Sprintf("%srepos/%s/check-runs/%d", s.URL(), r.fullName(), c.ID)
	html := fmt.Sprintf("%s%s/runs/%d", webURL, r.fullName(), c.ID)
	details := c.DetailsURL
	if details == "" {
		details = html
	}
	var conclusion any
	if c.Conclusion != "" {
		conclusion = c.Conclusion
	}
	pulls := []any{}
	for _, n := range sortedPulls(r) {
		if p := r.pulls[n]; p.HeadSHA == c.HeadSHA && p.State == "open" {
			pulls = append(pulls, s.checkRunPullJSON(r, p))
		}
	}
	return object{
		"id": c.ID, "name": c.Name, "node_id": nodeID("CR", c.ID), "head_sha": c.HeadSHA,
		"external_id": c.ExternalID, "url": api, "html_url": html, "details_url": details,
		"status": c.Status, "conclusion": conclusion,
		"started_at": tsOrNil(c.StartedAt), "completed_at": tsOrNil(c.CompletedAt),
		"output": object{
			"title": nilIfEmpty(c.Title), "summary": nilIfEmpty(c.Summary), "text": nilIfEmpty(c.Text),
			"annotations_count": 0, "annotations_url": api + "/annotations",
		},
		"check_suite":   object{"id": s.stableID("suite:" + r.fullName() + "@" + c.HeadSHA)},
		"app":           s.appJSON(),
		"pull_requests": pulls,
	}
}

func (s *Server) checkRunPullJSON(r *repoState, p *PR) object {
	ref := func(branch, sha, repo string) object {
		return object{"ref": branch, "sha": sha, "repo": object{
			"id": s.stableID("repo:" + strings.ToLower(repo)), "url": s.URL() + "repos/" + repo, "name": path2name(repo),
		}}
	}
	return object{
		"url": fmt.Sprintf("%srepos/%s/pulls/%d", s.URL(), r.fullName(), p.Number),
		"id":  s.stableID(fmt.Sprintf("pull:%s#%d", r.fullName(), p.Number)), "number": p.Number,
		"head": ref(p.HeadRef, p.HeadSHA, p.HeadRepo),
		"base": ref(p.BaseRef, fakeSHA(r.fullName()+"@"+p.BaseRef), r.fullName()),
	}
}

func path2name(fullName string) string {
	_, name, _ := strings.Cut(fullName, "/")
	return name
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
