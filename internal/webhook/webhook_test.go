package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/sqlite"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/webhook"
)

var secret = []byte("webhook-secret-for-tests")

type harness struct {
	h  *webhook.Handler
	st store.Store
}

func newHarness(t testing.TB, policy flow.Policy) *harness {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &harness{st: st, h: &webhook.Handler{Secret: secret, Store: st, Router: &flow.Intake{Policy: policy},
		Log: slog.New(slog.DiscardHandler)}}
}

func (hs *harness) send(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, r)
	return w
}

func (hs *harness) jobs(t testing.TB, delivery string) []store.Job {
	t.Helper()
	jobs, err := hs.st.ListJobs(context.Background(), store.JobFilter{DeliveryID: delivery})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// withInstallation gives a fixture the installation id GitHub adds to every App delivery.
func withInstallation(t testing.TB, body []byte, set map[string]any) []byte {
	if set == nil {
		set = map[string]any{}
	}
	set["installation"] = map[string]any{"id": 4242, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg=="}
	return fixtures.Edit(t, body, set)
}

func TestSignatureIsRequiredAndChecked(t *testing.T) {
	t.Parallel()
	body := withInstallation(t, fixtures.Webhook(t, "pull_request.opened.2"), nil)
	cases := []struct {
		name   string
		mutate func(r *http.Request)
		status int
		says   string
	}{
		{"a correct SHA-256 signature is accepted", func(*http.Request) {}, http.StatusAccepted, "accepted"},
		{"an unsigned delivery is refused", func(r *http.Request) { r.Header.Del("X-Hub-Signature-256") }, 401, "unsigned"},
		{"a SHA-1-only delivery is refused", func(r *http.Request) {
			r.Header.Del("X-Hub-Signature-256")
			r.Header.Set("X-Hub-Signature", "sha1=0123456789abcdef0123456789abcdef01234567")
		}, 401, "SHA-1"},
		{"a signature made with another secret is refused", func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", fixtures.Sign([]byte("other"), body))
		}, 401, "GITHUB_WEBHOOK_SECRET"},
		{"a signature without the sha256= prefix is refused", func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", strings.TrimPrefix(fixtures.Sign(secret, body), "sha256="))
		}, 401, "sha256="},
		{"a signature that is not hex is refused", func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", "sha256=zz")
		}, 401, "hexadecimal"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, flow.Policy{})
			id := fmt.Sprintf("sig-%d", i)
			r := fixtures.Request(secret, "pull_request", id, body)
			c.mutate(r)
			w := hs.send(r)
			if w.Code != c.status || !strings.Contains(w.Body.String(), c.says) {
				t.Fatalf("got %d %q, want %d mentioning %q", w.Code, w.Body.String(), c.status, c.says)
			}
			_, err := hs.st.GetDelivery(context.Background(), id)
			if stored := err == nil; stored != (c.status == http.StatusAccepted) {
				t.Errorf("delivery stored = %v, want stored only when accepted (err %v)", stored, err)
			}
		})
	}
}

func TestTamperedBodyIsRefused(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, flow.Policy{})
	body := withInstallation(t, fixtures.Webhook(t, "pull_request.opened.2"), nil)
	r := fixtures.Request(secret, "pull_request", "tampered", body)
	r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte(`"opened"`), []byte(`"closed"`), 1)))
	if w := hs.send(r); w.Code != http.StatusUnauthorized {
		t.Fatalf("tampered body answered %d, want 401", w.Code)
	}
}

func TestOversizeBodyIsRefusedBeforeAnythingElse(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, flow.Policy{})
	big := bytes.Repeat([]byte("x"), webhook.MaxBody+1)

	// Declared too large: refused without reading, even with no signature at all.
	r := httptest.NewRequest(http.MethodPost, "/webhooks/github", bytes.NewReader(big))
	if w := hs.send(r); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("declared oversize body: %d, want 413", w.Code)
	}
	// Sent without a length (chunked): refused once the limit is passed while reading.
	r = httptest.NewRequest(http.MethodPost, "/webhooks/github", io.MultiReader(bytes.NewReader(big)))
	r.ContentLength = -1
	if w := hs.send(r); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked oversize body: %d, want 413", w.Code)
	}
	// Exactly at the limit is still read (and then judged on its signature).
	r = fixtures.Request(secret, "ping", "at-limit", big[:webhook.MaxBody])
	if w := hs.send(r); w.Code == http.StatusRequestEntityTooLarge {
		t.Errorf("a body of exactly %d bytes was refused as too large", webhook.MaxBody)
	}
}

