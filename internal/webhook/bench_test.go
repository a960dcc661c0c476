package webhook_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/store/postgres"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/pgtest"
	"github.com/classla/gantry/internal/webhook"
)

// BenchmarkDelivery measures the whole intake of a pull_request delivery (~28 KB) into SQLite:
// read, verify, route, and the durable write of the delivery and its job. Deliveries/s is
// reported as a metric; run with -benchmem for allocations.
func BenchmarkDelivery(b *testing.B) {
	hs := newHarness(b, flow.Policy{})
	body := withInstallation(b, fixtures.Webhook(b, "pull_request.synchronize.1"), nil)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		w := hs.send(fixtures.Request(secret, "pull_request", fmt.Sprintf("bench-%d", i), body))
		if w.Code != http.StatusAccepted {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

// BenchmarkDeliveryParallel is the same with 16 deliveries in flight, as GitHub sends them
// when a push touches many pull requests: their durable writes share group commits. Besides
// deliveries/s it reports the 99th percentile of the time to answer (p99-ms).
func BenchmarkDeliveryParallel(b *testing.B) {
	benchParallel(b, newHarness(b, flow.Policy{}))
}

// BenchmarkDeliveryParallelPostgres is BenchmarkDeliveryParallel on PostgreSQL
// (GANTRY_TEST_DATABASE_URL, or a throwaway cluster), where several replicas share the intake.
func BenchmarkDeliveryParallelPostgres(b *testing.B) {
	st, err := postgres.Open(b.Context(), pgtest.NewDatabase(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	benchParallel(b, &harness{st: st, h: &webhook.Handler{Secret: secret, Store: st, Router: &flow.Intake{},
		Log: slog.New(slog.DiscardHandler)}})
}

func benchParallel(b *testing.B, hs *harness) {
	body := withInstallation(b, fixtures.Webhook(b, "pull_request.synchronize.1"), nil)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.SetParallelism(8)
	var n atomic.Int64
	var mu sync.Mutex
	var took []time.Duration
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			id := fmt.Sprintf("bench-%d", n.Add(1))
			start := time.Now()
			w := hs.send(fixtures.Request(secret, "pull_request", id, body))
			mine = append(mine, time.Since(start))
			if w.Code != http.StatusAccepted {
				b.Errorf("%d %s", w.Code, w.Body)
				return
			}
		}
		mu.Lock()
		took = append(took, mine...)
		mu.Unlock()
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
	if len(took) > 0 {
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// TestMain stops the throwaway PostgreSQL cluster, when the benchmarks started one.
func TestMain(m *testing.M) { pgtest.Main(m) }
