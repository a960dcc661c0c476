package webhook_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/webhook"
)

// readLog counts the body bytes each delivery's handler has read, so a test knows when the
// server has taken in what a stalled client sent.
type readLog struct {
	mu   sync.Mutex
	read map[string]int
}

func (l *readLog) serve(h http.Handler) *httptest.Server {
	l.read = map[string]int{}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &countedBody{ReadCloser: r.Body, log: l, id: r.Header.Get("X-GitHub-Delivery")}
		h.ServeHTTP(w, r)
	}))
}

type countedBody struct {
	io.ReadCloser
	log *readLog
	id  string
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.log.mu.Lock()
	b.log.read[b.id] += n
	b.log.mu.Unlock()
	return n, err
}

// waitRead waits until the handlers of the deliveries ids have each read at least n bytes.
func (l *readLog) waitRead(t *testing.T, n int, ids ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l.mu.Lock()
		done := 0
		for _, id := range ids {
			if l.read[id] >= n {
				done++
			}
		}
		l.mu.Unlock()
		if done == len(ids) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10s, %d of %d handlers had read %d body bytes", done, len(ids), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stall opens a connection to srv that sends a delivery's headers declaring a body of
// declared bytes, sends sent of them, and then sends nothing more.
func stall(t *testing.T, srv *httptest.Server, id string, declared int, sent []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	head := "POST /webhooks/github HTTP/1.1\r\nHost: gantry\r\nContent-Type: application/json\r\n" +
		"X-GitHub-Event: ping\r\nX-GitHub-Delivery: " + id + "\r\n" +
		"X-Hub-Signature-256: sha256=" + strings.Repeat("00", 32) + "\r\n" +
		fmt.Sprintf("Content-Length: %d\r\n\r\n", declared)
	if _, err := c.Write(append([]byte(head), sent...)); err != nil {
		t.Fatal(err)
	}
	return c
}

// answered returns how many of conns the server has answered (or closed) within 50ms.
func answered(conns ...net.Conn) int {
	deadline := time.Now().Add(50 * time.Millisecond)
	n := 0
	for _, c := range conns {
		_ = c.SetReadDeadline(deadline)
		_, err := c.Read(make([]byte, 1))
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			n++
		}
		_ = c.SetReadDeadline(time.Time{})
	}
	return n
}

// delivery is what the server answered a delivery.
type delivery struct {
	status     int
	retryAfter string
	msg        string
	err        error
}

// deliver posts a signed delivery to srv as GitHub would.
func deliver(srv *httptest.Server, event, id string, body []byte) delivery {
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/github", bytes.NewReader(body))
	if err != nil {
		return delivery{err: err}
	}
	req.Header = fixtures.Request(secret, event, id, body).Header
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		return delivery{err: err}
	}
	defer resp.Body.Close()
	msg, err := io.ReadAll(io.LimitReader(resp.Body, 200)) // enough to say why; a ping echoes its zen
	return delivery{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), msg: string(msg), err: err}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Not parallel: it measures the heap of the whole test process.