func TestMalformedDeliveriesAreBadRequests(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, flow.Policy{})
	cases := map[string]*http.Request{
		"broken JSON":          fixtures.Request(secret, "pull_request", "m1", []byte(`{"action": "opened",`)),
		"JSON of a wrong type": fixtures.Request(secret, "pull_request", "m2", []byte(`{"action": "opened", "pull_request": {"number": "two"}, "installation": {"id": 1}}`)),
		"no event header": func() *http.Request {
			r := fixtures.Request(secret, "ping", "m3", fixtures.Webhook(t, "ping.event.1"))
			r.Header.Del("X-GitHub-Event")
			return r
		}(),
		"no delivery header": func() *http.Request {
			r := fixtures.Request(secret, "ping", "", fixtures.Webhook(t, "ping.event.1"))
			return r
		}(),
	}
	for name, r := range cases {
		if w := hs.send(r); w.Code != http.StatusBadRequest {
			t.Errorf("%s: %d %q, want 400", name, w.Code, w.Body.String())
		}
	}
	if n := len(hs.jobs(t, "")); n != 0 {
		t.Errorf("%d jobs queued from malformed deliveries, want 0", n)
	}
}

func TestTheSameDeliveryTwiceMakesWorkOnce(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, flow.Policy{})
	body := withInstallation(t, fixtures.Webhook(t, "pull_request.opened.2"), nil)
	first := hs.send(fixtures.Request(secret, "pull_request", "72d3162e-cc78-11e3-81ab-4c9367dc0958", body))
	again := hs.send(fixtures.Request(secret, "pull_request", "72d3162e-cc78-11e3-81ab-4c9367dc0958", body))
	if first.Code != http.StatusAccepted {
		t.Fatalf("first delivery: %d %s", first.Code, first.Body)
	}
	if again.Code != http.StatusOK || !strings.Contains(again.Body.String(), "already received") {
		t.Errorf("redelivery: %d %q, want 200 saying it was already received", again.Code, again.Body)
	}
	all, _ := hs.st.ListJobs(context.Background(), store.JobFilter{})
	if len(all) != 1 {
		t.Errorf("%d jobs after a redelivery, want 1", len(all))
	}
}

func TestDeliveryAndJobsAreStoredBeforeTheAnswer(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, flow.Policy{})
	body := withInstallation(t, fixtures.Webhook(t, "pull_request.opened.2"), nil)
	w := hs.send(fixtures.Request(secret, "pull_request", "d-1", body))
	if w.Code != http.StatusAccepted {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	d, err := hs.st.GetDelivery(context.Background(), "d-1")
	if err != nil {
		t.Fatalf("delivery not stored when 202 was sent: %v", err)
	}
	if d.Event != "pull_request" || d.Action != "opened" || d.Repo != "Codertocat/Hello-World" || d.InstallationID != 4242 || !bytes.Equal(d.Payload, body) {
		t.Errorf("stored delivery %+v (payload %d bytes) does not match what GitHub sent", d, len(d.Payload))
	}
	if jobs := hs.jobs(t, "d-1"); len(jobs) != 1 || jobs[0].State != store.Queued {
		t.Errorf("jobs %+v, want one queued job", jobs)
	}
}

