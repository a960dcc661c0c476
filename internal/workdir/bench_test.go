package workdir_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/classla/gantry/internal/workdir"
)

// BenchmarkExtract unpacks 5,000 files of 10 KiB (about 50 MB) of source-like text; MB/s counts
// unpacked bytes.
func BenchmarkExtract(b *testing.B) {
	const files, size = 5000, 10 << 10
	r := rand.New(rand.NewPCG(3, 4))
	words := []string{"resource ", "\"aws_instance\" ", "{\n", "}\n", "  ami = ", "variable ", "module ", "count ", "= ", "\"t3.micro\"\n", "tags ", "source "}
	entries := []entry{global(commit), dir(top)}
	for i := range files {
		var body bytes.Buffer
		for body.Len() < size {
			body.WriteString(words[r.IntN(len(words))])
		}
		entries = append(entries, file(fmt.Sprintf("%sdir%02d/file%04d.tf", top, i%50, i), string(body.Bytes()[:size])))
	}
	archive := build(b, entries...)
	b.ReportMetric(float64(len(archive))/(1<<20), "archive-MiB")
	b.SetBytes(files * size)
	b.ReportAllocs()
	parent := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dest := filepath.Join(parent, fmt.Sprint(i))
		if err := os.Mkdir(dest, 0o700); err != nil {
			b.Fatal(err)
		}
		if _, err := workdir.Extract(bytes.NewReader(archive), dest, workdir.Limits{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := os.RemoveAll(dest); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
