package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/storetest"
)

// BenchmarkStore runs the stores' shared benchmarks (storetest.Benchmark). The databases live
// under the temporary directory, so the figures include a real fsync only when that directory is
// on a disk (not tmpfs).
func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) store.Store {
		s, err := Open(b.Context(), filepath.Join(b.TempDir(), "gantry.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}
