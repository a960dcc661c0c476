package webhook_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/testing/fixtures"
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
// when a push touches many pull requests: their durable writes share group commits.
func BenchmarkDeliveryParallel(b *testing.B) {
	hs := newHarness(b, flow.Policy{})
	body := withInstallation(b, fixtures.Webhook(b, "pull_request.synchronize.1"), nil)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.SetParallelism(8)
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("bench-%d", n.Add(1))
			w := hs.send(fixtures.Request(secret, "pull_request", id, body))
			if w.Code != http.StatusAccepted {
				b.Errorf("%d %s", w.Code, w.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
