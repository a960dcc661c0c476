package identity

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/classla/gantry/internal/store"
)

// key is a stored key this process can open.
type key struct {
	store.SigningKey
	priv *rsa.PrivateKey
}

// schedule is the keys of the store as they stand at one time.
type schedule struct {
	keys   []key // readable keys, oldest generation first
	oldest int64 // the oldest generation stored, readable or not
	newest int64 // the newest generation stored, readable or not
	signer int   // index in keys of the key that signs now; -1 when none may
}

// load reads and opens the stored keys. Keys it cannot open (sealed under another secret: the
// GitHub App key changed) are logged once and left out.
func (i *Issuer) load(ctx context.Context) (schedule, error) {
	stored, err := i.keys.SigningKeys(ctx)
	if err != nil {
		return schedule{}, fmt.Errorf("workload identity: reading the signing keys: %w", err)
	}
	var s schedule
	for n, k := range stored {
		if n == 0 {
			s.oldest = k.Generation
		}
		s.newest = max(s.newest, k.Generation)
		priv, err := i.open(k)
		if err != nil {
			i.mu.Lock()
			first := !i.unreadable[k.ID]
			i.unreadable[k.ID] = true
			i.mu.Unlock()
			if first {
				i.log.Warn("a workload identity signing key cannot be opened and is not used: it was sealed under another GitHub App private key",
					"kid", k.ID, "generation", k.Generation, "error", err.Error())
			}
			continue
		}
		s.keys = append(s.keys, key{SigningKey: k, priv: priv})
	}
	now := i.now()
	s.signer = -1
	for n, k := range s.keys {
		if !k.ActiveFrom.After(now) {
			s.signer = n
		}
	}
	return s, nil
}

// open unseals and parses k, once per process.
func (i *Issuer) open(k store.SigningKey) (*rsa.PrivateKey, error) {
	i.mu.Lock()
	priv, ok := i.opened[k.ID]
	i.mu.Unlock()
	if ok {
		return priv, nil
	}
	der, err := i.sealer.open(k.Sealed, aad(k))
	if err != nil {
		return nil, err
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	priv, ok = parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s is a %T, want RSA", k.ID, parsed)
	}
	i.redact.AddPEM(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	i.mu.Lock()
	i.opened[k.ID] = priv
	i.mu.Unlock()
	return priv, nil
}

// aad binds a sealed key to its row: a sealed key copied into another row does not open.
func aad(k store.SigningKey) []byte {
	return fmt.Appendf(nil, "gantry signing key %d %s", k.Generation, k.ID)
}

// current returns the key that signs now, rotating first when a rotation is due.
func (i *Issuer) current(ctx context.Context) (store.SigningKey, *rsa.PrivateKey, error) {
	s, err := i.rotate(ctx)
	if err != nil {
		return store.SigningKey{}, nil, err
	}
	if s.signer < 0 {
		// rotate leaves no signer only when a key it added is not active yet, which it never
		// adds without one that signs meanwhile.
		return store.SigningKey{}, nil, errors.New("workload identity: no signing key is active")
	}
	k := s.keys[s.signer]
	return k.SigningKey, k.priv, nil
}

// rotate brings the stored keys up to date and returns the schedule:
//   - no key that can sign (first start, or the keys were sealed under another secret): a
//     key is added that signs at once;
//   - the signing key's successor is due within Prepublish: the successor is added, active
//     Rotation after the signing key;
//   - keys no longer published are deleted.
//
// Several processes may do this at once: each generation is added once, and the others
// read the winner.
func (i *Issuer) rotate(ctx context.Context) (schedule, error) {
	i.rotateMu.Lock()
	defer i.rotateMu.Unlock()
	for range 3 {
		s, err := i.load(ctx)
		if err != nil {
			return schedule{}, err
		}
		now := i.now()
		var next store.SigningKey
		switch {
		case len(s.keys) == 0:
			next = store.SigningKey{Generation: s.newest + 1, ActiveFrom: now}
		case s.signer < 0:
			// Only keys published ahead of their time: the clock went back. The earliest of
			// them is published already, so it may sign.
			s.signer = 0
		case s.signer == len(s.keys)-1:
			due := s.keys[s.signer].ActiveFrom.Add(i.rotation)
			if !now.Before(due.Add(-i.prepublish)) {
				next = store.SigningKey{Generation: s.newest + 1, ActiveFrom: maxTime(due, now.Add(i.prepublish))}
			}
		}
		if next.Generation == 0 {
			i.prune(ctx, s)
			return s, nil
		}
		if err := i.add(ctx, next); err != nil && !errors.Is(err, store.ErrDuplicate) {
			return schedule{}, err
		}
		// Read again: the key added is this process's or another's.
	}
	return schedule{}, errors.New("workload identity: the signing keys kept changing while they were rotated; try again")
}

// add generates, seals and stores the key of next.Generation.
func (i *Issuer) add(ctx context.Context, next store.SigningKey) error {
	priv, err := rsa.GenerateKey(rand.Reader, keySize)
	if err != nil {
		return fmt.Errorf("workload identity: generating a signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("workload identity: %w", err)
	}
	kid := make([]byte, 12)
	rand.Read(kid)
	next.ID = base64.RawURLEncoding.EncodeToString(kid)
	next.Sealed = i.sealer.seal(der, aad(next))
	if _, err := i.keys.AddSigningKey(ctx, next); err != nil {
		return fmt.Errorf("workload identity: storing signing key %d: %w", next.Generation, err)
	}
	i.log.Info("workload identity signing key added", "kid", next.ID, "generation", next.Generation,
		"active_from", next.ActiveFrom.UTC().Format(time.RFC3339))
	return nil
}

// published returns the keys a verifier may need now: the signing key, keys published ahead
// of their time, and earlier keys whose last token may not have expired yet.
func (i *Issuer) published(s schedule) []key {
	now := i.now()
	var out []key
	for n, k := range s.keys {
		if n < s.signer {
			// Key n stopped signing when the next readable key became active.
			retired := s.keys[n+1].ActiveFrom
			if !now.Before(retired.Add(i.lifetime + clockSkew)) {
				continue
			}
		}
		out = append(out, k)
	}
	return out
}

// prune deletes the keys stored below the oldest published one (unreadable ones too); a
// failure is only logged: the next rotation tries again.
func (i *Issuer) prune(ctx context.Context, s schedule) {
	pub := i.published(s)
	if len(pub) == 0 || s.oldest >= pub[0].Generation {
		return
	}
	if err := i.keys.DeleteSigningKeys(ctx, pub[0].Generation); err != nil {
		i.log.Warn("workload identity: deleting retired signing keys failed", "error", err.Error())
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
