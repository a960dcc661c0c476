package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/classla/gantry/internal/store"
)

var signingKeyCases = []contractCase{
	{"a signing key comes back as stored", signingKeyRoundTrip},
	{"a generation is added once, and the second adder learns the key that won", signingKeyDuplicate},
	{"of processes rotating at once exactly one adds the generation", signingKeyRace},
	{"old generations are deleted, newer ones kept", signingKeyDelete},
	{"a signing key without kid, sealed bytes or generation is refused", signingKeyIncomplete},
}

func signingKey(gen int64, activeFrom time.Time) store.SigningKey {
	return store.SigningKey{Generation: gen, ID: fmt.Sprintf("kid-%d", gen),
		Sealed: []byte{0x00, 0xff, byte(gen), 0x80}, ActiveFrom: activeFrom}
}

func signingKeyRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	keys, err := s.SigningKeys(ctx)
	if err != nil || len(keys) != 0 {
		t.Fatalf("SigningKeys of a new store = %+v, %v; want none", keys, err)
	}
	active := time.Date(2026, 12, 4, 10, 0, 0, 123000, time.UTC)
	from := time.Now()
	// Added out of order: the listing is ordered by generation, not by insertion.
	for _, gen := range []int64{2, 1} {
		k := signingKey(gen, active.Add(time.Duration(gen)*time.Hour))
		got, err := s.AddSigningKey(ctx, k)
		if err != nil {
			t.Fatalf("AddSigningKey(%d): %v", gen, err)
		}
		if got.ID != k.ID || !bytes.Equal(got.Sealed, k.Sealed) || !got.ActiveFrom.Equal(k.ActiveFrom) {
			t.Errorf("AddSigningKey(%d) = %+v, want %+v", gen, got, k)
		}
	}
	to := time.Now()
	keys, err = s.SigningKeys(ctx)
	if err != nil || len(keys) != 2 {
		t.Fatalf("SigningKeys = %+v, %v; want two", keys, err)
	}
	for i, k := range keys {
		want := signingKey(int64(i+1), active.Add(time.Duration(i+1)*time.Hour))
		if k.Generation != want.Generation || k.ID != want.ID || !bytes.Equal(k.Sealed, want.Sealed) || !k.ActiveFrom.Equal(want.ActiveFrom) {
			t.Errorf("key %d = %+v, want %+v", i, k, want)
		}
		checkClock(t, "CreatedAt", k.CreatedAt, from, to)
	}
}

func signingKeyDuplicate(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := signingKey(1, time.Now())
	if _, err := s.AddSigningKey(ctx, first); err != nil {
		t.Fatalf("AddSigningKey: %v", err)
	}
	second := first
	second.ID, second.Sealed = "kid-other", []byte("other")
	got, err := s.AddSigningKey(ctx, second)
	if !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("adding generation 1 again: err = %v, want ErrDuplicate", err)
	}
	if got.ID != first.ID || !bytes.Equal(got.Sealed, first.Sealed) {
		t.Errorf("adding generation 1 again returned %+v, want the stored key %s", got, first.ID)
	}
	keys, err := s.SigningKeys(ctx)
	if err != nil || len(keys) != 1 || keys[0].ID != first.ID {
		t.Errorf("SigningKeys = %+v, %v; want only %s", keys, err, first.ID)
	}
}

func signingKeyRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 8
	var wg sync.WaitGroup
	winners := make(chan string, n)
	seen := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			k := store.SigningKey{Generation: 1, ID: fmt.Sprintf("racer-%d", i), Sealed: []byte{byte(i)}, ActiveFrom: time.Now()}
			got, err := s.AddSigningKey(ctx, k)
			switch {
			case err == nil:
				winners <- got.ID
			case !errors.Is(err, store.ErrDuplicate):
				t.Errorf("AddSigningKey(%s): %v", k.ID, err)
			}
			seen <- got.ID
		})
	}
	wg.Wait()
	close(winners)
	close(seen)
	var won []string
	for id := range winners {
		won = append(won, id)
	}
	if len(won) != 1 {
		t.Fatalf("%d adders of generation 1 succeeded (%v), want exactly one", len(won), won)
	}
	for id := range seen {
		if id != won[0] {
			t.Errorf("an adder learned key %q, want the winner %q", id, won[0])
		}
	}
}

func signingKeyDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	for gen := int64(1); gen <= 4; gen++ {
		if _, err := s.AddSigningKey(ctx, signingKey(gen, time.Now())); err != nil {
			t.Fatalf("AddSigningKey(%d): %v", gen, err)
		}
	}
	if err := s.DeleteSigningKeys(ctx, 3); err != nil {
		t.Fatalf("DeleteSigningKeys(3): %v", err)
	}
	keys, err := s.SigningKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].Generation != 3 || keys[1].Generation != 4 {
		t.Fatalf("after deleting below 3: %+v, %v; want generations 3 and 4", keys, err)
	}
	// A deleted generation number is not reused by accident: adding it again is possible
	// only because it is gone, and the listing stays ordered.
	if _, err := s.AddSigningKey(ctx, signingKey(5, time.Now())); err != nil {
		t.Fatalf("AddSigningKey(5): %v", err)
	}
	keys, _ = s.SigningKeys(ctx)
	if len(keys) != 3 || keys[2].Generation != 5 {
		t.Errorf("after adding 5: %+v, want 3, 4, 5", keys)
	}
}

func signingKeyIncomplete(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, k := range []store.SigningKey{
		{Generation: 0, ID: "k", Sealed: []byte{1}},
		{Generation: 1, ID: "", Sealed: []byte{1}},
		{Generation: 1, ID: "k", Sealed: nil},
	} {
		if _, err := s.AddSigningKey(ctx, k); err == nil || errors.Is(err, store.ErrDuplicate) {
			t.Errorf("AddSigningKey(%+v) = %v, want a refusal", k, err)
		}
	}
	if keys, _ := s.SigningKeys(ctx); len(keys) != 0 {
		t.Errorf("refused keys were stored: %+v", keys)
	}
}
