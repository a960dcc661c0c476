package sqlite

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classla/gantry/internal/store"
)

// The databases live under the temporary directory, so the figures include a real fsync
// only when that directory is on a disk (not tmpfs).

func openBench(b *testing.B) *Store {
	b.Helper()
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "gantry.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// webhookPayload is about the size of a pull_request event.
var webhookPayload = bytes.Repeat([]byte(`{"action":"synchronize","number":7,"pull_request":{"head":{"sha":"0123"}}}`), 140)

// BenchmarkRecordDelivery is the durable write the webhook handler makes before it answers 202.
func BenchmarkRecordDelivery(b *testing.B) {
	s := openBench(b)
	ctx := b.Context()
	b.ReportAllocs()
	b.SetBytes(int64(len(webhookPayload)))
	i := 0
	for b.Loop() {
		i++
		d := store.Delivery{ID: fmt.Sprintf("delivery-%d", i), Event: "pull_request", Action: "synchronize",
			InstallationID: 1, Repo: "acme/infra", Payload: webhookPayload}
		job := store.NewJob{Kind: "plan", Repo: "acme/infra", PR: 7, Key: "acme/infra#7/production", Spec: []byte(`{"project":"production"}`)}
		if _, err := s.RecordDelivery(ctx, d, []store.NewJob{job}); err != nil {
			b.Fatal(err)
		}
	}
}

// queueJobs queues n jobs in one transaction, so that setting up costs one commit.
func queueJobs(b *testing.B, s *Store, n int) {
	b.Helper()
	jobs := make([]store.NewJob, n)
	for i := range jobs {
		jobs[i] = store.NewJob{Kind: "plan", Repo: "acme/infra", PR: i, Spec: []byte(`{"project":"production"}`)}
	}
	if _, err := s.RecordDelivery(b.Context(), store.Delivery{ID: fmt.Sprintf("setup-%d", n), Event: "push"}, jobs); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkClaimFinish is a worker's bookkeeping around one job: two durable writes.
func BenchmarkClaimFinish(b *testing.B) {
	s := openBench(b)
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

// BenchmarkConcurrentWrites is webhook intake and workers writing at once (8 writers): the
// deliveries are group-committed, so they share fsyncs.
func BenchmarkConcurrentWrites(b *testing.B) {
	s := openBench(b)
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
