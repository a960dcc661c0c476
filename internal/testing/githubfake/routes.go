package githubfake

import (
	"net/url"
	"strings"
)

type authKind int

const (
	authNone         authKind = iota // download hosts: the URL itself is the credential
	authApp                          // the App's JWT
	authInstallation                 // an installation token the fake minted
)

type route struct {
	method string
	path   string // OpenAPI path template; a final {path}, {ref} or {basehead} takes the rest of the path, slashes included
	auth   authKind
	api    bool // part of the REST API, so described in GitHub's OpenAPI description
	handle func(*Server, *call)
}

// routeTable is every endpoint the fake serves; anything else fails the test.
var routeTable = []route{
	{"GET", "/app", authApp, true, (*Server).getApp},
	{"POST", "/app/installations/{installation_id}/access_tokens", authApp, true, (*Server).createToken},

	{"GET", "/repos/{owner}/{repo}", authInstallation, true, (*Server).getRepository},

	{"GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments", authInstallation, true, (*Server).listComments},
	{"POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", authInstallation, true, (*Server).createComment},
	{"PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}", authInstallation, true, (*Server).updateComment},
	{"DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}", authInstallation, true, (*Server).deleteComment},

	{"POST", "/repos/{owner}/{repo}/check-runs", authInstallation, true, (*Server).createCheckRun},
	{"PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", authInstallation, true, (*Server).updateCheckRun},

	{"GET", "/repos/{owner}/{repo}/pulls/{pull_number}", authInstallation, true, (*Server).getPull},
	{"GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files", authInstallation, true, (*Server).listPullFiles},
	{"GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", authInstallation, true, (*Server).listReviews},

	// The pulls route comes first: {ref} takes the rest of the path, so it would also match "SHA/pulls".
	{"GET", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls", authInstallation, true, (*Server).listCommitPulls},
	{"GET", "/repos/{owner}/{repo}/commits/{ref}", authInstallation, true, (*Server).getCommit},
	{"GET", "/repos/{owner}/{repo}/compare/{basehead}", authInstallation, true, (*Server).compare},

	{"GET", "/repos/{owner}/{repo}/contents/{path}", authInstallation, true, (*Server).getContents},
	{"GET", "/repos/{owner}/{repo}/tarball/{ref}", authInstallation, true, (*Server).getTarball},
	{"GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", authInstallation, true, (*Server).getPermission},

	{"POST", "/repos/{owner}/{repo}/deployments", authInstallation, true, (*Server).createDeployment},
	{"POST", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", authInstallation, true, (*Server).createDeploymentStatus},

	{"POST", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", authInstallation, true, (*Server).createWorkflowDispatch},

	// Download hosts (codeload.github.com, raw.githubusercontent.com), served on the same server.
	{"GET", "/_codeload/{owner}/{repo}/legacy.tar.gz/{ref}", authNone, false, (*Server).codeload},
	{"GET", "/_raw/{owner}/{repo}/{branch}/{path}", authNone, false, (*Server).rawFile},
}

// Route is one endpoint the fake serves.
type Route struct {
	Method string
	Path   string // OpenAPI path template
	API    bool   // false for the stand-ins of download hosts, which are not part of the REST API
}

// Routes lists every endpoint the fake serves.
func Routes() []Route {
	out := make([]Route, len(routeTable))
	for i, r := range routeTable {
		out[i] = Route{Method: r.method, Path: r.path, API: r.api}
	}
	return out
}

// matchRoute finds the route for a request and its unescaped path parameters.
func matchRoute(method, escapedPath string) (*route, map[string]string) {
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	for i := range routeTable {
		rt := &routeTable[i]
		if rt.method != method {
			continue
		}
		if params, ok := matchTemplate(rt.path, segs); ok {
			return rt, params
		}
	}
	return nil, nil
}

func matchTemplate(template string, segs []string) (map[string]string, bool) {
	tsegs := strings.Split(strings.TrimPrefix(template, "/"), "/")
	params := map[string]string{}
	for i, t := range tsegs {
		if i >= len(segs) {
			return nil, false
		}
		name, isParam := strings.CutPrefix(t, "{")
		if !isParam {
			if t != segs[i] {
				return nil, false
			}
			continue
		}
		name = strings.TrimSuffix(name, "}")
		value := segs[i]
		if i == len(tsegs)-1 && (name == "path" || name == "ref" || name == "basehead") {
			value = strings.Join(segs[i:], "/")
		}
		unescaped, err := url.PathUnescape(value)
		if err != nil || unescaped == "" {
			return nil, false
		}
		params[name] = unescaped
		if value != segs[i] {
			return params, true
		}
	}
	return params, len(tsegs) == len(segs)
}
