package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that Parse never panics, that it explains every rejection, and that an
// accepted config written back out as YAML reads back to the same value. Besides the
// testdata configs, seeds live in testdata/fuzz/FuzzParse (anchors, tags, odd scalars).
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "testdata/broken/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || len(perr.Problems) == 0 {
				t.Fatalf("rejected without a problem list: %v", err)
			}
			return
		}
		out, err := yaml.Marshal(r)
		if err != nil {
			t.Fatalf("marshalling an accepted config: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("an accepted config, written out, is rejected: %v\n%s", err, out)
		}
		if diff := cmp.Diff(r, again); diff != "" {
			t.Fatalf("an accepted config, written out and read back, differs (-first +again):\n%s\n%s", diff, out)
		}
	})
}
