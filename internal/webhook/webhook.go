// Package webhook is gantry's HTTP intake for GitHub deliveries: it reads the body within
// bounds that a client on the internet cannot stretch, verifies the HMAC-SHA256 signature,
// asks the router which jobs the delivery implies, and stores the delivery with its jobs
// before answering 202. It does no slow work: workers take it from there.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/classla/gantry/internal/store"
)

// MaxBody is the largest delivery accepted; GitHub caps payloads at 25 MB.
const MaxBody = 25 << 20

// Router decides, from the payload alone and without network calls, what a delivery means.
type Router interface {
	Route(event string, deliveryID string, payload []byte) (Routed, error)
}

// Routed is what a delivery means: its identifying fields and the jobs it implies.
type Routed struct {
	Action         string
	InstallationID int64
	Repo           string
	Jobs           []store.NewJob
	// Ignored says why a delivery makes no work (for logs); "" when it does.
	Ignored string
}

// ErrMalformed marks payloads that are not the JSON GitHub sends (answered with 400).
var ErrMalformed = errors.New("malformed payload")

// Observer is told the outcome of each delivery (metrics).
type Observer interface {
	Delivery(event, outcome string, d time.Duration)
}

// Delivery outcomes reported to the Observer.
const (
	OutcomeAccepted  = "accepted"
	OutcomeDuplicate = "duplicate"
	OutcomeIgnored   = "ignored"
	OutcomeRejected  = "rejected"
	OutcomeBusy      = "busy" // every slot for reading large unverified bodies stayed taken
	OutcomeError     = "error"
)

// Handler serves POST /webhooks/github.
type Handler struct {
	Secret   []byte
	Store    store.Store
	Router   Router
	Log      *slog.Logger
	Observer Observer // optional
	// Queued is called after a delivery's jobs are stored (wakes the workers); optional.
	Queued func()
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxUnverified caps the bodies larger than SmallBody read at once before their signature
	// is checked (0 means DefaultMaxUnverified). A delivery waits up to SlotWait (0 means
	// DefaultSlotWait) for one of those slots, then is answered 503.
	MaxUnverified int
	SlotWait      time.Duration

	slotsOnce sync.Once
	slotCh    chan struct{}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	event := r.Header.Get("X-GitHub-Event")
	outcome, status, msg := h.serve(r, event)
	if h.Observer != nil {
		h.Observer.Delivery(event, outcome, time.Since(start))
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if outcome == OutcomeBusy {
		w.Header().Set("Retry-After", "5")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
}

func (h *Handler) serve(r *http.Request, event string) (outcome string, status int, msg string) {
	if r.Method != http.MethodPost {
		return OutcomeRejected, http.StatusMethodNotAllowed, "webhooks must be POSTed"
	}
	body, mac, err := h.readBody(r)
	switch {
	case errors.Is(err, errTooLarge):
		return OutcomeRejected, http.StatusRequestEntityTooLarge, fmt.Sprintf("payload larger than %d bytes", MaxBody)
	case errors.Is(err, errBusy):
		h.Log.Warn("webhook refused: too many large unverified bodies at once", "delivery", r.Header.Get("X-GitHub-Delivery"), "remote", r.RemoteAddr)
		return OutcomeBusy, http.StatusServiceUnavailable, "too many large deliveries are being received at once: redeliver this one in a few seconds"
	case err != nil:
		return OutcomeRejected, http.StatusBadRequest, "reading the body failed: " + err.Error()
	}
	if err := verify(r.Header, mac); err != nil {
		h.Log.Warn("webhook rejected", "reason", err.Error(), "delivery", r.Header.Get("X-GitHub-Delivery"), "remote", r.RemoteAddr)
		return OutcomeRejected, http.StatusUnauthorized, err.Error()
	}
	id := r.Header.Get("X-GitHub-Delivery")
	if event == "" || id == "" {
		return OutcomeRejected, http.StatusBadRequest, "missing X-GitHub-Event or X-GitHub-Delivery header: is the sender GitHub?"
	}
	log := h.Log.With("delivery", id, "event", event)
	routed, err := h.Router.Route(event, id, body)
	if err != nil {
		if errors.Is(err, ErrMalformed) {
			log.Warn("webhook payload malformed", "err", err)
			return OutcomeRejected, http.StatusBadRequest, err.Error()
		}
		log.Error("routing the delivery failed", "err", err)
		return OutcomeError, http.StatusInternalServerError, "internal error routing the delivery"
	}
	log = log.With("action", routed.Action, "repo", routed.Repo, "installation", routed.InstallationID)

	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	d := store.Delivery{ID: id, Event: event, Action: routed.Action, InstallationID: routed.InstallationID,
		Repo: routed.Repo, Payload: body, ReceivedAt: now().UTC()}
	// The delivery must be on disk before GitHub hears 202, even if the client hangs up now.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 8*time.Second)
	defer cancel()
	recorded, err := h.Store.RecordDelivery(ctx, d, routed.Jobs)
	if err != nil {
		log.Error("storing the delivery failed", "err", err)
		return OutcomeError, http.StatusServiceUnavailable, "storing the delivery failed; GitHub can redeliver it"
	}
	if !recorded {
		log.Info("duplicate delivery ignored")
		return OutcomeDuplicate, http.StatusOK, "delivery already received"
	}
	if len(routed.Jobs) == 0 {
		log.Info("delivery recorded; nothing to do", "reason", routed.Ignored)
		return OutcomeIgnored, http.StatusAccepted, "accepted: nothing to do (" + routed.Ignored + ")"
	}
	kinds := make([]string, len(routed.Jobs))
	for i, j := range routed.Jobs {
		kinds[i] = j.Kind
	}
	log.Info("delivery recorded", "jobs", kinds)
	if h.Queued != nil {
		h.Queued()
	}
	return OutcomeAccepted, http.StatusAccepted, fmt.Sprintf("accepted: %d job(s) queued", len(routed.Jobs))
}
