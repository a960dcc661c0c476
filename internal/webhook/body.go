package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// Reading a body before its signature is checked is the one thing anyone on the internet can
// make gantry do, so the memory it takes follows the bytes a client has sent, never the length
// it declares: a client that declares 25 MiB and sends one byte costs firstRead. A body past
// SmallBody needs one of Handler.MaxUnverified slots, so however many clients connect, large
// unverified bodies take at most about MaxUnverified × 1.7 × MaxBody (the last doubling of a
// full-size body holds 16 MiB and 25 MiB at once), and each other connection at most about
// 1.5 × SmallBody.

const (
	// SmallBody is how much of a body is read without a slot. Nearly every delivery GitHub
	// sends is smaller (a pull_request event is about 30 KB), so clients that stall while
	// holding every slot cannot hold those deliveries up; and a client has to send this much
	// before it can take a slot at all.
	SmallBody = 64 << 10
	// DefaultMaxUnverified is Handler.MaxUnverified when it is 0.
	DefaultMaxUnverified = 16
	// DefaultSlotWait is Handler.SlotWait when it is 0: GitHub gives up on a delivery after
	// 10 seconds, so a delivery that got its slot later could not be answered in time anyway.
	DefaultSlotWait = 8 * time.Second

	// firstRead is the buffer a body starts with, about what net/http already spends on each
	// connection; it doubles as bytes arrive. Most deliveries but pull_request fit in it.
	firstRead = 16 << 10
)

var (
	errTooLarge = errors.New("payload too large")
	errBusy     = errors.New("every slot for reading unverified bodies is taken")
)

// readBody reads the request body, at most MaxBody bytes, and computes its HMAC-SHA256 under
// the webhook secret as it goes. A declared length over MaxBody is refused before reading; a
// chunked or understated body is refused once it passes MaxBody. The declared length only
// ever makes the buffer smaller, never larger.
func (h *Handler) readBody(r *http.Request) (body, mac []byte, err error) {
	declared := r.ContentLength // -1 when unknown (chunked)
	if declared > MaxBody {
		return nil, nil, errTooLarge
	}
	sum := hmac.New(sha256.New, h.Secret)
	buf := make([]byte, 0, firstRead)
	if declared >= 0 && declared < firstRead {
		buf = make([]byte, 0, declared+1) // +1: room to see the end of the body
	}
	slotted := false
	defer func() {
		if slotted {
			<-h.slots()
		}
	}()
	for {
		if len(buf) == cap(buf) {
			next := grownCap(len(buf), declared)
			if next > SmallBody && !slotted {
				if err := h.takeSlot(r.Context()); err != nil {
					return nil, nil, err
				}
				slotted = true
			}
			buf = append(make([]byte, 0, next), buf...)
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		sum.Write(buf[len(buf) : len(buf)+n])
		buf = buf[:len(buf)+n]
		if len(buf) > MaxBody {
			return nil, nil, errTooLarge
		}
		if err == io.EOF {
			return buf, sum.Sum(nil), nil
		}
		if err != nil {
			return nil, nil, err
		}
	}
}

// grownCap is the next capacity of a full buffer of have bytes: double, but no more than the
// declared length needs nor MaxBody+1 (one byte more than the limit, to detect passing it).
func grownCap(have int, declared int64) int {
	next := 2 * have
	if declared >= int64(have) {
		next = min(next, int(declared)+1)
	}
	return min(next, MaxBody+1)
}

func (h *Handler) slots() chan struct{} {
	h.slotsOnce.Do(func() {
		n := h.MaxUnverified
		if n <= 0 {
			n = DefaultMaxUnverified
		}
		h.slotCh = make(chan struct{}, n)
	})
	return h.slotCh
}

// takeSlot waits for a slot to read a large unverified body.
//
// A delivery waits rather than being refused at once, because GitHub does not redeliver a
// failed delivery by itself: an honest burst (a push that touches many pull requests) would
// lose every delivery past the cap, and a refused one is gone unless someone redelivers it by
// hand. Waiting costs no body memory (the bytes stay in the connection), and waiters are
// served in arrival order (a channel's blocked senders are woken first come, first served),
// so a slot that frees goes to the delivery that has waited longest, not to the next
// connection an attacker opens. The wait ends with the request's context, or after SlotWait
// with 503 and Retry-After: by then GitHub has given up, and a waiting handler must not be
// held forever, since an HTTP/1 request's context is not canceled while its body is unread.
// Slowloris clients can still hold every slot, each for as long as the server's ReadTimeout
// lets it dribble its body; SmallBody is what keeps ordinary deliveries out of that queue.
func (h *Handler) takeSlot(ctx context.Context) error {
	slots := h.slots()
	select {
	case slots <- struct{}{}:
		return nil
	default:
	}
	wait := h.SlotWait
	if wait <= 0 {
		wait = DefaultSlotWait
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return errBusy
	}
}

// verify checks X-Hub-Signature-256 against mac, the body's HMAC-SHA256, in constant time.
// SHA-1 signatures alone are refused: SHA-1 is no longer safe and GitHub always sends SHA-256
// too.
func verify(hdr http.Header, mac []byte) error {
	sig := hdr.Get("X-Hub-Signature-256")
	if sig == "" {
		if hdr.Get("X-Hub-Signature") != "" {
			return errors.New("only a SHA-1 signature was sent; gantry requires X-Hub-Signature-256")
		}
		return errors.New("unsigned delivery: set a webhook secret on the GitHub App")
	}
	hexSig, ok := strings.CutPrefix(sig, "sha256=")
	if !ok {
		return errors.New("X-Hub-Signature-256 does not start with sha256=")
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return errors.New("X-Hub-Signature-256 is not hexadecimal")
	}
	if !hmac.Equal(got, mac) {
		return errors.New("signature mismatch: the webhook secret differs from GITHUB_WEBHOOK_SECRET")
	}
	return nil
}
