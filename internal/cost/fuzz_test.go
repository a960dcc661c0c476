package cost

import (
	"errors"
	"os"
	"testing"
)

// FuzzEstimate feeds arbitrary bytes to the estimator: it must never panic, and input that
// is not a plan must be refused with ErrNotPlan. Seeds are in testdata/fuzz/FuzzEstimate.
func FuzzEstimate(f *testing.F) {
	for _, path := range []string{"testdata/golden/pr.plan.json"} {
		if b, err := os.ReadFile(path); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := EstimatePlan(data, Options{})
		if err != nil {
			if !errors.Is(err, ErrNotPlan) {
				t.Fatalf("error %v does not wrap ErrNotPlan", err)
			}
			return
		}
		_ = e.Markdown()
		_ = e.Table()
		if _, err := e.JSON(); err != nil {
			t.Fatalf("JSON: %v", err)
		}
	})
}