func TestStrangersDeclaringHugeBodiesCannotExhaustMemory(t *testing.T) {
	hs := newHarness(t, flow.Policy{})
	hs.h.MaxUnverified = 4 // fewer than the stalled clients, so they must not need a slot
	var reads readLog
	srv := reads.serve(hs.h)
	t.Cleanup(srv.Close) // runs after the stalled connections close, so it does not wait on them
	before := heapInUse()

	const clients = 40
	conns := make([]net.Conn, clients)
	ids := make([]string, clients)
	for i := range conns {
		ids[i] = fmt.Sprintf("stalled-%d", i)
		conns[i] = stall(t, srv, ids[i], webhook.MaxBody, []byte("{"))
	}
	reads.waitRead(t, 1, ids...)
	grown := int64(heapInUse()) - int64(before)
	t.Logf("heap grew by %.1f MiB with %d clients each declaring %d MiB and sending 1 byte",
		float64(grown)/(1<<20), clients, webhook.MaxBody>>20)
	if grown > 100<<20 {
		t.Errorf("heap grew by %d MiB, want < 100 MiB: body memory follows the declared length, not the bytes sent", grown>>20)
	}

	body := withInstallation(t, fixtures.Webhook(t, "pull_request.opened.2"), nil)
	start := time.Now()
	if a := deliver(srv, "pull_request", "honest", body); a.err != nil || a.status != http.StatusAccepted {
		t.Fatalf("GitHub's delivery while %d clients stall: %d %q %v, want 202", clients, a.status, a.msg, a.err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("GitHub's delivery took %s while %d clients stall; GitHub gives up after 10s", took, clients)
	}
	if jobs := hs.jobs(t, "honest"); len(jobs) != 1 {
		t.Errorf("%d jobs stored for GitHub's delivery, want 1", len(jobs))
	}
	if n := answered(conns...); n > 0 {
		t.Errorf("%d stalled clients were answered; the test meant them to hold their connections open", n)
	}
}

func TestClientsStallingLargeBodiesCannotCrowdOutDeliveries(t *testing.T) {
	t.Parallel()
	large := withInstallation(t, fixtures.Webhook(t, "ping.event.1"),
		map[string]any{"zen": strings.Repeat("Keep it logically awesome. ", 2*webhook.SmallBody/27)})
	small := withInstallation(t, fixtures.Webhook(t, "pull_request.opened.2"), nil)
	if len(large) <= 2*webhook.SmallBody || len(small) >= webhook.SmallBody {
		t.Fatalf("fixture sizes %d and %d do not straddle SmallBody (%d)", len(large), len(small), webhook.SmallBody)
	}
	// holdEverySlot fills both slots of a handler with clients that send more than SmallBody
	// of a 1 MiB body and stall.
	holdEverySlot := func(t *testing.T, slotWait time.Duration) (*harness, *httptest.Server, []net.Conn) {
		hs := newHarness(t, flow.Policy{})
		hs.h.MaxUnverified = 2
		hs.h.SlotWait = slotWait
		var reads readLog
		srv := reads.serve(hs.h)
		t.Cleanup(srv.Close)
		sent := append([]byte(`{"zen": "`), bytes.Repeat([]byte("x"), webhook.SmallBody+1024)...)
		conns := []net.Conn{stall(t, srv, "hog-1", 1<<20, sent), stall(t, srv, "hog-2", 1<<20, sent)}
		reads.waitRead(t, len(sent), "hog-1", "hog-2")
		return hs, srv, conns
	}

	t.Run("a delivery under SmallBody does not wait for a slot", func(t *testing.T) {
		t.Parallel()
		_, srv, _ := holdEverySlot(t, time.Hour)
		if a := deliver(srv, "pull_request", "small", small); a.err != nil || a.status != http.StatusAccepted {
			t.Fatalf("small delivery while every slot is held: %d %q %v, want 202", a.status, a.msg, a.err)
		}
	})

	t.Run("a large delivery waits for a slot and gets the first one freed", func(t *testing.T) {
		t.Parallel()
		hs, srv, hogs := holdEverySlot(t, time.Hour)
		reply := make(chan delivery, 1)
		go func() { reply <- deliver(srv, "ping", "large", large) }()
		select {
		case a := <-reply:
			t.Fatalf("large delivery answered %d %q %v while every slot was held, want it to wait", a.status, a.msg, a.err)
		case <-time.After(300 * time.Millisecond):
		}
		hogs[0].Close()
		select {
		case a := <-reply:
			if a.err != nil || a.status != http.StatusAccepted {
				t.Fatalf("large delivery after a slot freed: %d %q %v, want 202", a.status, a.msg, a.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("large delivery still unanswered 10s after a slot freed")
		}
		if _, err := hs.st.GetDelivery(t.Context(), "large"); err != nil {
			t.Errorf("large delivery not stored: %v", err)
		}
		if answered(hogs[1]) > 0 {
			t.Error("the other stalled client was answered; it should still hold its slot")
		}
	})

	t.Run("a large delivery that cannot get a slot in time is told to come back", func(t *testing.T) {
		t.Parallel()
		hs, srv, _ := holdEverySlot(t, 200*time.Millisecond)
		start := time.Now()
		a := deliver(srv, "ping", "turned-away", large)
		if a.err != nil || a.status != http.StatusServiceUnavailable || a.retryAfter == "" || !strings.Contains(a.msg, "redeliver") {
			t.Errorf("answered %d (Retry-After %q) %q %v, want 503 with Retry-After saying to redeliver",
				a.status, a.retryAfter, a.msg, a.err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("answered after %s, want about SlotWait (200ms)", took)
		}
		if _, err := hs.st.GetDelivery(t.Context(), "turned-away"); err == nil {
			t.Error("a delivery answered 503 was stored")
		}
	})
}
