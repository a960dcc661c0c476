package storetest

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classla/gantry/internal/store"
)

// Benchmark measures the durable writes every implementation makes on the hot paths — webhook
// intake and a worker's bookkeeping — on the stores open returns (a new, empty one per
// sub-benchmark), so that the implementations' figures compare side by side.
func Benchmark(b *testing.B, open func(b *testing.B) store.Store) {
	for _, bm := range []struct {
		name string
		run  func(*testing.B, store.Store)
	}{
		{"RecordDelivery", benchRecordDelivery},
		{"RecordDeliveryParallel", benchRecordDeliveryParallel},
		{"ClaimFinish", benchClaimFinish},
		{"ConcurrentWrites", benchConcurrentWrites},
	} {
		b.Run(bm.name, func(b *testing.B) { bm.run(b, open(b)) })
	}
}

// webhookPayload is about the size of a pull_request event.
var webhookPayload = bytes.Repeat([]byte(`{"action":"synchronize","number":7,"pull_request":{"head":{"sha":"0123"}}}`), 140)

func benchDelivery(i int64) (store.Delivery, []store.NewJob) {
	d := store.Delivery{ID: fmt.Sprintf("delivery-%d", i), Event: "pull_request", Action: "synchronize",
		InstallationID: 1, Repo: "acme/infra", Payload: webhookPayload}
	job := store.NewJob{Kind: "plan", Repo: "acme/infra", PR: 7, Key: "acme/infra#7/production", Spec: []byte(`{"project":"production"}`)}
	return d, []store.NewJob{job}
}

// benchRecordDelivery is the durable write the webhook handler makes before it answers 202.
func benchRecordDelivery(b *testing.B, s store.Store) {
	ctx := b.Context()
	b.ReportAllocs()
	b.SetBytes(int64(len(webhookPayload)))
	var i int64
	for b.Loop() {
		i++
		d, jobs := benchDelivery(i)
		if _, err := s.RecordDelivery(ctx, d, jobs); err != nil {
			b.Fatal(err)
		}
	}
}

// benchRecordDeliveryParallel is webhook intake under load (8 handlers at once on two
// cores): PostgreSQL flushes the WAL of concurrent commits together.
func benchRecordDeliveryParallel(b *testing.B, s store.Store) {
	ctx := b.Context()
	var n atomic.Int64
	b.ReportAllocs()
	b.SetBytes(int64(len(webhookPayload)))
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d, jobs := benchDelivery(n.Add(1))
			if _, err := s.RecordDelivery(ctx, d, jobs); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// queueJobs queues n jobs in one transaction, so that setting up costs one commit.
func queueJobs(b *testing.B, s store.Store, n int) {
	b.Helper()
	jobs := make([]store.NewJob, n)
	for i := range jobs {
		jobs[i] = store.NewJob{Kind: "plan", Repo: "acme/infra", PR: i, Spec: []byte(`{"project":"production"}`)}
	}
	if _, err := s.RecordDelivery(b.Context(), store.Delivery{ID: fmt.Sprintf("setup-%d", n), Event: "push"}, jobs); err != nil {
		b.Fatal(err)
	}
}

// benchClaimFinish is a worker's bookkeeping around one job: two durable writes.
func benchClaimFinish(b *testing.B, s store.Store) {
	ctx := b.Context()
	queueJobs(b, s, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		j, ok, err := s.ClaimJob(ctx, "worker", time.Minute)
		if err != nil || !ok {
			b.Fatalf("ClaimJob = %v, %v", ok, err)
		}
		if err := s.FinishJob(ctx, j.ID, "worker", store.Outcome{State: store.Succeeded}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchConcurrentWrites is webhook intake and workers writing at once (8 writers).
func benchConcurrentWrites(b *testing.B, s store.Store) {
	ctx := b.Context()
	queueJobs(b, s, b.N)
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if i%2 == 0 {
				d := store.Delivery{ID: fmt.Sprintf("delivery-%d", i), Event: "pull_request", Payload: webhookPayload}
				if _, err := s.RecordDelivery(ctx, d, []store.NewJob{{Kind: "plan", Repo: "acme/infra"}}); err != nil {
					b.Error(err)
					return
				}
				continue
			}
			j, ok, err := s.ClaimJob(ctx, "worker", time.Minute)
			if err != nil || !ok {
				b.Errorf("ClaimJob = %v, %v", ok, err)
				return
			}
			if err := s.FinishJob(ctx, j.ID, "worker", store.Outcome{State: store.Succeeded}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
