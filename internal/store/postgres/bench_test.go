package postgres

import (
	"testing"

	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/storetest"
)

// BenchmarkStore runs the stores' shared benchmarks (storetest.Benchmark) beside SQLite's. Run it
// against a durable server (GANTRY_TEST_DATABASE_URL): the throwaway cluster runs without fsync,
// so its figures flatter every write.
func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) store.Store { return openTemp(b) })
}
