package render

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Locked is a project whose plan could not run because another pull request holds the
// project's lock (project + workspace).
type Locked struct {
	Project   string
	Dir       string
	Workspace string
	// Commit is the commit that would have been planned.
	Commit string
	// HolderPR is the number of the pull request holding the lock; 0 when unknown.
	HolderPR int
	// HolderURL is that pull request's page; may be empty.
	HolderURL string
	// HolderUser is the GitHub login whose action took the lock; may be empty.
	HolderUser string
	// Since is when the lock was taken; zero leaves it out.
	Since time.Time
}

// statusView is a short comment in the place of a project's plan: a header like the
// plan's, one status line, and what to do.
type statusView struct {
	Marker string
	Title  string
	Facts  string
	Status string
	Next   string
}

// LockedMarkdown renders the project's comment when another pull request holds its lock.
// It carries the plan comment's marker, so the plan replaces it once the lock is free.
func LockedMarkdown(l Locked) (string, error) {
	v := statusView{
		Marker: Marker(l.Project),
		Title:  "### 🔒 " + code(l.Project) + " — plan",
		Facts:  facts(PlanComment{Dir: l.Dir, Workspace: l.Workspace}, code),
		Status: lockedLine(l),
		Next:   "Nothing was planned. " + lockedNext(l),
	}
	if sha := shortCommit(l.Commit); sha != "" {
		v.Title += " for " + code(sha)
	}
	v.Title += " is blocked"
	return execute("status.md.tmpl", v)
}

// lockedLine is "🔒 `production` is locked by #12 (@alice) since 2025-03-10 14:05 UTC."
func lockedLine(l Locked) string {
	line := "🔒 " + code(l.Project)
	if ws := strings.TrimSpace(l.Workspace); ws != "" && ws != "default" {
		line += " (workspace " + code(ws) + ")"
	}
	line += " is locked by " + holderRef(l)
	if who := mention(l.HolderUser); who != "" {
		line += " (" + who + ")"
	}
	if !l.Since.IsZero() {
		line += " since " + l.Since.UTC().Format("2006-01-02 15:04 MST")
	}
	return line + "."
}

// lockedNext says how the lock gets freed and how to plan afterwards.
func lockedNext(l Locked) string {
	holder := "the pull request holding it"
	if l.HolderPR > 0 {
		holder = holderRef(l)
	}
	return "Wait for " + holder + " to be merged or closed, or ask for " + code("/unlock -p "+l.Project) +
		" there; then comment " + code("/plan -p "+l.Project) + "."
}

// holderRef names the pull request holding the lock: a link when its address is known and
// safe to put in a Markdown link (check-run pages do not link "#12" by themselves).
func holderRef(l Locked) string {
	if l.HolderPR <= 0 {
		return "another pull request"
	}
	ref := "#" + strconv.Itoa(l.HolderPR)
	if safeURL(l.HolderURL) {
		return "[" + ref + "](" + l.HolderURL + ")"
	}
	return ref
}

// login is a GitHub user name: letters, digits and single hyphens, at most 39 characters.
var login = regexp.MustCompile(`^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$`)

// mention is "@alice" for a GitHub login; anything else is quoted as code, so a name from
// outside can neither mention someone else nor inject Markdown.
func mention(user string) string {
	user = strings.TrimSpace(user)
	switch {
	case user == "":
		return ""
	case login.MatchString(user):
		return "@" + user
	default:
		return code(user)
	}
}

// safeURL accepts an absolute https address that cannot end a Markdown link early or carry
// HTML: no spaces, brackets, parentheses, angle brackets, quotes or backticks.
func safeURL(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n()[]<>\"'`\\") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != ""
}
