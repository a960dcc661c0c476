package render

import (
	"strings"
	"testing"
	"time"
)

// lockedByAlice is the lock of the SPEC's example: #12 by alice, taken at 15:05 in Paris,
// which is 14:05 UTC in March.
func lockedByAlice(t *testing.T) Locked {
	t.Helper()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	return Locked{
		Project:    "production",
		Dir:        "terraform/envs/production",
		Workspace:  "default",
		Commit:     "abc1234def5678",
		HolderPR:   12,
		HolderURL:  "https://github.com/classla/lms/pull/12",
		HolderUser: "alice",
		Since:      time.Date(2025, 3, 10, 15, 5, 0, 0, paris),
	}
}

func TestGoldenStatusComments(t *testing.T) {
	t.Parallel()
	locked, err := LockedMarkdown(lockedByAlice(t))
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "locked.md", locked)
}

func TestStatusCommentsReplaceThePlanComment(t *testing.T) {
	t.Parallel()
	locked, err := LockedMarkdown(Locked{Project: "web.api", HolderPR: 3})
	if err != nil {
		t.Fatal(err)
	}
	// The plan comment is found again by this marker, so the locked comment must start with it.
	if !strings.HasPrefix(locked, "<!-- gantry:project=web.api -->\n") {
		t.Errorf("the locked comment does not start with the plan comment's marker:\n%s", locked)
	}
}

func TestLockedLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Locked)
		want string
	}{
		{
			name: "a lock with everything known names the PR, its author and the time in UTC",
			edit: func(*Locked) {},
			want: "🔒 `production` is locked by [#12](https://github.com/classla/lms/pull/12) (@alice) since 2025-03-10 14:05 UTC.",
		},
		{
			name: "a lock without an address or a time still names the PR",
			edit: func(l *Locked) { l.HolderURL, l.Since = "", time.Time{} },
			want: "🔒 `production` is locked by #12 (@alice).",
		},
		{
			name: "an address that could break the link is left out",
			edit: func(l *Locked) { l.HolderURL, l.Since = "https://x.example/a)[b](javascript:alert(1)", time.Time{} },
			want: "🔒 `production` is locked by #12 (@alice).",
		},
		{
			name: "an address that is not https is left out",
			edit: func(l *Locked) { l.HolderURL, l.Since = "javascript:alert(1)", time.Time{} },
			want: "🔒 `production` is locked by #12 (@alice).",
		},
		{
			name: "a user name that is not a login is quoted instead of mentioned",
			edit: func(l *Locked) { l.HolderURL, l.Since, l.HolderUser = "", time.Time{}, "bob @carol **x**" },
			want: "🔒 `production` is locked by #12 (`bob @carol **x**`).",
		},
		{
			name: "an unknown holder is another pull request",
			edit: func(l *Locked) { l.HolderPR, l.HolderURL, l.HolderUser, l.Since = 0, "", "", time.Time{} },
			want: "🔒 `production` is locked by another pull request.",
		},
		{
			name: "a workspace other than default is named, since the lock is per workspace",
			edit: func(l *Locked) { l.Workspace, l.HolderURL, l.Since = "staging", "", time.Time{} },
			want: "🔒 `production` (workspace `staging`) is locked by #12 (@alice).",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := lockedByAlice(t)
			tt.edit(&l)
			md, err := LockedMarkdown(l)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(md, "\n"+tt.want+"\n") {
				t.Errorf("no line %q in:\n%s", tt.want, md)
			}
		})
	}
}

func TestLockedCommentSaysWhatToDo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		l    Locked
		want string
	}{
		{
			name: "a known holder is the PR to wait for or unlock",
			l:    Locked{Project: "production", HolderPR: 12},
			want: "Nothing was planned. Wait for #12 to be merged or closed, or ask for `/unlock -p production` there; then comment `/plan -p production`.",
		},
		{
			name: "an unknown holder is described",
			l:    Locked{Project: "production"},
			want: "Nothing was planned. Wait for the pull request holding it to be merged or closed, or ask for `/unlock -p production` there; then comment `/plan -p production`.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			md, err := LockedMarkdown(tt.l)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(md, "\n\n"+tt.want+"\n") {
				t.Errorf("the comment does not end with %q:\n%s", tt.want, md)
			}
		})
	}
}