func TestEventsBecomeJobs(t *testing.T) {
	t.Parallel()
	pr := func(t testing.TB, name string, set map[string]any) []byte {
		return withInstallation(t, fixtures.Webhook(t, name), set)
	}
	comment := func(t testing.TB, body string, set map[string]any) []byte {
		if set == nil {
			set = map[string]any{}
		}
		set["comment.body"] = body
		if _, ok := set["issue.pull_request"]; !ok {
			set["issue.pull_request"] = map[string]any{"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1"}
		}
		return withInstallation(t, fixtures.Webhook(t, "issue_comment.created.1"), set)
	}
	type want struct {
		kind string
		spec map[string]any // fields of the spec that must have these values
	}
	cases := []struct {
		name   string
		event  string
		body   func(t testing.TB) []byte
		policy flow.Policy
		want   []want
	}{
		{"an opened pull request is planned at its head commit", "pull_request",
			func(t testing.TB) []byte { return pr(t, "pull_request.opened.2", nil) }, flow.Policy{},
			[]want{{flow.KindPullRequest, map[string]any{"number": 2.0, "action": "opened", "head_sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821"}}}},
		{"a push to a pull request is planned", "pull_request",
			func(t testing.TB) []byte { return pr(t, "pull_request.synchronize.1", nil) }, flow.Policy{},
			[]want{{flow.KindPullRequest, map[string]any{"action": "synchronize"}}}},
		{"a draft is not planned", "pull_request",
			func(t testing.TB) []byte {
				return pr(t, "pull_request.opened.2", map[string]any{"pull_request.draft": true})
			}, flow.Policy{}, nil},
		{"a draft marked ready is planned", "pull_request",
			func(t testing.TB) []byte { return pr(t, "pull_request.ready_for_review.1", nil) }, flow.Policy{},
			[]want{{flow.KindPullRequest, map[string]any{"action": "ready_for_review"}}}},
		{"a label changes nothing", "pull_request",
			func(t testing.TB) []byte { return pr(t, "pull_request.labeled.1", nil) }, flow.Policy{}, nil},
		{"a pull request from a fork gets a note instead of a plan", "pull_request",
			func(t testing.TB) []byte {
				return pr(t, "pull_request.opened.2", map[string]any{"pull_request.head.repo.full_name": "mallory/Hello-World"})
			}, flow.Policy{},
			[]want{{flow.KindForkNote, map[string]any{"head_repo": "mallory/Hello-World"}}}},
		{"a pull request from a fork is planned when the server allows it", "pull_request",
			func(t testing.TB) []byte {
				return pr(t, "pull_request.opened.2", map[string]any{"pull_request.head.repo.full_name": "mallory/Hello-World"})
			}, flow.Policy{AllowForkPRs: true},
			[]want{{flow.KindPullRequest, nil}}},
		{"a repository outside the allowlist makes no work", "pull_request",
			func(t testing.TB) []byte { return pr(t, "pull_request.opened.2", nil) },
			flow.Policy{RepoAllowed: func(string) bool { return false }}, nil},
		{"a merged pull request is closed at its merge commit", "pull_request",
			func(t testing.TB) []byte {
				return pr(t, "pull_request.closed.1", map[string]any{"pull_request.merged": true, "pull_request.merge_commit_sha": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"})
			}, flow.Policy{},
			[]want{{flow.KindPullRequestClosed, map[string]any{"merged": true, "merge_sha": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"}}}},
		{"a plan command on a pull request is queued parsed", "issue_comment",
			func(t testing.TB) []byte { return comment(t, "/plan -p production", nil) }, flow.Policy{},
			[]want{{flow.KindCommand, map[string]any{"number": 1.0, "author": "Codertocat",
				"command": map[string]any{"name": "plan", "projects": []any{"production"}}}}}},
		{"a malformed command is queued for a usage reply", "issue_comment",
			func(t testing.TB) []byte { return comment(t, "/plan --bogus", nil) }, flow.Policy{},
			[]want{{flow.KindCommand, nil}}},
		{"an ordinary comment makes no work", "issue_comment",
			func(t testing.TB) []byte { return comment(t, "Looks good to me", nil) }, flow.Policy{}, nil},
		{"a command on an issue, not a pull request, makes no work", "issue_comment",
			func(t testing.TB) []byte { return comment(t, "/plan", map[string]any{"issue.pull_request": nil}) }, flow.Policy{}, nil},
		{"a bot's comment makes no work, gantry's own included", "issue_comment",
			func(t testing.TB) []byte {
				return comment(t, "/plan", map[string]any{"comment.user.type": "Bot", "comment.user.login": "gantry[bot]", "sender.type": "Bot", "sender.login": "gantry[bot]"})
			}, flow.Policy{}, nil},
		{"an edited comment makes no work", "issue_comment",
			func(t testing.TB) []byte {
				return withInstallation(t, fixtures.Webhook(t, "issue_comment.edited.1"), map[string]any{"comment.body": "/apply", "issue.pull_request": map[string]any{"url": "x"}})
			}, flow.Policy{}, nil},
		{"a deleted comment makes no work", "issue_comment",
			func(t testing.TB) []byte {
				return withInstallation(t, fixtures.Webhook(t, "issue_comment.deleted.1"), map[string]any{"comment.body": "/apply", "issue.pull_request": map[string]any{"url": "x"}})
			}, flow.Policy{}, nil},
		{"an installation is recorded", "installation",
			func(t testing.TB) []byte { return fixtures.Webhook(t, "installation.created.1") }, flow.Policy{},
			[]want{{flow.KindInstallation, map[string]any{"action": "created", "id": 957387.0, "account": "Codertocat"}}}},
		{"repositories added to an installation are recorded", "installation_repositories",
			func(t testing.TB) []byte { return fixtures.Webhook(t, "installation_repositories.added.1") }, flow.Policy{},
			[]want{{flow.KindInstallation, nil}}},
		{"a ping is answered and makes no work", "ping",
			func(t testing.TB) []byte { return fixtures.Webhook(t, "ping.event.1") }, flow.Policy{}, nil},
		{"a check run event is acknowledged and ignored", "check_run",
			func(t testing.TB) []byte { return fixtures.Webhook(t, "check_run.completed.1") }, flow.Policy{}, nil},
		{"a workflow job event is acknowledged and ignored", "workflow_job",
			func(t testing.TB) []byte { return fixtures.Webhook(t, "workflow_job.completed.1") }, flow.Policy{}, nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, c.policy)
			id := fmt.Sprintf("delivery-%d", i)
			w := hs.send(fixtures.Request(secret, c.event, id, c.body(t)))
			if w.Code != http.StatusAccepted {
				t.Fatalf("answered %d %q, want 202", w.Code, w.Body)
			}
			jobs := hs.jobs(t, id)
			if len(jobs) != len(c.want) {
				t.Fatalf("%d jobs %+v, want %d", len(jobs), jobs, len(c.want))
			}
			for k, wj := range c.want {
				if jobs[k].Kind != wj.kind {
					t.Errorf("job %d kind %q, want %q", k, jobs[k].Kind, wj.kind)
				}
				var spec map[string]any
				if err := json.Unmarshal(jobs[k].Spec, &spec); err != nil {
					t.Fatal(err)
				}
				for field, v := range wj.spec {
					if !matches(spec[field], v) {
						t.Errorf("spec %s = %#v, want %#v", field, spec[field], v)
					}
				}
			}
		})
	}
}

// matches reports whether got has every field of want (recursively for objects).
func matches(got, want any) bool {
	wm, ok := want.(map[string]any)
	if !ok {
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		return bytes.Equal(gb, wb)
	}
	gm, ok := got.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range wm {
		if !matches(gm[k], v) {
			return false
		}
	}
	return true
}

type failingStore struct{ store.Store }

func (failingStore) RecordDelivery(context.Context, store.Delivery, []store.NewJob) (bool, error) {
	return false, errors.New("disk I/O error")
}

func TestAStoreFailureAsksGitHubToRedeliver(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, flow.Policy{})
	hs.h.Store = failingStore{hs.st}
	body := withInstallation(t, fixtures.Webhook(t, "pull_request.opened.2"), nil)
	w := hs.send(fixtures.Request(secret, "pull_request", "d", body))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "redeliver") {
		t.Errorf("store failure answered %d %q, want 503 saying GitHub can redeliver", w.Code, w.Body)
	}
}
